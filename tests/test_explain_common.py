"""Properties every analysis of attnlib.explain must have, written once and run over a registry
(STYLE.md §16): fast == naive reference, invariance to batch size / example order / padding, shape and
zeros outside the mask, model left untouched, seeded determinism. Every task × encoder × attention.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from attnlib.data.batching import make_batch
from attnlib.explain import (SCORERS, AdversarialResult, adversarial_over_split, adversarial_search,
                             importance_over_split, permutation_over_split, permutation_tvds)
from attnlib.explain.naive import naive_adversarial, naive_attention, naive_gradient, naive_loo, naive_permutation
from helpers import CONFIG_IDS, CONFIGS, pad_batch, random_model, random_split, seeded  # noqa: F401

N_PERMUTATIONS, N_ADVERSARIES, N_ITERATIONS = 6, 3, 12
TOLERANCE = 1e-9          # float64 models: fast and naive agree to rounding


def _importance(name):
    return lambda model, split, **kw: importance_over_split(name, model, split, progress=False, **kw)


FAST = {
    "attention": _importance("attention"),
    "gradient": _importance("gradient"),
    "loo": _importance("loo"),
    "permutation": lambda model, split, **kw: permutation_over_split(
        model, split, n_permutations=N_PERMUTATIONS, progress=False, **kw),
    "adversarial": lambda model, split, **kw: adversarial_over_split(
        model, split, n_adversaries=N_ADVERSARIES, n_iterations=N_ITERATIONS, progress=False, **kw),
}
NAIVE = {
    "attention": naive_attention,
    "gradient": naive_gradient,
    "loo": naive_loo,
    "permutation": lambda model, split, **kw: naive_permutation(model, split, n_permutations=N_PERMUTATIONS, **kw),
    "adversarial": lambda model, split, **kw: naive_adversarial(
        model, split, n_adversaries=N_ADVERSARIES, n_iterations=N_ITERATIONS, **kw),
}
RANDOM = {"permutation", "adversarial"}          # analyses that take a seed
PER_POSITION = {"attention", "gradient", "loo"}


def arrays(result) -> dict[str, np.ndarray]:
    if isinstance(result, AdversarialResult):
        return {"attn": result.attn, "jsd": result.jsd, "tvd": result.tvd}
    return {"values": result}


def assert_same(a, b, atol=TOLERANCE):
    a, b = arrays(a), arrays(b)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].shape == b[key].shape, key
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=atol, err_msg=key)


@pytest.fixture(params=CONFIGS, ids=CONFIG_IDS)
def setup(request):
    task, encoder, attention = request.param
    return random_model(task, encoder, attention), random_split(7, task)


@pytest.mark.parametrize("analysis", list(FAST))
def test_fast_equals_naive(analysis, setup):
    model, split = setup
    assert_same(FAST[analysis](model, split, batch_size=4), NAIVE[analysis](model, split))


@pytest.mark.parametrize("analysis", list(FAST))
def test_invariant_to_batch_size_and_order(analysis, setup):
    model, split = setup
    reference = FAST[analysis](model, split, batch_size=64)
    assert_same(FAST[analysis](model, split, batch_size=1), reference)
    assert_same(FAST[analysis](model, split, batch_size=3), reference)
    order = np.random.RandomState(1).permutation(len(split))
    shuffled = arrays(FAST[analysis](model, split.subset(order), batch_size=3))
    for key, value in arrays(reference).items():
        np.testing.assert_allclose(shuffled[key], value[order], rtol=0, atol=TOLERANCE, err_msg=key)


BATCH_LEVEL = {
    **{name: scorer for name, scorer in SCORERS.items()},
    "permutation": lambda model, batch: permutation_tvds(model, batch, n_permutations=N_PERMUTATIONS),
    "adversarial": lambda model, batch: adversarial_search(model, batch, n_adversaries=N_ADVERSARIES,
                                                           n_iterations=N_ITERATIONS),
}


@pytest.mark.parametrize("analysis", list(BATCH_LEVEL))
def test_invariant_to_extra_padding(analysis, setup):
    model, split = setup
    batch = make_batch(split, range(len(split)))
    plain, padded = BATCH_LEVEL[analysis](model, batch), BATCH_LEVEL[analysis](model, pad_batch(batch, 3))
    if isinstance(plain, AdversarialResult):
        torch.testing.assert_close(padded.attn[..., : batch.tokens.shape[1]], plain.attn, rtol=0, atol=TOLERANCE)
        assert torch.all(padded.attn[..., batch.tokens.shape[1]:] == 0)
        plain, padded = torch.stack([plain.jsd, plain.tvd]), torch.stack([padded.jsd, padded.tvd])
    elif analysis in PER_POSITION:
        assert torch.all(padded[:, batch.tokens.shape[1]:] == 0)
        padded = padded[:, : batch.tokens.shape[1]]
    torch.testing.assert_close(padded, plain, rtol=0, atol=TOLERANCE, equal_nan=True)


@pytest.mark.parametrize("name", list(SCORERS))
def test_scorer_contract(name, setup):
    """(batch, seq_len), on the model's device, finite and >= 0 on real tokens, exactly 0 elsewhere."""
    model, split = setup
    batch = make_batch(split, range(len(split)))
    values = SCORERS[name](model, batch)
    assert values.shape == batch.tokens.shape
    assert values.device == batch.tokens.device and values.dtype == torch.float64
    assert torch.all(values[~batch.mask] == 0)
    real = values[batch.mask]
    one_token = (batch.lengths == 3)[:, None].expand_as(batch.mask)[batch.mask]
    if name == "loo":           # nothing is left when the only token is removed
        assert torch.all(torch.isnan(real[one_token]))
        real = real[~one_token]
    assert torch.all(torch.isfinite(real)) and torch.all(real >= 0)
    if name == "attention":
        torch.testing.assert_close(values.sum(1), torch.ones(len(split), dtype=values.dtype))


@pytest.mark.parametrize("analysis", list(FAST))
def test_model_left_untouched(analysis, setup):
    model, split = setup
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    flags = {k: p.requires_grad for k, p in model.named_parameters()}
    FAST[analysis](model, split, batch_size=4)
    NAIVE[analysis](model, split)
    assert model.training
    assert all(p.grad is None for p in model.parameters())
    assert {k: p.requires_grad for k, p in model.named_parameters()} == flags
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


@pytest.mark.parametrize("analysis", sorted(RANDOM))
def test_seeded_determinism(analysis, setup):
    model, split = setup
    first = FAST[analysis](model, split, seed=3)
    assert_same(FAST[analysis](model, split, seed=3), first, atol=0)
    other = arrays(FAST[analysis](model, split, seed=4))
    assert any(not np.allclose(other[k], v) for k, v in arrays(first).items())


def test_device_argument_is_honoured():
    model, split = random_model("classification", "lstm", "tanh"), random_split(3)
    values = importance_over_split("attention", model, split, device="cpu", progress=False)
    assert values.shape == (3, max(len(s) for s in split.sequences))
    with pytest.raises(ValueError, match="batch_size"):
        importance_over_split("attention", model, split, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="unknown scorer"):
        importance_over_split("saliency", model, split, progress=False)
    with pytest.raises(ValueError, match="questions"):
        importance_over_split("attention", random_model("pair", "cnn", "dot"), split, progress=False)
