"""The faithfulness lab: Captum explainers equal Captum called directly, integrated gradients are complete,
every explainer keeps the scorer contract and its invariances, the batched erasure metrics equal their naive
loops, rationale scores on hand-made cases, the table, and the run on disk (resumed, keyed)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from captum.attr import FeatureAblation, GradientShap, InputXGradient, IntegratedGradients, KernelShap

from attnlib.data.base import Split
from attnlib.data.batching import make_batch
from attnlib.explain import importance_over_split, predict_over_split
from attnlib.faithfulness import (CAPTUM_EXPLAINERS, ERASURE_FRACTIONS, EXPLAINERS, METRICS, decision_flips,
                                  deeplift_support, erasure_curves, faithfulness_over_split, faithfulness_table,
                                  integrated_gradients_delta, parse_explainers, rationale_scores)
from attnlib.faithfulness.erasure import kept_counts, ranked_positions
from attnlib.faithfulness.explainers import (GRADIENT_SHAP_SAMPLES, IG_STEPS, KERNEL_SHAP_SAMPLES, _batch_args,
                                             _forward, _reference, _seeded, captum_defaults, predicted_class)
from attnlib.faithfulness.naive import naive_decision_flips, naive_erasure_curves
from attnlib.plumbing.errors import ConfigError
from helpers import CONFIG_IDS, CONFIGS, pad_batch, random_model, random_split, seeded  # noqa: F401

TOLERANCE = 1e-9
COMPLETENESS_TOLERANCE = 1e-2
"""Integrated gradients with :data:`IG_STEPS` steps: the scores of a row sum to ``p(x) - p(reference)`` within this
(probabilities; the ReLUs of the CNN make the path piecewise smooth, the others give ~1e-10)."""


@pytest.fixture(params=CONFIGS, ids=CONFIG_IDS)
def setup(request):
    task, encoder, attention = request.param
    return random_model(task, encoder, attention, scale=2.0), random_split(7, task)


def _direct(name, model, batch):
    """Captum called directly, as its documentation shows, on the embeddings of ``batch``: (batch, seq_len)."""
    embedded = model.embed(batch).detach()
    forward, args, target = _forward(model, batch), _batch_args(batch), predicted_class(model, batch)
    reference = _reference(embedded, batch.mask)
    if name == "integrated_gradients":
        values = IntegratedGradients(forward).attribute(embedded, baselines=reference, target=target,
                                                        additional_forward_args=args, n_steps=IG_STEPS).sum(-1)
    elif name == "input_x_gradient":
        values = InputXGradient(forward).attribute(embedded.requires_grad_(True), target=target,
                                                   additional_forward_args=args).sum(-1)
    elif name == "occlusion":
        mask = torch.arange(embedded.shape[1]).view(1, -1, 1).expand(len(batch), -1, 1)
        values = FeatureAblation(forward).attribute(embedded, baselines=reference, target=target,
                                                    additional_forward_args=args, feature_mask=mask)[..., 0]
    else:
        return None
    return torch.where(batch.mask, values, torch.zeros_like(values)).detach()


@pytest.mark.parametrize("name", ["integrated_gradients", "input_x_gradient", "occlusion"])
def test_deterministic_explainers_equal_captum_called_directly(name, setup):
    model, split = setup
    batch = make_batch(split, range(len(split)))
    torch.testing.assert_close(CAPTUM_EXPLAINERS[name](model, batch), _direct(name, model, batch), rtol=0,
                               atol=TOLERANCE)


def test_sampling_explainers_equal_captum_called_directly_on_one_instance():
    model, split = random_model("classification", "lstm", "tanh", scale=2.0), random_split(3, min_tokens=4)
    single = make_batch(split, [0])
    target = predicted_class(model, single)
    embedded = model.embed(single).detach()
    inner = embedded[:, 1:-1]
    frame = embedded[:, :1], embedded[:, -1:]

    def forward(real, *args):
        return _forward(model, single)(torch.cat([frame[0].expand(len(real), -1, -1), real,
                                                  frame[1].expand(len(real), -1, -1)], 1), *args)

    with _seeded(7):
        kernel = KernelShap(forward).attribute(inner, baselines=torch.zeros_like(inner), target=target,
                                               additional_forward_args=_batch_args(single),
                                               feature_mask=torch.arange(inner.shape[1]).view(1, -1, 1),
                                               n_samples=KERNEL_SHAP_SAMPLES)[0, :, 0]
    from attnlib.faithfulness.explainers import _gradient_shap_row, _kernel_shap_row
    with _seeded(7):
        ours = _kernel_shap_row(model, single, target, 7)[0, 1:-1]
    torch.testing.assert_close(ours, kernel, rtol=0, atol=TOLERANCE)
    words = np.random.RandomState(7).randint(4, model.embedding.weight.shape[0], size=(8, embedded.shape[1]))
    drawn = model.embedding(torch.from_numpy(words)).detach()
    real = single.mask.unsqueeze(-1).double()
    with _seeded(7):
        direct = GradientShap(_forward(model, single)).attribute(
            embedded, baselines=embedded * (1 - real) + drawn * real, n_samples=GRADIENT_SHAP_SAMPLES, target=target,
            additional_forward_args=_batch_args(single)).sum(-1)[0]
    with _seeded(7):
        ours = _gradient_shap_row(model, single, target, 7)[0]
    torch.testing.assert_close(ours, direct, rtol=0, atol=TOLERANCE)


def test_integrated_gradients_are_complete(setup):
    model, split = setup
    batch = make_batch(split, range(len(split)))
    scores = CAPTUM_EXPLAINERS["integrated_gradients"](model, batch)
    embedded = model.embed(batch)
    with torch.no_grad():
        forward = _forward(model, batch)
        target = predicted_class(model, batch)[:, None]
        change = (forward(embedded, *_batch_args(batch)).gather(1, target)
                  - forward(_reference(embedded, batch.mask), *_batch_args(batch)).gather(1, target))[:, 0]
    delta = integrated_gradients_delta(model, batch)
    assert torch.all((scores.sum(1) - change).abs() < COMPLETENESS_TOLERANCE)
    torch.testing.assert_close(delta, scores.sum(1) - change, rtol=0, atol=1e-8)


@pytest.mark.parametrize("name", list(CAPTUM_EXPLAINERS) + ["random"])
def test_explainer_contract_and_invariance(name, setup):
    """(batch, seq_len), 0 outside the mask, finite; the same under other batch sizes, orders and extra padding;
    the model left untouched; Captum's own defaults give the same numbers."""
    model, split = setup
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    batch = make_batch(split, range(len(split)))
    values = EXPLAINERS[name](model.eval(), batch)
    assert values.shape == batch.tokens.shape and values.dtype == torch.float64
    assert torch.all(values[~batch.mask] == 0) and torch.all(torch.isfinite(values))
    padded = EXPLAINERS[name](model, pad_batch(batch, 3))
    torch.testing.assert_close(padded[:, : batch.tokens.shape[1]], values, rtol=0, atol=TOLERANCE)
    reference = importance_over_split(EXPLAINERS[name], model, split, batch_size=64, progress=False)
    order = np.random.RandomState(1).permutation(len(split))
    for size in (1, 3):
        shuffled = importance_over_split(EXPLAINERS[name], model, split.subset(order), batch_size=size, progress=False)
        np.testing.assert_allclose(shuffled, reference[order], rtol=0, atol=TOLERANCE)
    if name in CAPTUM_EXPLAINERS:
        torch.testing.assert_close(captum_defaults(name)(model, batch), values, rtol=0, atol=TOLERANCE)
    assert all(p.grad is None for p in model.parameters())
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_occlusion_is_the_drop_when_a_token_is_zeroed():
    model, split = random_model("classification", "cnn", "tanh", scale=2.0), random_split(2, min_tokens=3)
    batch = make_batch(split, [0])
    values = EXPLAINERS["occlusion"](model, batch)
    embedded = model.embed(batch).detach()
    target = int(predicted_class(model, batch))
    with torch.no_grad():
        whole = model.decode(model.encode(batch, embedded), model.attend(model.encode(batch, embedded)))[0, target]
        for t in range(1, int(batch.lengths[0]) - 1):
            zeroed = embedded.clone()
            zeroed[0, t] = 0
            encoded = model.encode(batch, zeroed)
            assert abs(float(whole - model.decode(encoded, model.attend(encoded))[0, target]) - float(values[0, t])) < 1e-12


