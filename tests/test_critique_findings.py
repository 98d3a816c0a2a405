"""The critique chapter's findings (attnlib.book.findings.critique): each verdict on tables where it holds and
where it does not, and the plots of the same tables."""
import matplotlib
import numpy as np
import pandas as pd
import pytest

from attnlib import plots
from attnlib.book.critique import CritiqueResults, weights_label
from attnlib.book.findings.critique import (VERDICT_COLUMNS, consistent_adversary_verdict, critique_facts,
                                            critique_findings,
                                            critique_verdicts, diagnostic_verdicts, per_instance_adversary_verdict,
                                            uniform_verdict)
from attnlib.book.findings.rules import clearly_above

matplotlib.use("Agg")


def performance(learned, uniform, encoder="lstm"):
    return pd.DataFrame([{"dataset": "sst", "encoder": encoder, "attention": a, "seed": s, "macro_f1": v}
                         for a, values in (("tanh", learned), ("uniform", uniform)) for s, v in enumerate(values)])


def diagnostic(own, flat, base, adversary):
    scores = {weights_label("learned"): own, weights_label("uniform"): flat, weights_label("imposed"): base,
              weights_label("imposed_adversary", 0.01): adversary}
    return pd.DataFrame([{"dataset": "sst", "weights": w, "seed": s, "macro_f1": v}
                         for w, values in scores.items() for s, v in enumerate(values)])


def divergence(seed_jsd, seed_tvd, adversary_jsd, consistent):
    """``consistent``: {λ: (jsd, tvd)}; every source on the same 20 instances."""
    rows = []
    for index in range(20):
        rows.append({"source": "seed", "lam": np.nan, "jsd": seed_jsd, "tvd": seed_tvd, "index": index})
        rows.append({"source": "per-instance adversary", "lam": np.nan, "jsd": adversary_jsd, "tvd": 0.01,
                     "index": index})
        rows += [{"source": "consistent adversary", "lam": lam, "jsd": j, "tvd": t, "index": index}
                 for lam, (j, t) in consistent.items()]
    return pd.DataFrame(rows).assign(dataset="sst", seed=0)


def adversaries(lams):
    return pd.DataFrame({"dataset": "sst", "lam": lams, "macro_f1": 0.7, "base_macro_f1": 0.8})


def test_clearly_above_needs_a_gap_wider_than_the_seeds_scatter():
    assert clearly_above([0.8, 0.82], [0.7, 0.71])
    assert not clearly_above([0.8, 0.9], [0.78, 0.79])
    assert not clearly_above([0.7], [0.8]) and clearly_above([0.8], [0.7])
    assert not clearly_above([], [0.1])


def test_uniform_verdict_holds_only_when_learned_attention_is_not_clearly_better():
    assert uniform_verdict(performance([0.80, 0.81], [0.80, 0.79]), "sst").holds
    verdict = uniform_verdict(performance([0.90, 0.91], [0.60, 0.62]), "sst")
    assert not verdict.holds and "clearly better" in verdict.sentence and "0.905 (2 seeds: 0.900–0.910)" in verdict.sentence


def test_diagnostic_verdicts_both_ways():
    helps, less = diagnostic_verdicts(diagnostic([0.7, 0.71], [0.6, 0.61], [0.85, 0.86], [0.6, 0.62]), "sst")
    assert helps.holds and less.holds and "adversary λ=0.01" in less.sentence
    helps, less = diagnostic_verdicts(diagnostic([0.7, 0.71], [0.6, 0.61], [0.705, 0.70], [0.71, 0.70]), "sst")
    assert not helps.holds and not less.holds and "do not clearly help" in helps.sentence


def test_per_instance_adversary_verdict_against_the_seed_baseline():
    far = per_instance_adversary_verdict(divergence(0.05, 0.02, 0.4, {}), "sst")
    assert far.holds and "further than another seed for 100% of the instances" in far.sentence
    assert not per_instance_adversary_verdict(divergence(0.5, 0.02, 0.4, {}), "sst").holds


def test_consistent_adversary_needs_more_attention_change_and_no_more_output_change_than_a_seed():
    found = consistent_adversary_verdict(divergence(0.05, 0.02, 0.4, {0.01: (0.3, 0.01), 0.1: (0.6, 0.2)}),
                                         adversaries([0.01, 0.1]), "sst")
    assert found.holds and "λ = 0.01" in found.sentence and "0.700 against the base model's 0.800" in found.sentence
    missed = consistent_adversary_verdict(divergence(0.05, 0.02, 0.4, {0.01: (0.01, 0.01), 0.1: (0.6, 0.2)}),
                                          adversaries([0.01, 0.1]), "sst")
    assert not missed.holds and "no adversary of the λ grid" in missed.sentence


def results():
    return CritiqueResults(pd.concat([performance([0.8, 0.81], [0.8, 0.79]),
                                      performance([0.7, 0.71], [0.6, 0.61], "average")]),
                           diagnostic([0.7, 0.71], [0.6, 0.61], [0.85, 0.86], [0.6, 0.62]),
                           divergence(0.05, 0.02, 0.4, {0.01: (0.3, 0.01), 0.1: (0.6, 0.2)}),
                           adversaries([0.01, 0.1]))


def test_the_verdict_table_and_the_chapter_sentences():
    table = critique_verdicts(results())
    assert list(table.columns) == ["dataset", *VERDICT_COLUMNS]
    assert table.iloc[0][list(VERDICT_COLUMNS)].tolist() == ["yes", "yes", "yes", "yes", "yes"]
    found = critique_findings(results())
    assert found["uniform_tally"].endswith("on 1 of 1 datasets (sst).")
    assert found["uniform_sentences"].data.startswith("* On sst the BiLSTM")
    assert "Average encoder" in found["uniform_sentences"].data
    empty = CritiqueResults(*(pd.DataFrame() for _ in range(4)))
    assert critique_findings(empty)["seed_tally"] == "This build has no critique runs."


def test_the_slide_facts_cite_the_tables_and_say_na_without_a_critique():
    facts = critique_facts(results())
    assert facts["crit_learned_f1"] == "0.805" and facts["crit_uniform_f1"] == "0.795"
    assert (facts["crit_mlp_own"], facts["crit_mlp_uniform"], facts["crit_mlp_imposed"],
            facts["crit_mlp_adversary"]) == ("0.705", "0.605", "0.855", "0.610")
    assert (facts["crit_seed_jsd"], facts["crit_jw_jsd"]) == ("0.050", "0.400")
    assert (facts["crit_uniform_holds"], facts["crit_consistent_holds"], facts["crit_n"]) == ("1", "1", "1")
    assert set(critique_facts(None).values()) == {"n/a"}


@pytest.mark.parametrize("draw", [
    lambda r: plots.score_by_weights(r.performance, ["dataset", "encoder"], "attention"),
    lambda r: plots.score_by_weights(r.diagnostic, ["dataset"], "weights"),
    lambda r: plots.divergence_boxes(r.divergence),
    lambda r: plots.seed_and_adversary_medians(r.divergence),
])
def test_the_critique_figures_draw_every_series(draw):
    fig = draw(results())
    assert fig.axes[0].has_data() and (fig.axes[0].get_legend() is not None or len(fig.axes) == 2)
    matplotlib.pyplot.close(fig)


def test_a_critique_figure_names_the_missing_columns():
    with pytest.raises(ValueError, match="lacks columns"):
        plots.divergence_boxes(pd.DataFrame({"jsd": [0.1]}))
