"""The scorecard and the ablations: every number computed from runs, compared with the paper's as documented."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from attnlib.book.ablations import adversary_strength, gap_explanations
from attnlib.book.scorecard import closest_seeds, for_reading, our_numbers, paper_numbers, scorecard, totals
from attnlib.paper.jain_wallace import max_attention_bin_label
from attnlib.paper.jain_wallace import paper_adversarial_quartiles, paper_table2, paper_test_performance


def fake_result(seed: int, shift: float, dataset="sst", encoder="lstm", attention="tanh"):
    """A result with a known analysis: 8 instances, two predicted classes, every max-attention bin."""
    instances = pd.DataFrame({
        "prediction": [0, 0, 0, 0, 1, 1, 1, 1],
        "max_attention": [0.1, 0.3, 0.6, 0.9, 0.2, 0.4, 0.7, 1.0],
        "perm_median_tvd": np.arange(8) / 100 + shift,
        "adv_max_jsd@0.05": np.linspace(0.1, 0.6, 8) + shift,
    })
    summary = pd.DataFrame([{"measure": m, "group": g, "mean": 0.3 + shift, "std": 0.2, "sig_frac": 0.5, "n": 4}
                            for m in ("tau_attention_gradient", "tau_attention_loo") for g in ("0", "1", "overall")])
    return SimpleNamespace(dataset=dataset, encoder=encoder, attention=attention, seed=seed,
                           run=SimpleNamespace(metrics={"accuracy": 0.80 + shift, "macro_f1": 0.79 + shift}),
                           analysis=SimpleNamespace(summary=summary, instances=instances))


def test_max_attention_bins_are_the_papers():
    assert list(max_attention_bin_label([0.0, 0.2499, 0.25, 0.5, 0.74, 0.75, 1.0])) == [
        "[0.00, 0.25)", "[0.00, 0.25)", "[0.25, 0.50)", "[0.50, 0.75)", "[0.50, 0.75)", "[0.75, 1.00]", "[0.75, 1.00]"]


def test_our_numbers_are_the_medians_and_means_of_the_instances():
    numbers = our_numbers(fake_result(0, 0.0)).set_index(["kind", "quantity", "group"])["value"]
    assert numbers[("permutation median", "[0.75, 1.00]", "1")] == pytest.approx(0.07)
    assert numbers[("permutation median", "[0.75, 1.00]", "all")] == pytest.approx(np.median([0.03, 0.07]))
    assert numbers[("adversarial mean", "max JSD within ε = 0.05", "overall")] == pytest.approx(0.35)
    assert numbers[("Table 2", "τ(attention, gradient) sig_frac", "overall")] == 0.5
    assert numbers[("test metric", "accuracy", "overall")] == 0.80


def test_the_scorecard_for_reading_names_classes_and_statistics():
    result = fake_result(0, 0.0)
    result.class_names = ["negative", "positive"]
    card = scorecard([result])
    shown = for_reading(card, [result]).set_index(["kind", "quantity", "group"])
    assert ("Table 2", "τ(attention, gradient) share significant", "positive") in shown.index
    assert ("test metric", "macro-F1", "all") in shown.index and ("permutation median", "[0.50, 0.75)", "positive") in shown.index
    assert len(shown) == len(card) and shown["ours"].tolist() == card["ours"].tolist()
    assert set(card["group"]) >= {"0", "1", "overall"}                     # the scorecard itself is unchanged


def test_scorecard_compares_seed_mean_and_range_with_the_papers_numbers():
    card = scorecard([fake_result(0, 0.0), fake_result(1, 0.02), fake_result(2, 0.04)])
    table2 = paper_table2().query("dataset == 'sst' and encoder == 'lstm'")
    row = card[(card["kind"] == "Table 2") & (card["quantity"] == "τ(attention, gradient) mean")
               & (card["group"] == "overall")].iloc[0]
    paper = table2.query("measure == 'tau_attention_gradient' and group == 'overall'")["mean"].iloc[0]
    assert row["paper"] == paper and row["ours"] == pytest.approx(0.32) and row["n_seeds"] == 3
    assert (row["ours_min"], row["ours_max"]) == (pytest.approx(0.30), pytest.approx(0.34))
    assert row["paper_in_seed_range"] == (0.30 <= paper <= 0.34)
    assert row["within_tolerance"] == (abs(0.32 - paper) <= 0.05)
    accuracy = card[(card["kind"] == "test metric") & (card["quantity"] == "accuracy")].iloc[0]
    theirs = paper_test_performance().query("dataset == 'sst' and encoder == 'lstm' and attention == 'tanh'")
    assert accuracy["paper"] == theirs["accuracy"].iloc[0] and accuracy["tolerance"] == 0.02
    adversarial = card[(card["kind"] == "adversarial median") & (card["quantity"] == "[0.75, 1.00]")
                       & (card["group"] == "0")].iloc[0]
    published = paper_adversarial_quartiles().query(
        "dataset == 'sst' and encoder == 'lstm' and bin == '[0.75, 1.00]' and group == '0'")["median"].iloc[0]
    assert adversarial["paper"] == published and adversarial["ours"] == pytest.approx(np.linspace(0.1, 0.6, 8)[3] + 0.02)
    assert set(card["kind"]) == {"test metric", "Table 2", "permutation median", "adversarial median", "adversarial mean"}
    assert len(card) == len(card.drop_duplicates(["kind", "quantity", "group"]))      # one row per published number
    total = totals(card).iloc[0]
    assert total["numbers"] == len(card) and total["within_tolerance"] == card["within_tolerance"].sum()


def test_closest_seed_is_the_single_seed_nearest_the_paper():
    """Seeds on either side of the paper's value: the mean lies between them; the nearest seed is found by its own
    mean absolute difference, counted against the same tolerance as the scorecard."""
    paper = paper_numbers().query("dataset == 'sst' and encoder == 'lstm' and attention == 'tanh'")
    permutation = paper[paper["kind"] == "permutation median"].set_index(["quantity", "group"])["paper"]
    results = [fake_result(0, -0.3), fake_result(1, 0.0), fake_result(2, 0.3), fake_result(0, 0.0, encoder="cnn")]
    table = closest_seeds(results).set_index("kind")
    assert set(table["encoder"]) == {"lstm"}                        # one seed of cnn: nothing to choose from
    row = table.loc["permutation median"]
    assert row["closest_seed"] == 1 and row["n_seeds"] == 3 and row["numbers"] == len(permutation)
    seed1 = our_numbers(results[1]).query("kind == 'permutation median'").set_index(["quantity", "group"])["value"]
    differences = (seed1.reindex(permutation.index) - permutation).abs()
    assert row["seed_difference"] == pytest.approx(differences.mean())
    assert row["seed_within"] == (differences <= 0.05).sum()
    card = scorecard(results[:3]).query("kind == 'permutation median'")
    assert row["mean_difference"] == pytest.approx(card["difference"].abs().mean())
    assert row["mean_within"] == card["within_tolerance"].sum()


def test_paper_numbers_hold_every_reference_file():
    numbers = paper_numbers()
    assert numbers["paper"].notna().all()
    assert {"sst", "imdb", "20news", "agnews", "snli", "babi1"} <= set(numbers["dataset"])
    assert len(numbers.query("kind == 'Table 2'")) == int(paper_table2()[["mean", "std", "sig_frac"]].notna().sum().sum())


def test_gap_explanations_pick_the_ablation_nearest_the_paper():
    baseline = [fake_result(s, 0.3) for s in (0, 1)]           # far from the paper everywhere
    card = scorecard(baseline)
    gaps = gap_explanations(card, {"near": [fake_result(0, 0.0)], "far": [fake_result(0, 0.5)]})
    assert len(gaps) == (~card["within_tolerance"]).sum() and set(gaps["closest"]) <= {"near", "far"}
    row = gaps[(gaps["kind"] == "test metric") & (gaps["quantity"] == "accuracy")].iloc[0]
    assert row["closest"] == "near" and row["moved"] == pytest.approx(row["near"] - row["ours"])
    assert row["now_within"] == (abs(row["near"] - row["paper"]) <= 0.02)
    assert row["nearer"] == (abs(row["near"] - row["paper"]) < abs(row["ours"] - row["paper"]))
    only_far = gap_explanations(card, {"far": [fake_result(0, 1.0)]})
    farther = only_far[(only_far["ours"] - only_far["paper"]).abs() < (only_far["far"] - only_far["paper"]).abs()]
    assert len(farther) and not farther["nearer"].any()      # the only ablation moved them away: not "nearer"


def test_adversary_strength_on_a_trained_run_is_cached(quick_results, monkeypatch):
    import attnlib.book.ablations as ablations

    result = next(r for r in quick_results if r.encoder == "lstm" and r.dataset == "sst" and r.seed == 0)
    table = adversary_strength(result, iterations=(2, 20), adversaries=(1, 3), limit=6)
    assert list(table[["iterations", "adversaries"]].itertuples(index=False, name=None)) == [(2, 1), (20, 1), (2, 3),
                                                                                             (20, 3)]
    assert (table["n"] == 6).all() and table["median"].between(0, np.log(2)).all()
    monkeypatch.setattr(ablations, "adversarial_over_split", lambda *a, **k: 1 / 0)
    pd.testing.assert_frame_equal(adversary_strength(result, iterations=(2, 20), adversaries=(1, 3), limit=6), table)
