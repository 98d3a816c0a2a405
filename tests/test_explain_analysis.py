"""analyse_split, summarise and the benchmark, end to end on tiny models."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from attnlib.explain import analyse_split, max_jsd_within, summarise
from attnlib.explain.bench import run_benchmark
from helpers import random_model, random_split, seeded  # noqa: F401

SMALL = dict(n_permutations=8, n_adversaries=3, adversary_iterations=20, progress=False)


@pytest.fixture(scope="module", params=["classification", "pair"])
def analysed(request):
    task = request.param
    model = random_model(task, "lstm", "tanh", scale=2.0)
    split = random_split(9, task, min_tokens=2)
    return model, split, analyse_split(model, split, n_classes=model.n_classes, seed=1, **SMALL)


def test_analyse_split_keys_and_shapes(analysed):
    model, split, results = analysed
    n, max_len = len(split), max(len(s) for s in split.sequences)
    for key in ("attention", "gradient", "loo"):
        assert results[key].shape == (n, max_len)
        assert np.all(results[key][~results["mask"]] == 0)
    assert results["probs"].shape == (n, model.n_classes)
    np.testing.assert_array_equal(results["prediction"], results["probs"].argmax(1))
    np.testing.assert_array_equal(results["lengths"], [len(s) for s in split.sequences])
    assert results["perm_tvd"].shape == (n, 8)
    np.testing.assert_allclose(results["perm_median_tvd"], np.median(results["perm_tvd"], axis=1))
    assert results["adv_jsd"].shape == results["adv_tvd"].shape == (n, 3)
    np.testing.assert_allclose(results["max_attention"], results["attention"].max(1))
    i = int(np.argmax(results["lengths"]))
    real = results["mask"][i]
    tau, p = stats.kendalltau(results["attention"][i, real], results["loo"][i, real])
    assert results["tau_attention_loo"][i] == tau and results["p_attention_loo"][i] == p


def test_summarise_table(analysed):
    _, _, results = analysed
    table = summarise(results)
    assert list(table.columns) == ["measure", "group", "mean", "std", "sig_frac", "n"]
    assert table["measure"].unique().tolist() == [
        "tau_attention_gradient", "tau_attention_loo", "tau_gradient_loo", "perm_median_tvd",
        "adv_max_jsd@0.01", "adv_max_jsd@0.05"]
    predicted = np.unique(results["prediction"])
    groups = [str(c) for c in predicted] if len(predicted) < 4 else []
    assert table["group"].unique().tolist() == groups + ["overall"]
    overall = table[table["group"] == "overall"].set_index("measure")
    assert (overall["n"] == len(results["prediction"])).all()
    tau = results["tau_attention_gradient"]
    assert overall.loc["tau_attention_gradient", "mean"] == pytest.approx(np.nanmean(tau))
    assert overall.loc["tau_attention_gradient", "std"] == pytest.approx(np.nanstd(tau))
    significant = np.mean(results["p_attention_gradient"] <= 0.05)
    assert overall.loc["tau_attention_gradient", "sig_frac"] == pytest.approx(significant)
    assert overall.loc["adv_max_jsd@0.05", "mean"] == pytest.approx(
        max_jsd_within(results["adv_jsd"], results["adv_tvd"], 0.05).mean())
    assert overall[["sig_frac"]].loc[["perm_median_tvd", "adv_max_jsd@0.01"]].isna().all().all()


def test_analyse_split_is_deterministic_and_checks_n_classes(analysed):
    model, split, results = analysed
    again = analyse_split(model, split, n_classes=model.n_classes, seed=1, batch_size=2, **SMALL)
    for key, value in results.items():
        np.testing.assert_allclose(again[key], value, rtol=0, atol=1e-9, err_msg=key)
    with pytest.raises(ValueError, match="n_classes"):
        analyse_split(model, split, n_classes=model.n_classes + 1, **SMALL)


def test_run_benchmark_compares_on_the_same_instances():
    model = random_model("classification", "cnn", "tanh")
    split = random_split(10)
    table = run_benchmark(model, split, n_instances=6, naive_instances=3, n_permutations=4, n_adversaries=2,
                          adversary_iterations=5, repeats=1)
    assert isinstance(table, pd.DataFrame)
    assert table.index.tolist() == ["gradient", "loo", "permutation", "adversarial"]
    assert {"naive_seconds", "fast_seconds", "ratio", "max_abs_diff"} <= set(table.columns)
    assert (table["max_abs_diff"] < 1e-9).all()
    assert (table["naive_instances"] == 3).all() and table["extrapolated"].all()
    assert (table["n_instances"] == 6).all()
    with pytest.raises(ValueError, match="unknown benchmark"):
        run_benchmark(model, split, methods=["saliency"])


def test_analyse_split_resumes_from_a_store(analysed, monkeypatch):
    """Finished stages are read back from the store; missing or incomplete ones are recomputed."""
    import attnlib.explain.pipeline as pipeline

    model, split, results = analysed
    store = {}
    first = analyse_split(model, split, n_classes=model.n_classes, seed=1, store=store,
                          keep_adversarial_attention=True, **SMALL)
    assert set(store) == {"importance", "kendall", "permutation", "adversarial"}
    assert "adv_attention" in store["adversarial"] and first["adv_attention"].shape[:2] == (len(split), 3)
    del store["permutation"]
    store["adversarial"] = {k: v[:-1] for k, v in store["adversarial"].items()}      # stale: wrong row count

    def refuse(*args, **kwargs):
        raise AssertionError("a stored stage was recomputed")

    monkeypatch.setattr(pipeline, "importance_over_split", refuse)
    monkeypatch.setattr(pipeline, "kendall_rows", refuse)
    again = analyse_split(model, split, n_classes=model.n_classes, seed=1, store=store, **SMALL)
    assert "adv_attention" not in again
    for key, value in results.items():
        np.testing.assert_allclose(again[key], value, rtol=0, atol=1e-9, err_msg=key)
    assert len(store["adversarial"]["adv_jsd"]) == len(split)


def test_a_recomputed_importance_stage_recomputes_its_kendall_stage(analysed, monkeypatch):
    """Kendall τ is derived from the importances: a stored τ never outlives the importances it was computed from."""
    model, split, results = analysed
    store = {}
    analyse_split(model, split, n_classes=model.n_classes, seed=1, store=store, **SMALL)
    del store["importance"]
    store["kendall"] = {k: np.zeros_like(v) for k, v in store["kendall"].items()}   # what older importances gave
    again = analyse_split(model, split, n_classes=model.n_classes, seed=1, store=store, **SMALL)
    for key in store["kendall"]:
        np.testing.assert_array_equal(again[key], results[key], err_msg=key)
        np.testing.assert_array_equal(store["kendall"][key], results[key], err_msg=key)


def test_uniform_attention_outputs_equal_decoding_with_uniform_weights():
    import torch

    from attnlib.data.batching import make_batch
    from attnlib.explain import uniform_attention_outputs

    for task in ("classification", "pair"):
        model, split = random_model(task, "lstm", "tanh"), random_split(7, task)
        out = uniform_attention_outputs(model, split, batch_size=3)
        for i in range(len(split)):
            batch = make_batch(split, [i])
            weights = batch.mask.double() / batch.mask.sum()
            with torch.no_grad():
                expected = model.decode(model.encode(batch), weights).double().numpy()[0]
            np.testing.assert_allclose(out[i], expected, atol=1e-6)
