"""attnlib.plots: each figure's structure, per-class normalisation, `ax` handling, styling and errors."""
import doctest

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from attnlib import plots  # noqa: E402
from attnlib.plots.synthetic import synthetic_instances  # noqa: E402

INSTANCE_PLOTS = {
    "tau_histogram": lambda df, **kw: plots.tau_histogram(df, **kw),
    "tau_densities": lambda df, **kw: plots.tau_densities(df, ax=kw.get("ax")),
    "permutation_violin": lambda df, **kw: plots.permutation_violin(df, **kw),
    "adversarial_histogram": lambda df, **kw: plots.adversarial_histogram(df, **kw),
    "adversarial_violin": lambda df, **kw: plots.adversarial_violin(df, **kw),
}


def make_instances(n=300, n_classes=2, seed=0):
    """A random per-instance frame, built here independently of attnlib.plots.synthetic.synthetic_instances."""
    rng = np.random.default_rng(seed)
    tau = rng.uniform(-1, 1, size=(n, 3))
    tau[rng.random(size=(n, 3)) < 0.03] = np.nan  # constant importance vectors give NaN τ
    tau[0, 0] = 1.0  # the closed right edge of the last bin
    jsd = rng.uniform(0, np.log(2), size=(n, 2))
    return pd.DataFrame({
        "index": np.arange(n),
        "label": rng.integers(0, n_classes, size=n),
        "prediction": np.arange(n) % n_classes,  # every class occurs
        "length": rng.integers(2, 50, size=n),
        "max_attention": rng.uniform(1e-3, 1.0, size=n),
        "tau_attention_gradient": tau[:, 0], "p_attention_gradient": rng.random(n),
        "tau_attention_loo": tau[:, 1], "p_attention_loo": rng.random(n),
        "tau_gradient_loo": tau[:, 2], "p_gradient_loo": rng.random(n),
        "perm_median_tvd": rng.beta(1, 5, size=n),
        "adv_max_jsd@0.01": jsd[:, 0],
        "adv_max_jsd@0.05": np.maximum(jsd[:, 0], jsd[:, 1]),
    })


@pytest.fixture(autouse=True)
def no_figures_left():
    """Every test starts and ends with no open figure."""
    plt.close("all")
    yield
    leftover = plt.get_fignums()
    plt.close("all")
    assert leftover == [], f"figures left open: {leftover}"


def new_figure_only(call):
    """Run `call`; check it opened exactly one figure, the one it returned; close it and return it."""
    before = set(plt.get_fignums())
    fig = call()
    opened = set(plt.get_fignums()) - before
    assert isinstance(fig, Figure)
    assert opened == {fig.number}
    plt.close(fig)
    return fig


def bar_containers(ax):
    return [c for c in ax.containers if isinstance(c, BarContainer)]


# ------------------------------------------------------------------------------------------------ histograms

@pytest.mark.parametrize("n_classes, n_groups", [(1, 1), (2, 2), (3, 3), (4, 1), (10, 1)])
@pytest.mark.parametrize("pair", list(plots.TAU_PAIRS))
def test_tau_histogram_bars_per_class_sum_to_one(n_classes, n_groups, pair):
    df = make_instances(n_classes=n_classes)
    fig = new_figure_only(lambda: plots.tau_histogram(df, pair=pair))
    ax, = fig.axes
    containers = bar_containers(ax)
    assert len(containers) == n_groups
    assert len(ax.patches) == 30 * n_groups
    tau = df[f"tau_{pair}"].to_numpy()
    for k, container in enumerate(containers):
        heights = np.array([bar.get_height() for bar in container])
        assert heights.shape == (30,)
        assert heights.sum() == pytest.approx(1.0)
        values = tau if n_groups == 1 else tau[df["prediction"].to_numpy() == k]
        values = values[np.isfinite(values)]
        expected, _ = np.histogram(values, bins=np.linspace(-1, 1, 31))
        np.testing.assert_allclose(heights, expected / len(values))
    bars = [bar for container in containers for bar in container]
    assert min(b.get_x() for b in bars) >= -1.0 and max(b.get_x() + b.get_width() for b in bars) <= 1.0
    assert ax.get_xlim() == (-1.0, 1.0)
    assert ax.get_xlabel() == f"Kendall τ ({plots.TAU_PAIRS[pair]})"


