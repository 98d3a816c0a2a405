"""The book's tables and figures built from results, on small fake results (no training)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from attnlib.book import figures, tables  # noqa: E402
from attnlib.book.ablations import (ablation_table, strength_configurations, strength_sweep,  # noqa: E402
                                    top_bin_composition)
from attnlib.book.presets import ABLATIONS  # noqa: E402
from attnlib.book.scorecard import by_configuration, scorecard, tolerance  # noqa: E402

from fake_results import fake_result  # noqa: E402


def test_epsilon_table_has_a_column_per_paper_epsilon():
    table = tables.epsilon_table([fake_result(jsd=0.3), fake_result("imdb", "average", jsd=0.1)])
    assert list(table.columns) == [0.01, 0.05]
    assert table.loc[("imdb", "average", "tanh"), 0.05] == pytest.approx(0.1)
    assert tables.epsilon_table([]).empty


def test_the_chapter_epsilon_is_added_once_to_the_instances():
    result = fake_result(jsd=0.3)
    assert "adv_max_jsd@0.02" not in result.analysis.instances
    assert result.analysis.ensure_epsilon(0.02) == "adv_max_jsd@0.02"
    assert result.analysis.instances["adv_max_jsd@0.02"].tolist() == [0.3] * 20
    assert tables.overview_table([result], 0.02)["max JSD within 0.02"].iloc[0] == pytest.approx(0.3)


def test_importance_agreement_and_seed_attention_summary():
    agreement = tables.importance_agreement_table([fake_result(tau=0.3, tau_gradient_loo=0.6)])
    assert agreement.loc["sst", ("lstm", "tanh", "tau_gradient_loo")] == pytest.approx(0.6)
    seed_attention = pd.DataFrame({"dataset": "sst", "encoder": "lstm", "attention": "tanh", "index": [0, 1, 2],
                                   "seed_jsd": [0.1, 0.2, 0.3], "adversarial_jsd": [0.5, 0.1, 0.4]})
    summary = tables.seed_attention_summary(seed_attention)
    assert summary.loc[("sst", "lstm", "tanh"), "share_adversary_further"] == pytest.approx(2 / 3)
    assert tables.seed_attention_summary(seed_attention.iloc[:0]).empty


def test_dataset_notes_and_the_time_taken():
    results = [fake_result(notes=["a <br /> note.", "another (quirk Q6)"]), fake_result("babi1")]
    assert tables.dataset_notes(results) == ('* **sst**: a &lt;br /&gt; note. another (<a href="../protocol.html#quirk-q6">'
                                             'quirk Q6</a>).\n* **babi1**: ')
    taken = tables.time_taken_table(results)
    assert list(taken["analysed"]) == [20, 20] and taken["importance seconds"].tolist() == [1.0, 1.0]


def test_the_scorecard_by_configuration_orders_kinds_as_the_scorecard_does():
    card = scorecard([fake_result(tau=0.35), fake_result(seed=1, tau=0.36)])
    shown = by_configuration(card)
    assert list(shown.index.names) == ["dataset", "encoder", "attention", "kind", "quantity", "group"]
    kinds = list(dict.fromkeys(shown.index.get_level_values("kind")))
    assert kinds == ["test metric", "Table 2", "permutation median", "adversarial median", "adversarial mean"]
    assert "within" in shown and "tolerance" not in shown
    assert tolerance("test metric") == 0.02 and tolerance("Table 2") == 0.05
    with pytest.raises(ValueError, match="unknown kind of published number 'speed'"):
        tolerance("speed")


def test_top_bin_composition_splits_the_top_bin():
    result = fake_result(max_attention=[0.8] * 4 + [0.95] * 4 + [0.99] * 2 + [0.3] * 10,
                         jsd=[0.5] * 4 + [0.3] * 4 + [0.1] * 2 + [0.6] * 10)
    table = top_bin_composition(result)
    assert list(table.index) == ["[0.75, 0.90)", "[0.90, 0.97)", "≥ 0.97"]
    assert table["size"].tolist() == [4, 4, 2] and table["median"].tolist() == pytest.approx([0.5, 0.3, 0.1])


def test_ablation_table_and_a_sweep_that_is_not_run():
    table = ablation_table({name: [] for name in ABLATIONS})
    assert table["ablation"].tolist() == list(ABLATIONS) and (table["runs"] == 0).all()
    assert strength_sweep([fake_result()], ()).empty
    assert strength_sweep([fake_result("imdb")], strength_configurations("paper")).empty   # none of its configurations
    assert strength_configurations("quick") == () and ("sst", "lstm", "tanh") in strength_configurations("quick", True)


def test_figures_from_results():
    plt.close("all")
    result = fake_result(attention_weights=np.tile(np.linspace(0, 1, 12), (20, 1)), jsd=np.linspace(0, 0.6, 20))
    examples = figures.adversarial_examples(result, 0.01)
    assert len(examples) == 2 and "adversary changes the output by TVD 0.000" in examples[0].axes[0].get_title()
    rows, change = figures.importance_rows(result, 3, 0.01)
    assert list(rows) == ["attention", "gradient", "leave-one-out", "adversarial (JSD 0.09)"] and change == 0.0
    assert figures.example_row(result, 0.01) == 19
    panels = figures.panels([result], paper_medians="permutation")
    assert panels[0][0] == "sst lstm+tanh" and set(panels[0][3]) == {"paper_medians"}
    assert figures.panels([result])[0][3] == {}
    spreads = figures.seed_spreads([result, fake_result(seed=1)], figures.SCORECARD_SPREADS)
    assert len(spreads) == len(figures.SCORECARD_SPREADS)
    plt.close("all")


def test_whole_table_shows_every_row_readably_and_offers_the_csv():
    import base64
    import re

    from attnlib.book.display import readable, whole_table

    table = pd.DataFrame({"metric": ["macro_f1"] * 30, "tau_attention_gradient": np.r_[np.nan, np.linspace(0, 1, 29)],
                          "adv_max_jsd@0.05": 0.5})
    html = whole_table(table, "numbers").data
    assert html.count("<tr>") >= 31 and "attnlib-table-long" in html      # every row, in a scrolling box
    assert "macro-F1" in html and "τ(attention, gradient)" in html and "max JSD within ε = 0.05" in html
    assert ">–<" in html and "nan" not in html.lower().replace("nan;", "")  # an absent value is a dash
    csv = base64.b64decode(re.search(r'href="data:text/csv;base64,([^"]+)"', html).group(1)).decode()
    assert csv.splitlines()[0] == ",metric,tau_attention_gradient,adv_max_jsd@0.05" and len(csv.splitlines()) == 31
    assert 'download="numbers.csv"' in html and "(30 rows)" in html
    assert "attnlib-table-long" not in whole_table(table.head(3), "short").data
    assert readable("seconds_per_epoch") == "seconds per epoch" and readable(3) == 3
    with pytest.raises(ValueError, match="must be letters, digits"):
        whole_table(table, "a table")


def test_a_column_format_leaves_the_other_columns_formatted_for_reading():
    from attnlib.book.display import whole_table

    table = pd.DataFrame({"ours": [0.824324], "train_examples": [6355], "difference": [0.0191]})
    html = whole_table(table, "formats", formats={"difference": "{:+.3f}"}, index=False).data
    short = whole_table(pd.DataFrame({"metric": ["macro_f1"], "reused": [True]}), "short").data
    assert "white-space: nowrap" in short and ">yes<" in short and "True" not in short.split("<p")[0]
    assert ">0.824<" in html and ">6,355<" in html and ">+0.019<" in html and "0.824324" not in html.split("<p")[0]


def test_table2_rows_are_class_names_in_order_then_all_and_cells_carry_the_std():
    results = [fake_result("sst"), fake_result("sst", "average"), fake_result("babi1", prediction=np.arange(20) % 6),
               fake_result("babi1", "average", prediction=[3] * 20)]
    table = tables.table2(results)
    assert table.index.tolist() == [("sst", "negative"), ("sst", "positive"), ("sst", "all"), ("babi1", "w3"),
                                    ("babi1", "all")]
    cell = table.loc[("sst", "all"), ("gradient", "lstm", "τ mean ± std (paper)")]
    assert cell == "0.30 ± 0.00 (0.35 ± 0.21)"
    assert table.loc[("babi1", "w3"), ("gradient", "lstm", "τ mean ± std (paper)")] == "–"
