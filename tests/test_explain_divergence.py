"""TVD and the authors' JSD against their formulas."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from attnlib.explain import jsd, tvd
from helpers import seeded  # noqa: F401


def _jsd_formula(p, q):
    """0.5 KL(p||m) + 0.5 KL(q||m), natural log, 1e-10 inside the logs, one pair at a time."""
    m = (p + q) / 2
    kl = lambda a, b: sum(ai * (np.log(ai + 1e-10) - np.log(bi + 1e-10)) for ai, bi in zip(a, b))  # noqa: E731
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def _distributions(n, k, rng, zeros=False):
    x = rng.rand(n, k) ** 3
    if zeros:
        x[:, -2:] = 0
    return x / x.sum(1, keepdims=True)


def test_tvd_formula_and_types():
    rng = np.random.RandomState(0)
    p, q = _distributions(5, 4, rng), _distributions(5, 4, rng)
    expected = np.array([0.5 * np.abs(a - b).sum() for a, b in zip(p, q)])
    np.testing.assert_allclose(tvd(p, q), expected, rtol=1e-14)
    out = tvd(torch.tensor(p), torch.tensor(q))
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)
    # binary outputs [1 - p, p]: TVD = |p - p'|
    np.testing.assert_allclose(tvd(np.array([0.3, 0.7]), np.array([0.9, 0.1])), 0.6)


@pytest.mark.parametrize("zeros", [False, True])
def test_jsd_formula(zeros):
    rng = np.random.RandomState(1)
    p, q = _distributions(6, 7, rng, zeros), _distributions(6, 7, rng, zeros)
    expected = np.array([_jsd_formula(a, b) for a, b in zip(p, q)])
    np.testing.assert_allclose(jsd(p, q), expected, rtol=1e-12)
    np.testing.assert_allclose(jsd(torch.tensor(p), torch.tensor(q)).numpy(), expected, rtol=1e-12)


def test_jsd_properties():
    rng = np.random.RandomState(2)
    p, q = _distributions(4, 5, rng), _distributions(4, 5, rng)
    np.testing.assert_allclose(jsd(p, q), jsd(q, p), rtol=1e-12)
    np.testing.assert_allclose(jsd(p, p), 0, atol=1e-12)
    assert jsd(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(np.log(2), abs=1e-8)
    # padding with zeros does not change the JSD
    padded = lambda x: np.concatenate([np.zeros((len(x), 1)), x, np.zeros((len(x), 3))], 1)  # noqa: E731
    np.testing.assert_allclose(jsd(padded(p), padded(q)), jsd(p, q), rtol=1e-14)
    # broadcasting, as used for K adversaries against one attention vector
    assert jsd(torch.rand(3, 5, 7), torch.rand(3, 1, 7)).shape == (3, 5)