def test_deeplift_is_explained_not_offered():
    assert "deeplift" not in EXPLAINERS
    for encoder in ("lstm", "cnn", "average"):
        assert "DeepLift" in deeplift_support(random_model("classification", encoder, "tanh"))


# -- erasure metrics -----------------------------------------------------------------------------------------

def test_ranking_and_bins():
    assert ranked_positions(np.array([0, 0.2, 0.5, 0.2, 0.9, 0]), 6).tolist() == [4, 2, 1, 3]
    assert kept_counts(10) == [1, 1, 1, 2, 5]
    assert kept_counts(3) == [1, 1, 1, 1, 2]


@pytest.mark.parametrize("explainer", ["attention", "integrated_gradients", "random"])
def test_batched_erasure_equals_naive(explainer, setup):
    model, split = setup
    scores = importance_over_split(EXPLAINERS[explainer], model, split, progress=False)
    probs = predict_over_split(model, split)
    fast = erasure_curves(model, split, scores, probs, batch_size=3)
    naive = naive_erasure_curves(model, split, scores)
    for key in ("comprehensiveness", "sufficiency"):
        np.testing.assert_allclose(fast[key], naive[key], rtol=0, atol=TOLERANCE)
        assert np.isnan(fast[key][[len(s) < 4 for s in split.sequences]]).all()
    for window in (1, 2, 8):
        np.testing.assert_array_equal(decision_flips(model, split, scores, probs, batch_size=5, window=window),
                                      naive_decision_flips(model, split, scores))


