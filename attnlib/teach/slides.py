"""A reading-group slide deck of the reproduced results: one self-contained reveal.js HTML file.

The deck follows the outline of a reading-group presentation of the paper — summary, method (two tests),
datasets, correlation, Kendall τ explained, the τ histograms, permuting attention, adversarial attention,
more adversarial examples, conclusions — and closes with the critique of Wiegreffe & Pinter (2019). Its
figures and numbers come from the same cached runs and analyses as the book (:func:`attnlib.book.experiments.train_and_analyse`);
the prose exists in English and Japanese (``lang="en"`` or ``"ja"``); every slide has speaker notes (press
``S`` in the deck). reveal.js is taken from its pinned npm package (:mod:`attnlib.book.assets`) and inlined with
the figures (PNG data URIs), so the file opens from disk with no network.
"""
from __future__ import annotations

import base64
import html
import io
import tarfile
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau

from ..book.assets import REVEAL, fetch_tarball
from ..book.figures import example_row, importance_rows
from ..book.findings.critique import critique_facts
from ..book.findings.data_models import scores_against_paper
from ..book.findings.rules import FAR_JSD, average_against_bilstm
from ..data import is_classification
from ..explain import max_jsd_column
from ..plumbing.errors import ConfigError
from ..plumbing.io import atomic_path

LANGUAGES = ("en", "ja")

#: The ε of the deck's adversarial numbers and figures (the paper's text, for classification).
DECK_EPSILON = 0.01


@dataclass(frozen=True)
class Slide:
    """One slide: a title, bullet points (``str.format`` templates over the deck's facts), speaker notes."""

    key: str
    title: str
    bullets: tuple[str, ...]
    notes: str


def _slides(lang: str) -> list[Slide]:
    return [Slide(key, *TEXT[lang][key]) for key in OUTLINE]


#: The reading-group outline, in order; the text of each slide is in ``slide_text/<lang>.toml``.
OUTLINE = ("title", "summary", "method", "datasets", "correlation", "kendall", "histograms", "permutation",
           "adversarial", "examples", "conclusions", "critique")


def _read_text(lang: str) -> dict[str, tuple[str, tuple[str, ...], str]]:
    table = tomllib.loads(resources.files(__package__).joinpath(f"slide_text/{lang}.toml").read_text(encoding="utf-8"))
    missing = [key for key in OUTLINE if key not in table]
    if missing:
        raise ConfigError(f"slide_text/{lang}.toml lacks the slides {missing}")
    return {key: (table[key]["title"], tuple(table[key]["bullets"]), table[key]["notes"]) for key in OUTLINE}


TEXT = {lang: _read_text(lang) for lang in LANGUAGES}
"""Each language's slides: key to (title, bullet templates, speaker notes)."""


