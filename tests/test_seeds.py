"""Seed variance: statistics over seeds and the attention JSD between seeds, against direct computations."""
import numpy as np
import pandas as pd
import pytest

from attnlib.explain import jsd
from attnlib.paper.seed_variance import attention_jsd_between_seeds, seed_statistics, statistics_over_seeds


def _summary(tau: float, sig: float) -> pd.DataFrame:
    rows = [{"measure": "tau_attention_gradient", "group": "overall", "mean": tau, "std": 0.1, "sig_frac": sig, "n": 9},
            {"measure": "tau_attention_gradient", "group": "0", "mean": tau - 1, "std": 0.1, "sig_frac": 0.0, "n": 4},
            {"measure": "perm_median_tvd", "group": "overall", "mean": 0.2, "std": 0.1, "sig_frac": np.nan, "n": 9}]
    return pd.DataFrame(rows)


def test_seed_statistics_reads_metrics_and_the_overall_rows():
    values = seed_statistics({"accuracy": 0.8, "macro_f1": 0.79}, _summary(0.3, 0.5))
    assert values["accuracy"] == 0.8 and values["tau_attention_gradient"] == 0.3
    assert values["tau_attention_gradient_sig_frac"] == 0.5 and values["perm_median_tvd"] == 0.2
    assert np.isnan(values["tau_attention_loo"])          # not in the summary: NaN, not an error
    assert seed_statistics({}, _summary(0.3, 0.5), group="0")["tau_attention_gradient"] == pytest.approx(-0.7)


def test_statistics_over_seeds_equal_numpy():
    taus = [0.258, 0.170, 0.241]
    per_seed = pd.DataFrame([{"dataset": "sst", "encoder": "lstm", "attention": "dot", "seed": s,
                              **seed_statistics({"accuracy": 0.8 + s / 100}, _summary(t, 0.5))}
                             for s, t in enumerate(taus)])
    table = statistics_over_seeds(per_seed, ["dataset", "encoder", "attention"]).set_index("statistic")
    row = table.loc["tau_attention_gradient"]
    assert row["mean"] == pytest.approx(np.mean(taus)) and row["std"] == pytest.approx(np.std(taus, ddof=1))
    assert (row["min"], row["max"], row["n_seeds"]) == (min(taus), max(taus), 3)
    assert table.loc["accuracy", "max"] == pytest.approx(0.82)


def test_attention_jsd_between_seeds_matches_instances_by_index():
    rng = np.random.default_rng(0)

    def attention(n, width):
        a = rng.random((n, width))
        a[:, -1] = 0.0                                     # padding
        return a / a.sum(1, keepdims=True)

    a, b, c = attention(4, 5), attention(3, 6), attention(4, 5)
    given = {0: (np.array([1, 3, 5, 7]), a), 1: (np.array([3, 5, 7]), b), 2: (np.array([1, 3, 5, 7]), c)}
    table = attention_jsd_between_seeds(given)
    assert sorted(set(zip(table["seed_a"], table["seed_b"]))) == [(0, 1), (0, 2), (1, 2)]
    assert table["index"].tolist() == [3, 5, 7] * 3                  # only instances every seed analysed
    first = table[(table["seed_a"] == 0) & (table["seed_b"] == 1)]
    expected = [jsd(np.pad(a[i], (0, 1)), b[j]) for i, j in ((1, 0), (2, 1), (3, 2))]
    np.testing.assert_allclose(first["jsd"], expected)
    same = attention_jsd_between_seeds({0: (np.array([1]), a[:1]), 1: (np.array([1]), a[:1])})
    assert same["jsd"].iloc[0] == pytest.approx(0.0, abs=1e-9)


def test_seed_figures_draw_every_seed_and_the_papers_marker():
    import matplotlib.pyplot as plt

    from attnlib import plots

    values = pd.DataFrame({"dataset": "sst", "encoder": ["lstm"] * 3 + ["cnn"] * 3, "attention": "tanh",
                           "seed": [0, 1, 2] * 2, "statistic": "tau_attention_gradient",
                           "value": [0.3, 0.32, 0.31, 0.28, 0.27, 0.29]})
    paper = pd.DataFrame({"dataset": ["sst"], "encoder": ["lstm"], "attention": ["tanh"],
                          "statistic": ["tau_attention_gradient"], "paper": [0.351]})
    fig = plots.seed_spread(values, "tau_attention_gradient", paper)
    collections = fig.axes[0].collections
    assert [len(c.get_offsets()) for c in collections] == [6, 2, 1]
    assert collections[2].get_offsets()[0][0] == pytest.approx(0.351)
    plt.close(fig)
    table = pd.DataFrame({"seed_jsd": [0.01, 0.02, 0.05], "adversarial_jsd": [0.5, 0.6, 0.4]})
    fig = plots.seed_vs_adversary(table, title="sst lstm+tanh")
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert sum(heights) == pytest.approx(2.0)       # two histograms of shares
    plt.close(fig)
    with pytest.raises(ValueError, match="lacks columns"):
        plots.seed_vs_adversary(table.drop(columns="seed_jsd"))
