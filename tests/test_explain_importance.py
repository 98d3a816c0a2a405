"""Importance scores against closed forms, finite differences and an independent autograd computation;
leave-one-out chunking, fallback and single-token texts."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from attnlib.data.base import Split
from attnlib.data.batching import make_batch, real_token_mask
from attnlib.explain import gradient_importance, importance_over_split, loo_importance
from attnlib.explain._batching import _decode_contexts
from attnlib.explain.loo import LOO_STRATEGIES
from attnlib.explain.naive import naive_loo
from attnlib.models import AverageEncoder
from helpers import (CONFIG_IDS, CONFIGS, hand_built_classifier, hand_built_expected, random_model,  # noqa: F401
                     random_split, seeded)


@pytest.mark.parametrize("words", [[4, 5, 6, 7], [7, 7, 4], [5, 6], [6]])
def test_hand_built_model_matches_closed_forms(words):
    model = hand_built_classifier()
    split = Split(sequences=[[2, *words, 3]], labels=np.array([0]))
    expected = hand_built_expected(words)
    np.testing.assert_allclose(model.predict(make_batch(split, [0]))[0, 1].item(), expected["p"], rtol=1e-12)
    for name, key in (("attention", "attention"), ("gradient", "gradient"), ("loo", "loo")):
        values = importance_over_split(name, model, split, progress=False)[0]
        assert values[0] == 0 and values[-1] == 0
        if key == "loo" and len(words) == 1:
            assert np.isnan(values[1])
            continue
        np.testing.assert_allclose(values[1:-1], expected[key], rtol=1e-10, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_gradient_matches_finite_differences(config):
    """d p / d onehot[t, w_t] = d/ds p(e_t * s) at s = 1, with the attention held at its original value."""
    model = random_model(*config)
    split = random_split(4, config[0], max_tokens=6)
    batch = make_batch(split, range(len(split)))
    grads = gradient_importance(model, batch)
    with torch.no_grad():
        embedded = model.embed(batch)
        attn = model.attend(model.encode(batch))
        probs = model.decode(model.encode(batch), attn)
        target = probs.argmax(1) if config[0] == "pair" else torch.ones(len(split), dtype=torch.long)
        h = 1e-6
        for t in range(1, batch.tokens.shape[1] - 1):
            values = []
            for sign in (1, -1):
                scaled = embedded.clone()
                scaled[:, t] *= 1 + sign * h
                out = model.decode(model.encode(batch, embedded=scaled), attn)
                values.append(out.gather(1, target[:, None])[:, 0])
            finite = ((values[0] - values[1]) / (2 * h)).abs()
            real = batch.mask[:, t]
            torch.testing.assert_close(grads[real, t], finite[real], rtol=1e-6, atol=1e-9)


def test_gradient_leaves_no_parameter_gradients_and_detaches_attention():
    """With attention detached, the gradient differs from the full derivative (attention is not constant)."""
    model = random_model("classification", "lstm", "tanh", scale=3.0)
    batch = make_batch(random_split(3), range(3))
    detached = gradient_importance(model, batch)
    embedded = model.embed(batch).detach().requires_grad_(True)
    probs = model.decode(model.encode(batch, embedded=embedded), model.attend(model.encode(batch, embedded=embedded)))
    (full,) = torch.autograd.grad(probs[:, 1].sum(), embedded)
    full = (full * embedded).sum(-1).abs() * batch.mask
    assert not torch.allclose(full, detached)
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("encoder", ["lstm", "cnn", "average"])
@pytest.mark.parametrize("task", ["classification", "pair"])
def test_loo_chunking_does_not_change_results(encoder, task):
    """Tiny ``max_elements`` forces one row and one position at a time (the BiLSTM then runs the two
    directions with different lengths)."""
    model = random_model(task, encoder, "tanh")
    batch = make_batch(random_split(9, task, seed=3), range(9))
    reference = loo_importance(model, batch)
    for max_elements in (1, 60, 700, 10 ** 9):
        torch.testing.assert_close(loo_importance(model, batch, max_elements=max_elements), reference,
                                   rtol=0, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("task", ["classification", "pair"])
def test_bilstm_loo_on_long_texts_matches_naive(task):
    """Texts of 20-70 tokens: the re-run pieces of every removal fall into several length groups of the dense LSTM."""
    model = random_model(task, "lstm", "tanh", scale=2.0)
    split = random_split(5, task, seed=8, min_tokens=20, max_tokens=70)
    fast = importance_over_split("loo", model, split, batch_size=5, progress=False)
    np.testing.assert_allclose(fast, naive_loo(model, split), rtol=0, atol=1e-12)
    lengths = torch.tensor([len(s) for s in split.sequences])
    assert fast[real_token_mask(lengths, int(lengths.max())).numpy()].min() > 0


class _UnregisteredEncoder(AverageEncoder):
    """An encoder class without a fast leave-one-out, to exercise the generic batched re-run."""


@pytest.mark.parametrize("task", ["classification", "pair"])
def test_loo_generic_fallback_matches_naive(task):
    model = random_model(task, "average", "dot")
    model.encoder.__class__ = _UnregisteredEncoder
    assert type(model.encoder) not in LOO_STRATEGIES
    split = random_split(6, task)
    fast = importance_over_split("loo", model, split, batch_size=4, progress=False)
    np.testing.assert_allclose(fast, naive_loo(model, split), rtol=0, atol=1e-12)


@pytest.mark.parametrize("encoder", ["lstm", "cnn", "average"])
def test_loo_is_nonzero_and_nan_only_for_single_token_texts(encoder):
    model = random_model("classification", encoder, "tanh", scale=2.0)
    split = Split(sequences=[[2, 5, 3], [2, 5, 6, 3], [2, *range(4, 20), 3]], labels=np.zeros(3, dtype=np.int64))
    values = importance_over_split("loo", model, split, progress=False)
    assert np.isnan(values[0, 1]) and not np.isnan(np.delete(values, 1, axis=1)).any()
    assert (values[2, 1:17] > 0).all()


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_decoding_a_context_equals_decoding_states_and_attention(config):
    """The pseudo-state trick used by permutation, adversarial search and leave-one-out."""
    model = random_model(*config)
    batch = make_batch(random_split(5, config[0]), range(5))
    with torch.no_grad():
        encoded = model.encode(batch)
        attn = model.attend(encoded)
        contexts = model.context(encoded, attn)
        torch.testing.assert_close(_decode_contexts(model, encoded, contexts, torch.arange(5)),
                                   model.decode(encoded, attn), rtol=0, atol=1e-14)


@pytest.mark.parametrize("encoder", ["lstm", "cnn", "average"])
def test_loo_removals_leaving_the_same_text_are_exactly_tied(encoder):
    """Either of two identical adjacent tokens (any occurrence of a word for the order-free Average
    encoder) leaves the same text: the values are bit-identical, so Kendall τ sees a tie."""
    model = random_model("classification", encoder, "tanh", scale=2.0)
    split = Split(sequences=[[2, 9, 7, 7, 7, 11, 9, 12, 3]], labels=np.zeros(1, dtype=np.int64))
    for batch_size in (1, 4):
        values = importance_over_split("loo", model, split, batch_size=batch_size, progress=False)[0]
        assert values[2] == values[3] == values[4]
        assert (values[1] == values[6]) == (encoder == "average")
        np.testing.assert_allclose(values, naive_loo(model, split)[0], rtol=0, atol=1e-12)
