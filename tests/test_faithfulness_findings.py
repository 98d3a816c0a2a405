"""The faithfulness chapter's sentences, on hand-made tables where each finding goes one way and the other."""
from __future__ import annotations

import pandas as pd
import pytest

from attnlib.book.faithfulness import chapter_choices, is_planted
from attnlib.book.findings.faithfulness import (attention_standing, faithfulness_findings, main_table,
                                                most_faithful_sentence, planted_recovery_sentence, ranking,
                                                yardstick_sentence)
from attnlib.plumbing.errors import ConfigError


def _table(values: dict, dataset="sst", encoder="lstm", metric="comprehensiveness_aopc") -> pd.DataFrame:
    return pd.DataFrame([{"dataset": dataset, "encoder": encoder, "attention": "tanh", "explainer": e,
                          "metric": metric, "value": v, "n": 10} for e, v in values.items()])


def test_ranking_follows_each_measures_direction():
    comprehensive = _table({"attention": 0.2, "integrated_gradients": 0.4, "random": 0.05})
    assert list(ranking(comprehensive, "sst", "lstm", "comprehensiveness_aopc").index) == \
        ["integrated_gradients", "attention", "random"]
    sufficient = _table({"attention": 0.2, "integrated_gradients": -0.1, "random": 0.3}, metric="sufficiency_aopc")
    assert list(ranking(sufficient, "sst", "lstm", "sufficiency_aopc").index) == \
        ["integrated_gradients", "attention", "random"]
    with pytest.raises(ValueError, match="no direction is known for 'seconds_per_100'"):
        ranking(comprehensive, "sst", "lstm", "seconds_per_100")


def test_most_faithful_sentence_both_ways():
    behind = most_faithful_sentence(_table({"attention": 0.2, "integrated_gradients": 0.4, "random": 0.05}), "sst", "lstm")
    assert behind == ("On sst (BiLSTM+tanh) integrated_gradients ranks first by comprehensiveness (AOPC) (0.400); "
                      "attention is 2nd of 3 (0.200), a random order is 3rd of 3 (0.050).")
    ahead = most_faithful_sentence(_table({"attention": 0.5, "integrated_gradients": 0.4, "random": 0.05}), "sst", "lstm")
    assert ahead.startswith("On sst (BiLSTM+tanh) attention ranks first") and "attention is" not in ahead


def test_attention_standing_counts_models_both_ways():
    table = pd.concat([
        _table({"attention": 0.5, "loo": 0.4, "random": 0.1, "gradient": 0.3}, dataset="a"),      # first
        _table({"attention": 0.05, "loo": 0.4, "random": 0.1, "gradient": 0.3}, dataset="b"),     # below random
        _table({"attention": 0.25, "loo": 0.4, "random": 0.1, "gradient": 0.3}, dataset="c"),     # third
    ])
    standing = attention_standing(table)
    assert (standing["models"], standing["first"], standing["in_top"], standing["below_random"]) == (3, 1, 2, 1)
    assert standing["sentence"].startswith("By comprehensiveness (AOPC), attention is the most faithful explainer for "
                                           "1 of 3 models, among the 3 most faithful for 2")
    fourth = {"attention": 0.15, "loo": 0.4, "integrated_gradients": 0.35, "gradient": 0.3, "random": 0.1}
    never = attention_standing(pd.concat([_table(fourth, dataset=d) for d in ("a", "b")]))
    assert never["sentence"] == ("By comprehensiveness (AOPC), attention is the most faithful explainer for none of "
                                 "the 2 models, among the 3 most faithful for none, and less faithful than a random "
                                 "order for none.")


def test_planted_recovery_names_the_best_explainer():
    table = pd.concat([_table({"attention": 0.9, "gradient": 0.6, "random": 0.1}, dataset=d, metric="precision_at_k")
                       for d in ("planted", "planted-long")]
                      + [_table({"attention": 0.1, "gradient": 0.9}, dataset="sst", metric="precision_at_k")])
    sentence = planted_recovery_sentence(table, "lstm")
    assert sentence == ("For the BiLSTM+tanh, attention recovers the planted tokens best (precision at k 0.90, mean "
                        "over 2 planted tasks); gradient 0.60, random 0.10.")
    flipped = table.assign(value=lambda t: t["value"].where(t["explainer"] != "attention", 0.2))
    assert planted_recovery_sentence(flipped, "lstm").startswith("For the BiLSTM+tanh, gradient recovers")
    assert planted_recovery_sentence(table, "cnn") == "No planted task was measured for the CNN."
    one_task = table[table["dataset"] == "planted"]
    tied = one_task.assign(value=lambda t: t["value"].where(t["explainer"] != "gradient", 0.898))
    assert planted_recovery_sentence(tied, "lstm") == (
        "For the BiLSTM+tanh, every explainer but a random order recovers the planted tokens equally well (precision "
        "at k 0.90, on planted); random 0.10.")
    three = pd.concat([tied, _table({"loo": 0.5}, dataset="planted", metric="precision_at_k")])
    assert planted_recovery_sentence(three, "lstm").startswith(
        "For the BiLSTM+tanh, attention and gradient tie for recovering the planted tokens best (precision at k 0.90")
    assert is_planted("planted-joint") and not is_planted("sst")