def test_tau_histogram_class_names_legend_and_mean_lines():
    df = make_instances(n_classes=2)
    fig = plots.tau_histogram(df, class_names=["negative", "positive"])
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0].startswith("negative (n=") and texts[1].startswith("positive (n=")
    assert ax.get_legend().get_title().get_text() == "predicted class"
    n_nan = int(df.loc[df.prediction == 0, "tau_attention_gradient"].isna().sum())
    assert f"{n_nan} NaN dropped" in texts[0]
    means = sorted(line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == "--")
    expected = sorted(df.groupby("prediction")["tau_attention_gradient"].mean())
    np.testing.assert_allclose(means, expected)
    plt.close(fig)


@pytest.mark.parametrize("n_classes, n_groups", [(2, 2), (3, 3), (10, 1)])
@pytest.mark.parametrize("epsilon", [0.01, 0.05])
def test_adversarial_histogram_bars_per_class_sum_to_one(n_classes, n_groups, epsilon):
    df = make_instances(n_classes=n_classes)
    fig = new_figure_only(lambda: plots.adversarial_histogram(df, epsilon=epsilon))
    ax, = fig.axes
    containers = bar_containers(ax)
    assert len(ax.patches) == 40 * n_groups == 40 * len(containers)
    for container in containers:
        assert sum(bar.get_height() for bar in container) == pytest.approx(1.0)
    assert ax.get_xlim() == (0.0, 0.7)
    assert f"ε = {epsilon:g}" in ax.get_xlabel()


def test_adversarial_epsilon_matches_float_columns_and_unknown_epsilon_lists_available():
    df = make_instances()
    plt.close(plots.adversarial_histogram(df, epsilon=0.05000000000001))
    for plot in (plots.adversarial_histogram, plots.adversarial_violin):
        with pytest.raises(ValueError, match=r"epsilon=0\.1.*available epsilons: 0\.01, 0\.05"):
            plot(df, epsilon=0.1)
        with pytest.raises(ValueError, match="available epsilons: none"):
            plot(df.drop(columns=["adv_max_jsd@0.01", "adv_max_jsd@0.05"]))
        with pytest.raises(TypeError, match="epsilon"):
            plot(df, epsilon="0.01")


def test_empty_class_after_nan_drop_gives_zero_bars():
    df = make_instances(n_classes=2)
    df.loc[df.prediction == 1, "tau_attention_gradient"] = np.nan
    fig = plots.tau_histogram(df)
    heights = [[bar.get_height() for bar in c] for c in bar_containers(fig.axes[0])]
    assert sum(heights[0]) == pytest.approx(1.0) and sum(heights[1]) == 0.0
    plt.close(fig)


# ------------------------------------------------------------------------------------------------ densities

def test_tau_densities_three_line_styles_over_minus_one_to_one():
    df = make_instances(n=400)
    fig = new_figure_only(lambda: plots.tau_densities(df))
    ax, = fig.axes
    lines = ax.get_lines()
    assert [line.get_linestyle() for line in lines] == ["-", "--", ":"]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("attention vs leave-one-out (n=")
    assert labels[1].startswith("attention vs gradient (n=")
    assert labels[2].startswith("gradient vs leave-one-out (n=")
    assert f"(n={df['tau_attention_loo'].notna().sum()})" in labels[0]  # NaN dropped
    for line in lines:
        x, y = line.get_xdata(), line.get_ydata()
        assert x[0] == -1.0 and x[-1] == 1.0 and np.all(y >= 0)
        assert np.trapezoid(y, x) == pytest.approx(1.0, abs=0.2)  # most mass inside [−1, 1]
    assert ax.get_xlim() == (-1.0, 1.0)


def test_tau_densities_degenerate_pair_has_no_curve():
    df = make_instances()
    df["tau_gradient_loo"] = np.nan
    df["tau_attention_loo"] = 0.5
    fig = plots.tau_densities(df)
    lines = fig.axes[0].get_lines()
    assert len(lines[0].get_xdata()) == 0 and len(lines[2].get_xdata()) == 0
    assert len(lines[1].get_xdata()) > 0
    assert "too few distinct values" in fig.axes[0].get_legend().get_texts()[2].get_text()
    plt.close(fig)


