"""Adversarial attention: the paper's full protocol batched vs one example at a time, the objective, the
initialisation and max-JSD-within-epsilon; the permutation draws."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from attnlib.explain import (adversarial_objective, adversarial_over_split, draw_permutations, initial_log_scores, jsd,
                             max_jsd_within)
from attnlib.explain.adversarial import divergence_gradient, output_change
from attnlib.explain.naive import naive_adversarial
from helpers import random_model, random_split, seeded  # noqa: F401


@pytest.mark.parametrize("config", [("classification", "lstm", "tanh"), ("pair", "cnn", "dot")], ids=str)
def test_full_protocol_batched_equals_one_example_at_a_time(config):
    """K = 5, 500 Adam steps, lr 0.01: examples are optimised independently (to 1e-5)."""
    model = random_model(*config, scale=2.0)
    split = random_split(4, config[0], max_tokens=8)
    fast = adversarial_over_split(model, split, batch_size=4, progress=False)
    naive = naive_adversarial(model, split)
    assert fast.jsd.shape == fast.tvd.shape == (4, 5)
    for field in ("attn", "jsd", "tvd"):
        np.testing.assert_allclose(getattr(fast, field), getattr(naive, field), rtol=0, atol=1e-5, err_msg=field)
    # the search did something: attention moved away, the output hardly
    assert np.median(fast.jsd) > 0.05
    assert np.median(fast.tvd) < 0.02


def test_objective_matches_its_formula():
    torch.manual_seed(0)
    n, k, length = 3, 4, 6
    alpha = torch.softmax(torch.randn(n, k, length), -1)
    attn = torch.softmax(torch.randn(n, length), -1)
    dy = torch.rand(n, k) * 0.03
    expected = 0.0
    for i in range(n):
        for a in range(k):
            expected += -jsd(alpha[i, a], attn[i]) + 500 * max(float(dy[i, a]) - 0.01, 0.0)
    cross = sum(jsd(alpha[i, a], alpha[i, b]) for i in range(n) for a in range(k) for b in range(k))
    expected -= cross / (k * k)
    torch.testing.assert_close(adversarial_objective(alpha, attn, dy), torch.as_tensor(expected, dtype=alpha.dtype))


@pytest.mark.parametrize("k", [1, 2, 5])
def test_divergence_gradient_is_the_objectives_gradient_without_the_hinge(k):
    torch.manual_seed(k)
    n, length = 3, 7
    outside = torch.zeros(n, length, dtype=torch.bool)
    outside[0, 5:] = outside[:, 0] = True                                    # zeros as at padding and <SOS>
    alpha = torch.softmax(torch.randn(n, k, length, dtype=torch.float64).masked_fill(outside[:, None], -math.inf), -1)
    attn = torch.softmax(torch.randn(n, length, dtype=torch.float64).masked_fill(outside, -math.inf), -1)
    alpha.requires_grad_(True)
    dy = torch.rand(n, k, dtype=torch.float64) * 0.03                    # the hinge does not depend on alpha here
    (expected,) = torch.autograd.grad(adversarial_objective(alpha, attn, dy), alpha)
    torch.testing.assert_close(divergence_gradient(alpha.detach(), attn), expected, rtol=1e-12, atol=1e-12)


def test_output_change_is_tvd_for_classifiers_and_l1_for_pair_models():
    p, q = torch.tensor([[0.2, 0.8]]), torch.tensor([[0.5, 0.5]])
    assert output_change(random_model("classification", "average", "dot"), p, q).item() == pytest.approx(0.3)
    assert output_change(random_model("pair", "average", "dot"), p, q).item() == pytest.approx(0.6)


def test_initial_log_scores():
    generator = torch.Generator().manual_seed(5)
    scores = initial_log_scores(4000, 5, generator)
    assert scores.shape == (5, 4000) and scores.dtype == torch.float64
    assert scores.mean().item() == pytest.approx(math.log(1 / 4000), abs=0.05)
    assert scores.std().item() == pytest.approx(3.0, abs=0.05)
    again = initial_log_scores(4000, 5, torch.Generator().manual_seed(5))
    assert torch.equal(scores, again)


def test_draw_permutations():
    perms = draw_permutations(7, 50, torch.Generator().manual_seed(1))
    assert perms.shape == (50, 7)
    assert torch.equal(perms.sort(1).values, torch.arange(7).expand(50, 7))
    assert len({tuple(p.tolist()) for p in perms}) > 40
    assert torch.equal(perms, draw_permutations(7, 50, torch.Generator().manual_seed(1)))


def test_max_jsd_within():
    adv_jsd = np.array([[0.5, 0.2, 0.1], [0.4, 0.3, 0.2], [-1e-12, 0.0, 0.0]])
    adv_tvd = np.array([[0.1, 0.01, 0.0], [0.2, 0.3, 0.06], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(max_jsd_within(adv_jsd, adv_tvd, 0.05), [0.2, 0.0, 0.0])
    np.testing.assert_allclose(max_jsd_within(adv_jsd, adv_tvd, 0.01), [0.2, 0.0, 0.0])   # <= epsilon counts
    np.testing.assert_allclose(max_jsd_within(adv_jsd, adv_tvd, 0.5), [0.5, 0.4, 0.0])
    with pytest.raises(ValueError, match="shape"):
        max_jsd_within(adv_jsd, adv_tvd[:, :2], 0.05)
