"""Kendall τ-b and p against scipy (ties, short and long vectors, constants) and the summaries."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from attnlib.explain import class_groups, kendall_rows, kendall_tau, summarise_values
from helpers import seeded  # noqa: F401


def _scipy(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # scipy warns on samples of size 1
        result = stats.kendalltau(x, y)
    return result.statistic, result.pvalue


def _cases():
    rng = np.random.RandomState(0)
    cases = []
    for n in (2, 3, 5, 10, 33, 34, 60, 400):
        cases.append((rng.rand(n), rng.rand(n)))                              # no ties: exact p up to 33
        cases.append((rng.randint(0, 3, n).astype(float), rng.rand(n)))        # ties in x: asymptotic
        cases.append((rng.randint(0, 4, n).astype(float), rng.randint(0, 2, n).astype(float)))
        x = rng.rand(n)
        cases.append((x, x + 0.1 * rng.rand(n)))                               # strong correlation
        cases.append((x, -x))
    return cases


@pytest.mark.parametrize("x,y", _cases())
def test_kendall_tau_equals_scipy(x, y):
    tau, p = kendall_tau(x, y)
    expected_tau, expected_p = _scipy(x, y)
    np.testing.assert_equal(tau, expected_tau)       # NaN == NaN here
    np.testing.assert_equal(p, expected_p)


@pytest.mark.parametrize("x,y", [([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]), ([2.0], [1.0]), ([], [])])
def test_constant_or_short_vectors_give_nan(x, y):
    tau, p = kendall_tau(x, y)
    assert np.isnan(tau) and np.isnan(p)


def test_kendall_rows_uses_only_masked_positions():
    rng = np.random.RandomState(1)
    a, b = rng.rand(4, 9), rng.rand(4, 9)
    lengths = np.array([9, 6, 4, 3])
    positions = np.arange(9)
    mask = (positions >= 1) & (positions[None] < (lengths - 1)[:, None])
    taus, ps = kendall_rows(a, b, mask)
    for i in range(4):
        expected = _scipy(a[i, 1: lengths[i] - 1], b[i, 1: lengths[i] - 1])
        np.testing.assert_equal((taus[i], ps[i]), expected)
    assert np.isnan(taus[3]) and np.isnan(ps[3])       # one real token
    with pytest.raises(ValueError, match="same shape"):
        kendall_rows(a, b[:, :5], mask)


def test_summaries_exclude_nan_from_mean_and_count_it_as_not_significant():
    values = np.array([0.5, np.nan, -0.1, 0.3])
    pvalues = np.array([0.01, np.nan, 0.2, 0.05])
    summary = summarise_values(values, np.ones(4, dtype=bool), pvalues)
    finite = values[~np.isnan(values)]
    assert summary == {"mean": pytest.approx(finite.mean()), "std": pytest.approx(np.std(finite)),
                       "sig_frac": 0.5, "n": 4}
    assert np.isnan(summarise_values(values, np.ones(4, dtype=bool))["sig_frac"])


def test_class_groups_only_below_four_classes():
    assert [g for g, _ in class_groups(np.array([0, 1, 1, 2]))] == ["0", "1", "2", "overall"]
    assert [g for g, _ in class_groups(np.array([0, 1, 2, 3]))] == ["overall"]
    groups = dict(class_groups(np.array([1, 0, 1])))
    assert groups["1"].tolist() == [True, False, True] and groups["overall"].all()