# ------------------------------------------------------------------------------------------------ violins

@pytest.mark.parametrize("plot", ["permutation_violin", "adversarial_violin"])
@pytest.mark.parametrize("n_classes, n_hue", [(2, 2), (3, 3), (10, 1)])
def test_violins_one_per_bin_and_class(plot, n_classes, n_hue):
    df = make_instances(n=400, n_classes=n_classes)
    fig = new_figure_only(lambda: INSTANCE_PLOTS[plot](df))
    ax, = fig.axes
    violins = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(violins) == 4 * n_hue
    assert len(ax.get_lines()) == 3 * len(violins)  # inner="quartile": three quartile lines each
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert [t.split("\n")[0] for t in ticks] == ["[0.75, 1.00]", "[0.50, 0.75)", "[0.25, 0.50)", "[0.00, 0.25)"]
    assert len({v.get_hatch() for v in violins}) == n_hue   # each class has its own pattern, not only a colour
    counts = np.bincount(np.minimum((df["max_attention"] * 4).astype(int), 3), minlength=4)[::-1]
    assert [t.split("\n")[1] for t in ticks] == [f"(n={c})" for c in counts]
    assert ax.get_ylabel() == "max attention weight"
    low, high = ax.get_xlim()
    assert low <= 0.0 and high >= (1.0 if plot == "permutation_violin" else 0.7)
    legend = ax.get_legend()
    if n_hue > 1:
        assert [t.get_text() for t in legend.get_texts()] == [str(k) for k in range(n_classes)]
    else:
        assert legend is None


@pytest.mark.parametrize("plot", ["permutation_violin", "adversarial_violin"])
def test_violin_legend_names_the_papers_crosses(plot):
    df = make_instances(n=200, n_classes=2)
    medians = pd.DataFrame({"bin": ["[0.00, 0.25)", "[0.75, 1.00]"], "group": ["0", "all"], "median": [0.1, 0.2]})
    fig = new_figure_only(lambda: INSTANCE_PLOTS[plot](df, class_names=["neg", "pos"], paper_medians=medians))
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["neg", "pos", "the paper's median"]
    with pytest.raises(ValueError, match="paper_medians has the bin '\\[0.75, 1\\)'"):
        INSTANCE_PLOTS[plot](df, paper_medians=medians.assign(bin="[0.75, 1)"))
    plt.close("all")


def test_violin_empty_and_single_value_bins_do_not_crash():
    df = make_instances(n=200, n_classes=3)
    df["max_attention"] = 0.9  # three bins empty
    df.loc[0, "max_attention"] = 0.3  # one bin with a single instance
    fig = plots.permutation_violin(df, class_names=["a", "b", "c"])
    ax = fig.axes[0]
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 3
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[1].endswith("(n=0)") and ticks[2].endswith("(n=1)") and ticks[3].endswith("(n=0)")
    assert any(len(line.get_xdata()) == 1 for line in ax.get_lines())  # the single instance is shown
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    plt.close(fig)


def test_violin_all_values_nan_draws_empty_axes():
    df = make_instances()
    df["perm_median_tvd"] = np.nan
    fig = plots.permutation_violin(df)
    assert [t.get_text().split("\n")[1] for t in fig.axes[0].get_yticklabels()] == ["(n=0)"] * 4
    plt.close(fig)


# ------------------------------------------------------------------------------------------------ shared behaviour

@pytest.mark.parametrize("name", list(INSTANCE_PLOTS))
def test_draws_on_given_ax_without_new_figure(name):
    df = make_instances(n_classes=3)
    fig, (left, right) = plt.subplots(1, 2)
    before = plt.get_fignums()
    result = INSTANCE_PLOTS[name](df, ax=right)
    assert result is fig and plt.get_fignums() == before
    assert right.has_data() and not left.has_data()
    assert not right.spines["top"].get_visible()
    plt.close(fig)


def test_ax_inside_subfigure_returns_root_figure():
    fig = plt.figure()
    ax = fig.subfigures(1, 2)[1].subplots()
    assert plots.tau_histogram(make_instances(), ax=ax) is fig
    plt.close(fig)


