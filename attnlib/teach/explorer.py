"""The instance explorer: one test instance's tokens coloured by attention, gradient, leave-one-out and the
most different adversarial attention within ε, with the model's output under the attentions.

Two front ends share one record format (:func:`instance_record`, a JSON-ready dict):

* :class:`Explorer`, an ipywidgets panel for a live kernel: pick an experiment, search instances by a word,
  order them by τ, maximum attention or adversarial JSD, and move ε; every control works on the cached
  analyses (the output under an adversary is decoded on the fly).
* :func:`static_explorer`, an HTML fragment for the published book, where no kernel runs: a pre-computed
  set of instances per experiment (:func:`pick_rows`: high and low τ, large and small adversarial JSD) that
  a reader steps through with buttons, drawn by a small script shipped with the package
  (``attnlib/teach/static/explorer.js``), with nothing loaded from the network.

Colours are ten levels of the heat maps' colour map; each row is scaled to [0, 1] on its own
(:func:`attnlib.plots.scale_row`), so colours compare tokens within a row.
"""
from __future__ import annotations

import functools
import hashlib
import html
import json
from importlib import resources

import matplotlib
import numpy as np
import pandas as pd

from ..book.figures import SHORTEST_EXAMPLE
from ..explain import max_jsd_column, max_jsd_within, outputs_with_attention
from ..plots import HEATMAP_CMAP, scale_row

N_LEVELS = 10
#: The rows of an instance, in display order (the adversarial row follows).
IMPORTANCE_ROWS = (("attention", "attention"), ("gradient", "gradient"), ("loo", "leave-one-out"))
ORDERS = {
    "test order": ("index", True),
    "τ(attention, gradient), lowest first": ("tau_attention_gradient", True),
    "τ(attention, gradient), highest first": ("tau_attention_gradient", False),
    "maximum attention, highest first": ("max_attention", False),
    "adversarial JSD, largest first": ("adversarial_jsd", False),
}


def levels(values) -> str:
    """Importance quantised to colour levels, one digit ``0``–``9`` per token (``-`` for NaN)."""
    scaled = scale_row(np.asarray(values, dtype=float))
    digits = np.clip(np.floor(np.nan_to_num(scaled, nan=0.0) * N_LEVELS), 0, N_LEVELS - 1).astype(int)
    return "".join("-" if np.isnan(s) else str(d) for s, d in zip(scaled, digits))


@functools.cache
def stylesheet() -> str:
    """The explorer's CSS: one background colour per level, from the heat maps' colour map."""
    cmap = matplotlib.colormaps[HEATMAP_CMAP]
    rules = []
    for level in range(N_LEVELS):
        colour = matplotlib.colors.to_hex(cmap((level + 0.5) / N_LEVELS))
        text = "#fff" if level >= 7 else "#111"
        rules.append(f".attnlib-x .l{level}{{background:{colour};color:{text}}}")
    return "\n".join(rules) + "\n" + resources.files(__package__).joinpath("static/explorer.css").read_text()


def _output_text(probs, class_names) -> str:
    """The model's output, e.g. ``positive 0.93`` (the two most probable classes when there are more)."""
    probs = np.asarray(probs, dtype=float)
    top = np.argsort(-probs)[: 1 if len(probs) <= 2 else 2]
    return ", ".join(f"{class_names[k]} {probs[k]:.3f}" for k in top)


def _full_weights(analysis, attention: np.ndarray) -> np.ndarray:
    """Attention over the real tokens placed at their positions of the analysis arrays (SOS/EOS get 0)."""
    weights = np.zeros(analysis.results["attention"].shape[1])
    weights[1 : 1 + len(attention)] = attention
    return weights


