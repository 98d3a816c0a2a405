"""Exercises for reading groups: change one parameter of a chapter, predict, then check what happens.

Each :class:`Exercise` names the chapter and the parameter to change, asks a question, states the observation
to expect, and says how to check it: one summary measure of two experiments (the chapter's setting and the
changed one) and the direction it should move. :func:`run_exercise` trains and analyses both experiments
with a preset's settings (re-using cached runs) and reports whether the expected observation holds. The
guide chapter renders these definitions and the test suite runs every one with the ``quick`` preset.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..book import get_preset, run_experiment
from ..book.chapter import chapter_command
from ..book.display import readable
from ..plumbing.errors import ConfigError


@dataclass(frozen=True)
class Exercise:
    """One exercise.

    Attributes
    ----------
    key : str
    chapter : str
        The chapter (``book/<chapter>.ipynb``) whose parameters the reader changes.
    change : dict of str to (old, new)
        The parameters to change, e.g. ``{"encoder": ("lstm", "average")}``.
    question, expected : str
        What to ask the group, and the observation the re-run should show (with the reason).
    measure : str
        A summary measure (``tau_attention_gradient``, ``perm_median_tvd``, ``adv_max_jsd@0.01``, ...),
        ``uniform_tvd`` (mean output TVD when the attention is replaced by uniform weights) or, for the critique
        chapter, ``consistent_median_jsd`` (the median attention JSD of the model-consistent adversary of the
        changed λ from its base model, over the analysed test instances). With ``explainer``, a metric of the
        faithfulness chapter's table (``precision_at_k``, ``comprehensiveness_aopc`` ...) for that explainer.
    direction : {"higher", "lower"}
        How the measure should move from the chapter's setting to the changed one.
    base : (dataset, encoder, attention)
        The chapter's setting before the change.
    explainer : str, optional
        The faithfulness chapter's explainer whose ``measure`` is compared.
    """

    key: str
    chapter: str
    change: dict
    question: str
    expected: str
    measure: str
    direction: str
    base: tuple[str, str, str] = ("sst", "lstm", "tanh")
    explainer: str | None = None

    @property
    def changed(self) -> tuple[str, str, str]:
        fields = dict(zip(("dataset", "encoder", "attention"), self.base))
        # the faithfulness chapter's parameters are lists (datasets, encoders, attentions); an exercise names one
        fields.update({name.removesuffix("s"): new for name, (_, new) in self.change.items()})
        return fields["dataset"], fields["encoder"], fields["attention"]

    def command(self) -> str:
        """The papermill command that re-runs the chapter with the change."""
        return chapter_command(self.chapter, f"{self.chapter}-{self.key}.ipynb",
                               **{name: new for name, (_, new) in self.change.items()})


EXERCISES = (
    Exercise(
        "average-encoder", "correlation", {"encoder": ("lstm", "average")},
        "Switch the correlation chapter to the Average encoder. What happens to τ between attention and gradients, and why?",
        "τ(attention, gradient) rises: without context each hidden state stands for its own token, so a token's "
        "attention is tied to its effect on the output.",
        "tau_attention_gradient", "higher"),
    Exercise(
        "babi-permutation", "permutation", {"dataset": ("sst", "babi1")},
        "Permute the attention of a bAbI task-1 model instead of an SST model. Does the output move more or less?",
        "More: the answer sits in one sentence of the story, and attention is what picks it out, so shuffling the "
        "weights changes the answer. SST's BiLSTM states already summarise the sentence.",
        "perm_median_tvd", "higher"),
    Exercise(
        "uniform-attention", "discussion", {"dataset": ("sst", "babi1")},
        "Replace the learned attention by uniform weights at test time (the discussion chapter's check, after "
        "Wiegreffe & Pinter). On which task does the output change more?",
        "bAbI-1: averaging every sentence of the story dilutes the one that holds the answer; on SST uniform "
        "weights change the output much less, so manipulating attention there says little.",
        "uniform_tvd", "higher"),
    Exercise(
        "average-permutation", "permutation", {"encoder": ("lstm", "average")},
        "Permute the attention of the Average encoder instead of the BiLSTM on SST. Does the output move more or less?",
        "More: the Average encoder's hidden states carry no context, so which token receives the weight decides "
        "what the decoder reads; each BiLSTM state already summarises much of the sentence.",
        "perm_median_tvd", "higher"),
    Exercise(
        "adversary-lambda", "critique", {"lambdas": ("0.001", "0.1")},
        "Raise λ of the model-consistent adversary (Wiegreffe & Pinter's whole adversarial model) from 0.001 to "
        "0.1. How far does its attention move from the base model's, and what does that cost in its output?",
        "Further: λ weighs the attention KL against the output TVD in the adversary's loss, so a larger λ buys "
        "attention farther from the base model's, paid for with outputs that agree less with the base model's "
        "(compare both with another seed's in the chapter's figure).",
        "consistent_median_jsd", "higher"),
    Exercise(
        "planted-joint-average", "faithfulness",
        {"datasets": ("planted-joint", "planted-joint"), "encoders": ("lstm", "average")},
        "On the planted-joint task the label is the exclusive or of two planted words. Measure the Average encoder "
        "instead of the BiLSTM: does its attention still point at the two words?",
        "Far less: the Average encoder sees each word alone and pools them with weights that sum to one, which cannot "
        "express an exclusive or, so the model does not learn the rule (its accuracy stays near chance) and no "
        "explainer, attention included, has the planted words to find. The BiLSTM reads both words in context.",
        "precision_at_k", "lower", base=("planted-joint", "lstm", "tanh"), explainer="attention"),
)

#: How each exercise's measure is summarised over the analysed test instances (default: the mean).
SUMMARY = {"consistent_median_jsd": "median"}


def get_exercise(key: str) -> Exercise:
    for exercise in EXERCISES:
        if exercise.key == key:
            return exercise
    raise ConfigError(f"unknown exercise {key!r}; choose one of {', '.join(e.key for e in EXERCISES)}")


def measure_value(run, analysis, measure: str) -> float:
    """The value of ``measure`` for one analysed experiment (overall mean over the analysed instances)."""
    if measure == "uniform_tvd":
        from ..explain import tvd, uniform_attention_outputs

        test = run.dataset.split(analysis.config.split).subset(analysis.indices)
        uniform = uniform_attention_outputs(run.model, test, device=run.device)
        return float(tvd(uniform, analysis.results["probs"]).mean())
    row = analysis.summary.query("measure == @measure and group == 'overall'")
    if row.empty:
        raise ConfigError(f"unknown measure {measure!r}; the summary has {', '.join(analysis.summary.measure.unique())}")
    return float(row["mean"].iloc[0])


def _faithfulness_metric(exercise: Exercise, preset: str, setting: tuple[str, str, str], **where) -> float:
    """``exercise``'s faithfulness metric of its explainer for one setting, on the instances the faithfulness chapter
    of ``preset`` measures (its runs and measures are re-used)."""
    from ..book.faithfulness import run_faithfulness

    dataset, encoder, attention = setting
    table = run_faithfulness(preset, datasets=[dataset], encoders=[encoder], attentions=[attention],
                             explainers=[exercise.explainer], **where).table
    chosen = table.loc[(table["metric"] == exercise.measure) & (table["explainer"] == exercise.explainer), "value"]
    if chosen.empty:
        raise ConfigError(f"exercise {exercise.key}: the faithfulness table has no {exercise.measure} of "
                          f"{exercise.explainer}")
    return float(chosen.iloc[0])


def _adversary_jsd(exercise: Exercise, preset: str, **where) -> list[float]:
    """The median attention JSD from the base model of the model-consistent adversaries of the λ before and after
    ``exercise``'s change, on its dataset, from ``preset``'s critique runs (both λ must be in its grid)."""
    from ..book.critique import run_critique

    if get_preset(preset).critique is None:
        raise ConfigError(f"exercise {exercise.key} needs the critique runs; preset {preset!r} has none")
    divergence = run_critique(preset, datasets=[exercise.base[0]], **where).divergence
    consistent = divergence[divergence["source"] == "consistent adversary"]
    values = []
    for lam in map(float, exercise.change["lambdas"]):
        chosen = consistent.loc[consistent["lam"] == lam, "jsd"]
        if chosen.empty:
            raise ConfigError(f"exercise {exercise.key}: λ = {lam:g} is not in the {preset} preset's critique grid "
                              f"({', '.join(f'{v:g}' for v in sorted(consistent['lam'].unique()))})")
        values.append(float(chosen.median()))
    return values


def run_exercise(exercise: Exercise | str, preset: str = "quick", *, data_dir=None, runs_dir=None,
                 device: str = "auto", seed: int = 0, progress: bool = False) -> dict:
    """Run both experiments of ``exercise`` with ``preset``'s settings and check the expected observation.

    Returns
    -------
    dict with ``key``, ``measure``, ``before`` and ``after`` (the measure of the chapter's setting and of the
    changed one), ``direction`` and ``holds`` (whether it moved that way).
    """
    exercise = get_exercise(exercise) if isinstance(exercise, str) else exercise
    chosen = get_preset(preset)
    if exercise.measure == "consistent_median_jsd":
        values = _adversary_jsd(exercise, preset, data_dir=data_dir, runs_dir=runs_dir, device=device,
                                progress=progress)
    elif exercise.explainer is not None:
        values = [_faithfulness_metric(exercise, preset, setting, data_dir=data_dir, runs_dir=runs_dir,
                                       device=device, progress=progress)
                  for setting in (exercise.base, exercise.changed)]
    else:
        values = []
        for setting in (exercise.base, exercise.changed):
            run, analysis = run_experiment(chosen.experiment(*setting, seed=seed), data_dir=data_dir,
                                           runs_dir=runs_dir, device=device, progress=progress)
            values.append(measure_value(run, analysis, exercise.measure))
    before, after = values
    holds = after > before if exercise.direction == "higher" else after < before
    return {"key": exercise.key, "measure": exercise.measure, "before": before, "after": after,
            "direction": exercise.direction, "holds": bool(holds)}


def _measure_label(exercise: Exercise) -> str:
    label = readable(exercise.measure)
    return label if exercise.explainer is None else f"{label} of {readable(exercise.explainer)}"


def exercises_html(answers: list[dict], preset: str, exercises=EXERCISES) -> str:
    """The guide's exercises as HTML: each question, the change and its command, then the expected observation and
    the measured answer (``answers``: :func:`run_exercise` of each exercise, in order) in folds."""
    import html

    parts = []
    for number, (exercise, answer) in enumerate(zip(exercises, answers), start=1):
        change = ", ".join(f"<code>{name}</code>: <code>{old}</code> → <code>{new}</code>"
                           for name, (old, new) in exercise.change.items())
        verdict = "as expected" if answer["holds"] else "not as expected — a different outcome worth discussing"
        parts.append(
            f"<h3>Exercise {number}</h3><p>{html.escape(exercise.question)}</p>"
            f"<p>Chapter: <em>{exercise.chapter}</em>; change {change}; "
            f"run <code>{html.escape(exercise.command())}</code></p>"
            f"<details><summary>Expected observation</summary><p>{html.escape(exercise.expected)}</p></details>"
            f"<details><summary>Measured with the {html.escape(preset)} preset</summary><p>"
            f"{html.escape(_measure_label(exercise))} ({SUMMARY.get(exercise.measure, 'mean')} over the analysed "
            "test instances): "
            f"{answer['before']:.3f} before, {answer['after']:.3f} after the change ({answer['direction']} "
            f"expected): {verdict}.</p></details>")
    return "".join(parts)