@pytest.mark.parametrize("name", list(INSTANCE_PLOTS))
def test_global_rcparams_unchanged(name):
    before = dict(matplotlib.rcParams)
    fig = INSTANCE_PLOTS[name](make_instances())
    assert fig.get_layout_engine() is not None  # STYLE was active when the figure was made
    plt.close(fig)
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize("name, column", [
    ("tau_histogram", "tau_attention_gradient"), ("tau_histogram", "prediction"),
    ("tau_densities", "tau_gradient_loo"), ("permutation_violin", "max_attention"),
    ("permutation_violin", "perm_median_tvd"), ("adversarial_histogram", "prediction"),
    ("adversarial_violin", "max_attention"),
])
def test_missing_column_lists_missing_and_expected(name, column):
    df = make_instances().drop(columns=[column])
    with pytest.raises(ValueError) as error:
        INSTANCE_PLOTS[name](df)
    message = str(error.value)
    assert f"missing column(s) ['{column}']" in message
    assert "perm_median_tvd" in message.split("per-instance frame has the columns")[1]
    assert plt.get_fignums() == []  # nothing created before failing


@pytest.mark.parametrize("name", list(INSTANCE_PLOTS))
def test_bad_frames_rejected(name):
    with pytest.raises(TypeError, match="DataFrame"):
        INSTANCE_PLOTS[name](make_instances().to_dict())
    with pytest.raises(ValueError, match="no rows"):
        INSTANCE_PLOTS[name](make_instances().iloc[:0])


@pytest.mark.parametrize("name", ["tau_histogram", "permutation_violin", "adversarial_histogram",
                                  "adversarial_violin"])
def test_class_errors(name):
    df = make_instances(n_classes=3)
    with pytest.raises(ValueError, match="has 2 name"):
        INSTANCE_PLOTS[name](df, class_names=["a", "b"])
    with pytest.raises(TypeError, match="class_names"):
        INSTANCE_PLOTS[name](df, class_names="abc")
    df["prediction"] = df["prediction"].astype(float)
    df.loc[3, "prediction"] = 0.5
    with pytest.raises(ValueError, match="integer class indices"):
        INSTANCE_PLOTS[name](df)
    with pytest.raises(TypeError, match="Axes"):
        INSTANCE_PLOTS[name](make_instances(), ax="left")
    assert plt.get_fignums() == []


@pytest.mark.parametrize("name", list(INSTANCE_PLOTS))
def test_nullable_dtypes_with_missing_values(name):
    df = make_instances(n_classes=2)
    df["prediction"] = df["prediction"].astype("Int64")
    for column in ["tau_attention_gradient", "tau_attention_loo", "tau_gradient_loo", "perm_median_tvd",
                   "adv_max_jsd@0.01"]:
        df[column] = df[column].astype("Float64")
        df.loc[1, column] = pd.NA
    plt.close(INSTANCE_PLOTS[name](df))


def test_unknown_pair():
    with pytest.raises(ValueError, match=r"unknown pair 'attention_grad'.*attention_gradient"):
        plots.tau_histogram(make_instances(), pair="attention_grad")


# ------------------------------------------------------------------------------------------------ heat map

def heatmap_rows(n, seed=0):
    rng = np.random.default_rng(seed)
    return {"attention": rng.dirichlet(np.ones(n)), "gradient": rng.random(n),
            "leave-one-out": rng.random(n) - 0.2, "adversarial": rng.dirichlet(np.ones(n))}


def test_example_heatmap_short_example():
    tokens = ["a", "truly", "wonderful", "film", "indeed"]
    rows = heatmap_rows(len(tokens))
    fig = new_figure_only(lambda: plots.example_heatmap(tokens, rows, title="SST #3"))
    ax, colorbar = fig.axes
    assert "scaled to [0, 1]" in colorbar.get_xlabel()
    grid = ax.get_images()[0].get_array()
    assert grid.shape == (4, 5)
    np.testing.assert_allclose(grid.max(axis=1), 1.0)
    assert grid.min() >= 0.0
    np.testing.assert_allclose(grid[0], rows["attention"] / rows["attention"].max())  # ratios kept
    assert grid[2].min() == 0.0  # signed row: min–max
    assert [t.get_text() for t in ax.texts] == tokens * 4
    assert [t.get_text() for t in ax.get_yticklabels()] == list(rows)
    assert ax.get_title() == "SST #3"