def instance_record(result, row: int, epsilons=(0.01, 0.05), why: str = "") -> dict:
    """Everything the explorer shows of analysed instance ``row`` of ``result`` (a :class:`attnlib.book.experiments.Result`).

    The output under each adversary is computed by decoding the run's cached states with it.

    Returns
    -------
    dict (JSON-ready) with ``experiment, index, why, tokens, question, gold, prediction, output, tau,
    rows`` (colour levels of attention, gradient and leave-one-out) and ``adversaries`` (per ε: levels, JSD,
    output TVD and output).
    """
    analysis, names = result.analysis, result.class_names
    table = analysis.instances
    importance = analysis.importance(row)
    adversaries = {f"{e:g}": analysis.adversary(row, e) for e in epsilons}
    test = result.run.dataset.split(analysis.config.split).subset(analysis.indices[[row]])
    weights = np.stack([_full_weights(analysis, attention) for attention, _, _ in adversaries.values()])
    repeated = test.subset(np.zeros(len(weights), dtype=int))
    outputs = outputs_with_attention(result.run.model, repeated, weights, device=result.run.device)
    question = None
    if test.questions is not None:
        decoded = result.run.dataset.vocab.decode(test.questions[0])
        question = " ".join(t for t in decoded if t not in ("<SOS>", "<EOS>"))
    return {
        "experiment": result.label,
        "index": int(table["index"][row]),
        "why": why,
        "tokens": [str(t) for t in analysis.tokens[row]],
        "question": question,
        "gold": names[int(table["label"][row])],
        "prediction": names[int(table["prediction"][row])],
        "output": _output_text(analysis.results["probs"][row], names),
        "tau": {"gradient": float(table["tau_attention_gradient"][row]),
                "loo": float(table["tau_attention_loo"][row])},
        "rows": {key: levels(importance[key]) for key, _ in IMPORTANCE_ROWS},
        "adversaries": {
            key: {"levels": levels(attention), "jsd": round(jsd, 4), "tvd": round(tvd, 4),
                  "output": _output_text(output, names)}
            for (key, (attention, jsd, tvd)), output in zip(adversaries.items(), outputs)
        },
    }


def pick_rows(instances: pd.DataFrame, n: int = 24, epsilon: float = 0.01, max_length: int = 120) -> list[tuple[int, str]]:
    """``n`` analysed instances that show the range of the results, each with the reason it was picked.

    Taken in turn from four orderings — highest τ(attention, gradient), lowest τ, largest and smallest
    max JSD within ``epsilon`` — among texts of 5 to ``max_length`` tokens (the shortest texts when fewer
    than ``2 n`` are in that range), skipping repeats.

    Returns
    -------
    list of (row, reason), at most ``n`` (fewer only when fewer instances were analysed).
    """
    frame = instances.reset_index(drop=True)
    pool = frame[(frame.length >= SHORTEST_EXAMPLE) & (frame.length <= max_length)]
    if len(pool) < 2 * n:
        pool = frame.sort_values("length", kind="stable").head(4 * n)
    jsd = max_jsd_column(epsilon)
    orderings = [
        ("high τ(attention, gradient)", pool["tau_attention_gradient"].dropna().sort_values(ascending=False, kind="stable")),
        ("low τ(attention, gradient)", pool["tau_attention_gradient"].dropna().sort_values(ascending=True, kind="stable")),
        (f"large adversarial JSD (ε = {epsilon:g})", pool[jsd].sort_values(ascending=False, kind="stable")),
        (f"small adversarial JSD (ε = {epsilon:g})", pool[jsd].sort_values(ascending=True, kind="stable")),
    ]
    cursors = [(reason, iter(order.index)) for reason, order in orderings]
    picked: dict[int, str] = {}
    while len(picked) < n and cursors:
        for entry in list(cursors):
            reason, cursor = entry
            row = next((int(r) for r in cursor if int(r) not in picked), None)
            if row is None:
                cursors.remove(entry)
                continue
            picked[row] = reason
            if len(picked) >= n:
                break
    return list(picked.items())