def _png(fig) -> str:
    """A matplotlib figure as a base64 PNG ``<img>`` (the figure is closed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def featured(results, n: int = 4):
    """Up to ``n`` results for the figure slides: the BiLSTM+tanh experiments (else the first configuration)."""
    lstm = [r for r in results if (r.encoder, r.attention) == ("lstm", "tanh")]
    chosen = lstm or [r for r in results if (r.encoder, r.attention) == (results[0].encoder, results[0].attention)]
    return chosen[:n]


def deck_facts(results, preset: str, critique=None) -> dict:
    """The numbers the slides' text refers to, computed from ``results`` and, for the critique slide, from
    ``critique`` (:class:`attnlib.book.critique.CritiqueResults`; ``None``: its numbers read "n/a")."""
    from ..book import tables

    correlation = tables.correlation_table(results)
    tau = correlation[correlation.measure == "tau_attention_gradient"]
    instances = tables.all_instances(results)

    def mean_over(frame, encoder, column):
        values = frame.loc[(frame.encoder == encoder) & (frame.attention == "tanh"), column]
        return float(values.mean()) if len(values) else float("nan")

    def paper_mean(encoder):
        value = mean_over(tau.dropna(subset=["paper_mean"]), encoder, "paper_mean")
        return "n/a" if np.isnan(value) else f"{value:.2f}"

    closeness = scores_against_paper(tables.performance_table(results))
    tau_above = average_against_bilstm(tau, "ours_mean", higher=True)
    perm = tables.summary_table(results, "perm_median_tvd")
    jsd = tables.summary_table(results, max_jsd_column(DECK_EPSILON))
    lstm = instances[(instances.encoder == "lstm") & (instances.attention == "tanh")]
    toy_attention, toy_gradient = np.array([0.40, 0.25, 0.15, 0.12, 0.08]), np.array([0.30, 0.05, 0.35, 0.20, 0.10])
    pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    signs = [np.sign((toy_attention[i] - toy_attention[j]) * (toy_gradient[i] - toy_gradient[j])) for i, j in pairs]
    return {
        "preset": preset, "n_experiments": len(results),
        "datasets": ", ".join(dict.fromkeys(r.dataset for r in results)),
        "n_permutations": results[0].analysis.config.n_permutations,
        "tau_lstm": mean_over(tau, "lstm", "ours_mean"), "tau_average": mean_over(tau, "average", "ours_mean"),
        "tau_lstm_paper": paper_mean("lstm"), "tau_average_paper": paper_mean("average"),
        "perm_lstm_cls": mean_over(perm[perm.dataset.map(is_classification)], "lstm", "mean"),
        "perm_lstm_qa": mean_over(perm[~perm.dataset.map(is_classification)], "lstm", "mean"), "jsd_lstm": mean_over(jsd, "lstm", "mean"),
        "jsd_average": mean_over(jsd, "average", "mean"),
        "epsilon": DECK_EPSILON, "far_jsd": FAR_JSD,
        "share_far": float((lstm[max_jsd_column(DECK_EPSILON)] > FAR_JSD).mean()) if len(lstm) else float("nan"),
        "perf_close": closeness["n_close"], "perf_compared": closeness["n_compared"],
        "test_tolerance": closeness["test_tolerance"],
        "tau_average_above": tau_above.hits, "tau_both": tau_above.n,
        "toy_attention": " ".join(f"{v:.2f}" for v in toy_attention),
        "toy_gradient": " ".join(f"{v:.2f}" for v in toy_gradient),
        "toy_c": sum(s > 0 for s in signs), "toy_d": sum(s < 0 for s in signs),
        "toy_tau": float(kendalltau(toy_attention, toy_gradient)[0]),
        **critique_facts(critique),
    }


def _tables(results) -> dict[str, str]:
    """The deck's two tables as HTML: test performance and mean τ, ours (paper)."""
    from ..book import tables

    performance = tables.performance_table(results)
    performance["ours (paper)"] = [tables.ours_paper(o, p) for o, p in zip(performance.ours, performance.paper)]
    performance = performance.pivot_table(index="dataset", columns="encoder", values="ours (paper)", aggfunc="first",
                                          sort=False)
    correlation = tables.correlation_table(results)
    correlation["value"] = [tables.ours_paper(o, p) for o, p in zip(correlation.ours_mean, correlation.paper_mean)]
    correlation["column"] = correlation.encoder + " " + correlation.measure.map(
        {"tau_attention_gradient": "τ(attn, grad)", "tau_attention_loo": "τ(attn, LOO)"})
    correlation = correlation.pivot_table(index="dataset", columns="column", values="value", aggfunc="first", sort=False)
    for table in (performance, correlation):
        table.index.name, table.columns.name = None, None
    return {name: table.to_html(border=0, escape=True) for name, table in
            (("datasets", performance), ("correlation", correlation))}


def _figures(results, epsilon: float = DECK_EPSILON) -> dict[str, str]:
    from .. import plots

    shown = featured(results)
    panels = [(r.label, r.analysis.instances, r.class_names) for r in shown]
    figures = {
        "histograms": _png(plots.panel_grid(panels, plots.tau_histogram)),
        "permutation": _png(plots.panel_grid(panels, plots.permutation_violin)),
        "adversarial": _png(plots.panel_grid(panels, plots.adversarial_histogram, epsilon=epsilon)),
    }
    examples = []
    for r in (shown[0], shown[-1]) if len(shown) > 1 else (shown[0],):
        row = example_row(r, epsilon)
        rows, change = importance_rows(r, row, epsilon)
        examples.append(_png(plots.example_heatmap(r.analysis.tokens[row], rows, max_tokens=30, title=(
            f"{r.label} #{int(r.analysis.instances['index'][row])}: output TVD {change:.3f}"))))
    figures["examples"] = f'<div class="figure two">{"".join(examples)}</div>'
    return figures


def _reveal_files() -> dict[str, str]:
    """reveal.js, its stylesheets and the notes plugin, read from the pinned npm package."""
    wanted = {"dist/reset.css", "dist/reveal.css", "dist/theme/white.css", "dist/reveal.js", "plugin/notes/notes.js"}
    with tarfile.open(fetch_tarball(REVEAL)) as tar:
        files = {m.name.removeprefix("package/"): tar.extractfile(m).read().decode("utf-8")
                 for m in tar.getmembers() if m.name.removeprefix("package/") in wanted}
    # The theme imports its web font from a relative folder; the deck is one file, so it uses system fonts.
    files["dist/theme/white.css"] = "\n".join(line for line in files["dist/theme/white.css"].splitlines()
                                              if not line.startswith("@import"))
    return files


def _inline_script(code: str) -> str:
    return "<script>" + code.replace("</script", "<\\/script") + "</script>"