def test_example_heatmap_wraps_and_caps_long_examples():
    tokens = [f"tok{i}" for i in range(100)] + ["antidisestablishmentarianism"]
    fig = plots.example_heatmap(tokens, heatmap_rows(len(tokens)))
    ax = fig.axes[0]
    assert len(ax.texts) == 4 * 60
    grid = ax.get_images()[0].get_array()
    assert grid.shape == (4 * 5 - 1, 15)  # 4 lines of 15 tokens, a blank row between lines
    assert "first 60 of 101 tokens" in ax.get_title()
    assert fig.get_size_inches()[0] < 14
    plt.close(fig)
    fig = plots.example_heatmap(tokens[-3:], heatmap_rows(3), tokens_per_line=2)
    assert fig.axes[0].texts[-1].get_text() == "antidises…"
    plt.close(fig)


def test_example_heatmap_given_ax_and_nan_cells():
    fig, ax = plt.subplots()
    rows = {"attention": [0.2, np.nan, 0.8], "constant": [0.0, 0.0, 0.0]}
    assert plots.example_heatmap(["x", "y", "z"], rows, ax=ax) is fig
    grid = ax.get_images()[0].get_array()
    assert grid.mask[0, 1] and list(grid[1]) == [0.0, 0.0, 0.0]
    plt.close(fig)


def test_example_heatmap_errors():
    with pytest.raises(ValueError, match=r"row 'gradient' has shape \(2,\) but there are 3 tokens"):
        plots.example_heatmap(["a", "b", "c"], {"attention": [1, 2, 3], "gradient": [1, 2]})
    with pytest.raises(ValueError, match="non-empty dict"):
        plots.example_heatmap(["a"], {})
    with pytest.raises(TypeError, match="list of strings"):
        plots.example_heatmap("abc", {"attention": [1, 2, 3]})
    with pytest.raises(ValueError, match="tokens_per_line"):
        plots.example_heatmap(["a"], {"attention": [1]}, tokens_per_line=0)


# ------------------------------------------------------------------------------------------------ comparison

def comparison_table():
    return pd.DataFrame({
        "dataset": ["sst", "sst", "imdb", "imdb", "sst", "sst", "imdb"],
        "measure": ["attention vs gradient"] * 4 + ["attention vs LOO"] * 3,
        "source": ["ours", "paper", "ours", "paper", "ours", "paper", "paper"],
        "mean": [0.33, 0.351, 0.45, 0.442, 0.30, np.nan, 0.341],
        "std": [0.2, 0.211, 0.06, 0.057, 0.19, 0.191, 0.065],
        "sig_frac": [0.5, 0.49, 1.0, 1.0, 0.4, 0.36, 1.0],
    })


def test_comparison_bars_groups_sources_and_error_bars():
    table = comparison_table()
    fig = new_figure_only(lambda: plots.comparison_bars(table))
    ax, = fig.axes
    containers = bar_containers(ax)
    assert [c.get_label() for c in containers] == ["ours", "paper"]
    assert len(ax.patches) == 6  # one NaN mean and one absent combination have no bar
    ours = sorted(bar.get_width() for bar in containers[0])
    assert ours == sorted([0.33, 0.45, 0.30])
    assert all(c.errorbar is not None for c in containers)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["sst: attention vs gradient", "imdb: attention vs gradient",
                      "sst: attention vs LOO", "imdb: attention vs LOO"]


def test_comparison_bars_other_value_single_measure_and_given_ax():
    table = comparison_table().iloc[:4].drop(columns=["std"])
    fig, ax = plt.subplots()
    assert plots.comparison_bars(table, value="sig_frac", ax=ax) is fig
    assert [t.get_text() for t in ax.get_yticklabels()] == ["sst", "imdb"]
    assert ax.get_xlabel() == "attention vs gradient: sig_frac"
    assert all(c.errorbar is None for c in bar_containers(ax))
    plt.close(fig)


def test_comparison_bars_errors():
    table = comparison_table()
    with pytest.raises(ValueError, match=r"missing column\(s\) \['std'\]"):
        plots.comparison_bars(table.drop(columns=["std"]))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['median'\]"):
        plots.comparison_bars(table, value="median")
    with pytest.raises(ValueError, match="one row per combination"):
        plots.comparison_bars(pd.concat([table, table.iloc[:1]]))
    assert plt.get_fignums() == []