def instance_html(record: dict, epsilon_key: str) -> str:
    """The HTML of one record with the adversary of ε = ``epsilon_key`` (what ``explorer.js`` draws too)."""
    def tokens(level_string):
        return " ".join(f'<span class="l{level}">{html.escape(token)}</span>' if level != "-" else html.escape(token)
                        for token, level in zip(record["tokens"], level_string))

    adversary = record["adversaries"][epsilon_key]
    rows = [("attention", f"output: {record['output']}", record["rows"]["attention"]),
            ("gradient", f"τ with attention {record['tau']['gradient']:.2f}", record["rows"]["gradient"]),
            ("leave-one-out", f"τ with attention {record['tau']['loo']:.2f}", record["rows"]["loo"]),
            (f"adversarial attention, ε = {epsilon_key}",
             f"JSD {adversary['jsd']:.3f} · output: {adversary['output']} (TVD {adversary['tvd']:.3f})",
             adversary["levels"])]
    question = (f'<div class="attnlib-x-question">question / hypothesis: {html.escape(record["question"])}</div>'
                if record.get("question") else "")
    body = "".join(f'<tr><th>{html.escape(name)}<div class="attnlib-x-note">{html.escape(note)}</div></th>'
                   f'<td class="attnlib-x-tokens">{tokens(level_string)}</td></tr>'
                   for name, note, level_string in rows)
    why = f" · picked for: {html.escape(record['why'])}" if record.get("why") else ""
    return (f'<div class="attnlib-x-meta">{html.escape(record["experiment"])} · test instance {record["index"]}'
            f' · gold: {html.escape(record["gold"])} · predicted: {html.escape(record["prediction"])}{why}</div>'
            f'{question}<table class="attnlib-x-rows">{body}</table>')


def static_records(results, n: int = 24, epsilons=(0.01, 0.05), max_length: int = 120, progress: bool = False) -> dict:
    """Pre-computed records of ``n`` picked instances per experiment: ``{experiment label: [record, ...]}``."""
    from tqdm.auto import tqdm

    chosen = {}
    for result in tqdm(results, desc="explorer instances", disable=not progress):
        picks = pick_rows(result.analysis.instances, n, epsilons[0], max_length)
        chosen[result.label] = [instance_record(result, row, epsilons, why) for row, why in picks]
    return chosen


def static_explorer_html(records: dict, epsilons=(0.01, 0.05), live_hint: str = "") -> str:
    """A self-contained HTML fragment stepping through ``records`` (:func:`static_records`) without a kernel."""
    payload = json.dumps({"epsilons": [f"{e:g}" for e in epsilons], "experiments": records}, ensure_ascii=False,
                         separators=(",", ":"))
    ident = "attnlib-explorer-" + hashlib.sha256(payload.encode()).hexdigest()[:12]
    script = resources.files(__package__).joinpath("static/explorer.js").read_text()
    data = payload.replace("</", "<\\/")  # keep "</script>" inside the data from closing the tag
    hint = f'<div class="attnlib-x-hint">{html.escape(live_hint)}</div>' if live_hint else ""
    return (f'<div class="attnlib-x attnlib-x-static" id="{ident}"><style>{stylesheet()}</style>{hint}'
            f'<noscript>The explorer needs JavaScript.</noscript>'
            f'<script type="application/json" class="attnlib-x-data">{data}</script>'
            f'<script>{script}\nattnlibExplorer(document.getElementById("{ident}"));</script></div>')


def static_explorer(results, n: int = 24, epsilons=(0.01, 0.05), live_hint: str = "", progress: bool = False):
    """:func:`static_explorer_html` of :func:`static_records`, as an IPython ``HTML`` object."""
    from IPython.display import HTML

    return HTML(static_explorer_html(static_records(results, n, epsilons, progress=progress), epsilons, live_hint))