def render_deck(results, preset: str, lang: str = "en", critique=None) -> str:
    """The deck's HTML for analysed ``results`` (a list of :class:`attnlib.book.experiments.Result`) and the
    critique's results of the same preset (``critique``, optional)."""
    if lang not in LANGUAGES:
        raise ConfigError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if not results:
        raise ConfigError("the deck needs at least one analysed experiment")
    facts = deck_facts(results, preset, critique)
    extras = {**_tables(results), **{k: f'<div class="figure">{v}</div>' if k != "examples" else v
                                     for k, v in _figures(results).items()}}
    sections = []
    for slide in _slides(lang):
        heading = f"<h1>{html.escape(slide.title)}</h1>" if slide.key == "title" else f"<h2>{html.escape(slide.title)}</h2>"
        bullets = [html.escape(b.format(**facts)) for b in slide.bullets]
        body = ("".join(f"<p>{b}</p>" for b in bullets) if slide.key == "title"
                else "<ul>" + "".join(f"<li>{b}</li>" for b in bullets) + "</ul>" if bullets else "")
        notes = f'<aside class="notes">{html.escape(slide.notes)}</aside>'
        sections.append(f'<section data-slide="{slide.key}">{heading}{body}{extras.get(slide.key, "")}{notes}</section>')
    files = _reveal_files()
    style = "\n".join(files[name] for name in ("dist/reset.css", "dist/reveal.css", "dist/theme/white.css"))
    style += "\n" + resources.files(__package__).joinpath("static/slides.css").read_text()
    title = html.escape(_slides(lang)[0].title)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f'<style>{style}</style></head><body><div class="reveal"><div class="slides">{"".join(sections)}'
            f'</div></div>{_inline_script(files["dist/reveal.js"])}{_inline_script(files["plugin/notes/notes.js"])}'
            '<script>Reveal.initialize({hash: true, width: 1280, height: 800, plugins: [RevealNotes]});</script>'
            '</body></html>\n')


def build_deck(preset: str = "default", lang: str = "en", out: str | Path | None = None, *, data_dir=None,
               runs_dir=None, device: str = "auto", progress: bool = True, download: bool | None = None) -> Path:
    """Write the deck of ``preset`` (training and analysing what is missing); returns its path.

    ``out`` defaults to ``_build/slides/attnlib-<preset>-<lang>.html``. With ``download`` (default:
    ``$ATTNLIB_DOWNLOAD``) the preset's missing dataset files are downloaded first, as by the book.
    """
    from ..book.build import fetch_preset_data

    if lang not in LANGUAGES:
        raise ConfigError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    fetch_preset_data(preset, data_dir, download=download, progress=progress)
    out = Path(out or Path("_build") / "slides" / deck_name(preset, lang))
    if out.exists() and out.is_dir():
        raise ConfigError(f"{out} is a directory; pass --out with a file name such as {out / 'deck.html'}")
    results = _deck_results(preset, data_dir=data_dir, runs_dir=runs_dir, device=device, progress=progress)
    _write_deck(out, results, preset, lang)
    return out


def deck_name(preset: str, lang: str) -> str:
    """The file name of a deck: ``attnlib-<preset>-<lang>.html``."""
    return f"attnlib-{preset}-{lang}.html"


#: Where the book's build puts the decks, inside its HTML folder (the guide links to them).
BOOK_DECKS = "slides"


def build_book_decks(preset: str, html: str | Path, *, data_dir=None, runs_dir=None, device: str = "auto",
                     progress: bool = True) -> list[Path]:
    """Write every language's deck of ``preset`` into ``<html>/slides/`` (:data:`BOOK_DECKS`), for the book the
    ``attnlib book`` command has just built in ``html``; returns their paths."""
    results = _deck_results(preset, data_dir=data_dir, runs_dir=runs_dir, device=device, progress=progress)
    decks = [Path(html) / BOOK_DECKS / deck_name(preset, lang) for lang in LANGUAGES]
    for deck, lang in zip(decks, LANGUAGES):
        _write_deck(deck, results, preset, lang)
    return decks


def deck_links(preset: str, page_depth: int = 2) -> str:
    """HTML links to the book's decks of ``preset`` from a chapter page ``page_depth`` folders below the HTML root
    (chapters are in ``book/executed/``)."""
    names = {"en": "the English deck", "ja": "日本語のスライド"}
    up = "../" * page_depth
    links = " · ".join(f'<a href="{up}{BOOK_DECKS}/{deck_name(preset, lang)}">{html.escape(names[lang])}</a>'
                       for lang in LANGUAGES)
    return f'<p class="attnlib-decks">Slides of the <code>{html.escape(preset)}</code> preset: {links}</p>'


def _deck_results(preset: str, **where) -> tuple:
    """The seed-0 results of ``preset`` and its critique's results (None when it has no critique settings)."""
    from ..book import experiments
    from ..book.build import no_data_message
    from ..book.critique import run_critique
    from ..book.presets import get_preset

    results = experiments.one_seed(experiments.train_and_analyse(preset, **where))
    if not results:
        raise ConfigError(no_data_message(preset, where.get("data_dir")))
    critique = run_critique(preset, **where) if get_preset(preset).critique is not None else None
    return results, critique


def _write_deck(out: Path, found: tuple, preset: str, lang: str) -> None:
    results, critique = found
    with atomic_path(out) as tmp:
        tmp.write_text(render_deck(results, preset, lang, critique), encoding="utf-8")


__all__ = ["BOOK_DECKS", "LANGUAGES", "OUTLINE", "TEXT", "build_book_decks", "build_deck", "deck_facts", "deck_links",
           "deck_name", "render_deck"]