# ------------------------------------------------------------------------------------------------ misc

def test_synthetic_instances_match_the_input_format():
    df = synthetic_instances(n=50, n_classes=3, seed=4)
    assert tuple(df.columns) == plots.INSTANCE_COLUMNS
    assert df["max_attention"].between(0, 1, inclusive="right").all()
    assert df["adv_max_jsd@0.05"].between(0, np.log(2)).all()
    pd.testing.assert_frame_equal(df, synthetic_instances(n=50, n_classes=3, seed=4))


def test_docstring_examples_run():
    import importlib

    attempted = 0
    for family in ("style", "tau", "perturbation", "heatmaps", "grids"):
        module = importlib.import_module(f"attnlib.plots.{family}")
        result = doctest.testmod(module, extraglobs={"synthetic_instances": synthetic_instances},
                                 optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, family
        attempted += result.attempted
    assert attempted > 20


def test_violins_mark_the_papers_medians_per_bin_and_class():
    from attnlib.plots.synthetic import synthetic_instances

    frame = synthetic_instances(n=200)
    paper = pd.DataFrame({"bin": ["[0.00, 0.25)", "[0.75, 1.00]", "[0.25, 0.50)"], "group": ["0", "1", "7"],
                          "median": [0.1, 0.2, 0.3]})
    fig = plots.permutation_violin(frame, class_names=["neg", "pos"], paper_medians=paper)
    crosses = [c for c in fig.axes[0].collections if c.get_label() == "the paper's median"]
    assert len(crosses) == 1 and sorted(crosses[0].get_offsets()[:, 0]) == [0.1, 0.2]   # class 7 is not predicted
    plt.close(fig)
    fig = plots.adversarial_violin(frame, epsilon=0.05, paper_medians=paper.assign(group="all"))
    crosses = [c for c in fig.axes[0].collections if c.get_label() == "the paper's median"]
    assert sorted(crosses[0].get_offsets()[:, 1]) == [0.0, 2.0, 3.0]                     # centred on the bins
    plt.close(fig)


# ------------------------------------------------------------------------------------------------ lengths, strength

def test_length_boxplot_one_box_per_dataset_on_a_log_axis():
    lengths = pd.DataFrame({"dataset": ["sst"] * 5 + ["imdb"] * 3, "tokens": [3, 5, 8, 13, 21, 100, 200, 300]})
    fig = new_figure_only(lambda: plots.length_boxplot(lengths))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.get_yticklabels()] == ["sst", "imdb"]


def test_significance_by_length_draws_the_share_per_length_bin():
    frame = pd.DataFrame({"dataset": "sst", "encoder": ["lstm"] * 4 + ["average"] * 4,
                          "length": [5, 5, 30, 30] * 2, "p_attention_gradient": [0.01, 0.5, 0.01, 0.01] * 2})
    fig = new_figure_only(lambda: plots.significance_by_length(frame))
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["sst average", "sst lstm"]
    assert list(lines[1].get_ydata()) == [0.5, 1.0] and list(lines[1].get_xdata()) == ["≤10", "21–40"]
    assert lines[1].get_linestyle() == "-" and lines[0].get_linestyle() == "--"


def test_adversary_strength_curves_one_line_per_configuration_and_restart_count():
    strength = pd.DataFrame({"configuration": ["sst lstm+tanh"] * 4 + ["sst average+tanh"] * 4,
                             "iterations": [50, 500] * 4, "adversaries": [1, 1, 5, 5] * 2,
                             "median": np.linspace(0.1, 0.5, 8), "high_median": np.linspace(0.2, 0.6, 8)})
    fig = new_figure_only(lambda: plots.adversary_strength_curves(strength, high_attention=0.75))
    left, right = fig.axes
    assert len(left.lines) == len(right.lines) == 4 and right.get_title() == "max attention ≥ 0.75"
    assert list(right.lines[0].get_ydata()) == [0.2, pytest.approx(0.2 + 0.4 / 7)]
    styles = {(line.get_marker(), line.get_linestyle()) for line in left.lines}
    assert len(styles) == 4                                    # told apart without colour
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 4 and left.get_legend() is None