def test_erasure_on_a_model_that_reads_one_word():
    """An Average + dot classifier whose output is decided by word 5: removing it is comprehensive, keeping it
    sufficient, and the class flips when it goes."""
    model = random_model("classification", "average", "dot")
    with torch.no_grad():
        model.embedding.weight.zero_()
        model.embedding.weight[5] = 1.0
        model.encoder.projection.weight.copy_(torch.eye(*model.encoder.projection.weight.shape) * 3)
        model.encoder.projection.bias.zero_()
        model.attention.query.weight.fill_(10.0)
        model.output.weight.fill_(4.0)
        model.output.bias.fill_(-2.0)
    split = Split(sequences=[[2, 7, 8, 5, 9, 3]], labels=np.array([1]))
    scores = np.array([[0, 0.1, 0.2, 0.9, 0.3, 0]])
    probs = predict_over_split(model, split)
    assert probs.argmax() == 1
    curves = erasure_curves(model, split, scores, probs)
    assert (curves["comprehensiveness"] > 0.3).all() and np.abs(curves["sufficiency"]).max() < 1e-6
    assert decision_flips(model, split, scores, probs)[0] == 0.25
    assert np.isnan(decision_flips(model, split, -scores, probs)[0])      # word 5 removed last: never flips


def test_rationale_scores_by_hand():
    sequences = [[2, 4, 5, 6, 7, 3], [2, 4, 5, 3], [2, 4, 3]]
    scores = np.array([[0, 0.9, 0.1, 0.8, 0.2, 0], [0, 0.5, 0.5, 0, 0, 0], [0, 1, 0, 0, 0, 0]])
    out = rationale_scores(scores, sequences, [[1, 4], [2], [1]])
    assert out["precision_at_k"][0] == 0.5 and out["precision_at_k"][1] == 0.0   # tie broken by position
    np.testing.assert_allclose(out["auprc"][0], (1 + 2 / 3) / 2)   # ranks 1 and 3
    assert np.isnan(out["precision_at_k"][2]) and np.isnan(out["auprc"][2])     # every token is the rationale


def test_table_has_every_metric_once_per_explainer():
    model, split = random_model("classification", "lstm", "tanh", scale=2.0), random_split(6)
    split.rationales = [[1] for _ in split.sequences]
    results = faithfulness_over_split(model, split, ("integrated_gradients", "loo", "random"), progress=False)
    table = faithfulness_table(results)
    assert list(table.columns) == ["explainer", "metric", "value", "n"]
    ig = table[table.explainer == "integrated_gradients"].set_index("metric")
    assert set(ig.index) == set(METRICS)
    assert "tau_loo" not in set(table[table.explainer == "loo"].metric)
    aopc = results["random"]["comprehensiveness"].mean(1)
    assert table.set_index(["explainer", "metric"]).loc[("random", "comprehensiveness_aopc"), "value"] == \
        pytest.approx(np.nanmean(aopc))
    assert len(ERASURE_FRACTIONS) == 5


def test_unknown_explainer_is_one_line():
    with pytest.raises(ConfigError, match="unknown explainer 'shap'; choose from attention"):
        parse_explainers("attention,shap")
    assert parse_explainers(None) == tuple(EXPLAINERS)