def test_main_table_and_findings():
    table = pd.concat([_table({"attention": 0.2, "loo": 0.3}),
                       _table({"attention": -0.1, "loo": 0.1}, metric="sufficiency_aopc")])
    wide = main_table(table, "lstm")
    assert list(wide.columns) == ["comprehensiveness_aopc", "sufficiency_aopc"]
    assert wide.loc[("sst", "loo"), "sufficiency_aopc"] == 0.1
    found = faithfulness_findings(table)
    assert found["faith_n_models"] == 1 and "loo ranks first" in found["faith_most_faithful"].data


def test_chapter_choices_check_their_values():
    assert chapter_choices("sst, planted", "lstm", "", "attention,loo", 20) == {
        "datasets": ["sst", "planted"], "encoders": ["lstm"], "explainers": ["attention", "loo"], "limit": 20}
    assert chapter_choices() == {}
    with pytest.raises(ConfigError, match="unknown explainers shap"):
        chapter_choices(explainers="shap")
    with pytest.raises(ConfigError, match="limit"):
        chapter_choices(limit=-1)


def test_yardstick_sentence_both_ways():
    table = pd.concat([
        _table({"attention": 0.1, "gradient": 0.2, "loo": 0.3, "integrated_gradients": 0.4}, dataset="a"),
        _table({"attention": 0.5, "gradient": 0.2, "loo": 0.3, "integrated_gradients": 0.25}, dataset="b"),
        _table({"attention": 0.5, "integrated_gradients": 0.25}, dataset="c"),          # no yardsticks: left out
    ])
    result = yardstick_sentence(table)
    assert (result["models"], result["attention_below"], result["yardstick_below"]) == (2, 1, 1)
    assert result["sentence"] == ("By comprehensiveness (AOPC), attention is less faithful than both of the paper's "
                                  "yardsticks (gradient and leave-one-out) for 1 of 2 models, and the better of the "
                                  "two is itself less faithful than the best of Captum's explainers for 1 of 2.")
    sufficiency = _table({"attention": 0.3, "gradient": 0.2, "loo": 0.1, "integrated_gradients": 0.0},
                         metric="sufficiency_aopc")
    assert yardstick_sentence(sufficiency, "sufficiency_aopc")["attention_below"] == 1


def _lab_table() -> pd.DataFrame:
    """Every metric the figures draw, for two datasets (one planted) and two encoders."""
    from attnlib.faithfulness import ERASURE_FRACTIONS
    from attnlib.faithfulness.measure import metric_name

    rows = []
    for dataset in ("sst", "planted"):
        for encoder in ("lstm", "average"):
            for number, explainer in enumerate(("attention", "integrated_gradients", "random")):
                metrics = {metric_name(k, f): 0.1 * number + f for k in ("comprehensiveness", "sufficiency")
                           for f in ERASURE_FRACTIONS}
                metrics["decision_flip_fraction"] = 0.2 + 0.1 * number
                if dataset == "planted":
                    metrics["precision_at_k"] = 0.3 * number
                rows += [{"dataset": dataset, "encoder": encoder, "attention": "tanh", "explainer": explainer,
                          "metric": m, "value": v, "n": 5} for m, v in metrics.items()]
    return pd.DataFrame(rows)


def test_the_faithfulness_figures_draw_every_explainer():
    import matplotlib.pyplot as plt

    from attnlib import plots

    table = _lab_table()
    fig = plots.erasure_curves(table, "sst", "lstm")
    assert [len(ax.get_lines()) for ax in fig.axes[:2]] == [3 + 1, 3 + 1]        # + the zero line
    assert fig.axes[0].get_lines()[0].get_color() == "black"                     # attention first, in black
    with pytest.raises(ValueError, match="no rows for imdb lstm"):
        plots.erasure_curves(table, "imdb", "lstm")
    fig2 = plots.decision_flip_dots(table)
    assert len(fig2.axes) == 2 and len(fig2.axes[0].collections) == 2            # one marker series per encoder
    fig3 = plots.planted_recovery(table)
    assert fig3.axes[0].get_images()[0].get_array().shape == (3, 2)
    with pytest.raises(ValueError, match="no auprc rows"):
        plots.planted_recovery(table, metric="auprc")
    plt.close("all")