class Explorer:
    """The live explorer (ipywidgets) over analysed results (a list of :class:`attnlib.book.experiments.Result`).

    Attributes
    ----------
    controls : dict of str to widget
        ``experiment`` (Dropdown), ``search`` (Text, a word the text must contain), ``order`` (Dropdown of
        :data:`ORDERS`), ``instance`` (Dropdown of analysed rows), ``epsilon`` (FloatSlider).
    view : ipywidgets.HTML
        The current instance, drawn by :func:`instance_html`.
    widget : ipywidgets.VBox
        Everything, for ``display``.
    """

    MAX_OPTIONS = 500

    def __init__(self, results, epsilon: float = 0.01):
        import ipywidgets as widgets

        if not results:
            raise ValueError("Explorer needs at least one analysed result; pass attnlib.book.experiments.train_and_analyse(...)")
        self.results = {r.label: r for r in results}
        self.controls = {
            "experiment": widgets.Dropdown(options=list(self.results), description="experiment"),
            "search": widgets.Text(placeholder="a word, e.g. great", description="contains"),
            "order": widgets.Dropdown(options=list(ORDERS), description="order"),
            "instance": widgets.Dropdown(description="instance", layout=widgets.Layout(width="95%")),
            "epsilon": widgets.FloatSlider(value=epsilon, min=0.001, max=0.2, step=0.001, readout_format=".3f",
                                           description="ε"),
        }
        self.status = widgets.HTML()
        self.view = widgets.HTML()
        for name in ("experiment", "search", "order"):
            self.controls[name].observe(self._refresh_options, names="value")
        for name in ("instance", "epsilon"):
            self.controls[name].observe(self._redraw, names="value")
        c = self.controls
        self.widget = widgets.VBox([widgets.HBox([c["experiment"], c["order"]]), widgets.HBox([c["search"], c["epsilon"]]),
                                    c["instance"], self.status, self.view])
        self._refresh_options()

    @property
    def result(self):
        return self.results[self.controls["experiment"].value]

    def candidates(self) -> pd.DataFrame:
        """The current experiment's analysed instances that contain the search word, in the chosen order."""
        analysis = self.result.analysis
        frame = analysis.instances.copy()
        frame["adversarial_jsd"] = max_jsd_within(analysis.results["adv_jsd"], analysis.results["adv_tvd"],
                                                  self.controls["epsilon"].value)
        word = self.controls["search"].value.strip().lower()
        if word:
            frame = frame[[word in (t.lower() for t in tokens) for tokens in analysis.tokens]]
        column, ascending = ORDERS[self.controls["order"].value]
        return frame.sort_values(column, ascending=ascending, kind="stable", na_position="last")

    def _refresh_options(self, _change=None) -> None:
        frame = self.candidates()
        tokens = self.result.analysis.tokens
        options = [(f"#{int(item['index'])} · τ {item['tau_attention_gradient']:.2f} · max attention "
                    f"{item['max_attention']:.2f} · {' '.join(tokens[row][:8])}…", int(row))
                   for row, item in frame.head(self.MAX_OPTIONS).iterrows()]
        self.status.value = (f"{len(frame)} of {len(tokens)} analysed instances match"
                             + (f"; the first {self.MAX_OPTIONS} are listed" if len(frame) > self.MAX_OPTIONS else ""))
        instance = self.controls["instance"]
        instance.unobserve(self._redraw, names="value")  # one redraw below, not one per trait change
        instance.options = options
        instance.value = options[0][1] if options else None
        instance.observe(self._redraw, names="value")
        self._redraw()

    def _redraw(self, _change=None) -> None:
        row = self.controls["instance"].value
        if row is None:
            self.view.value = '<div class="attnlib-x">No analysed instance contains that word.</div>'
            return
        epsilon = self.controls["epsilon"].value
        record = instance_record(self.result, row, (epsilon,))
        self.view.value = f'<div class="attnlib-x"><style>{stylesheet()}</style>{instance_html(record, f"{epsilon:g}")}</div>'

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
