"""Helpers for tests and examples: synthetic inputs in the library's formats. Nothing here is used by the
library itself."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..explain.adversarial import max_jsd_column

__all__ = ["synthetic_instances"]


def synthetic_instances(n: int = 200, n_classes: int = 2, seed: int = 0) -> pd.DataFrame:
    """A random per-instance frame in the input format of this module, for examples and tests.

    The numbers mean nothing; they only have the right columns, types and ranges.

    Parameters
    ----------
    n : int
        Number of instances (rows).
    n_classes : int
        Predicted classes are drawn uniformly from ``0 .. n_classes - 1``.
    seed : int
        Seed of the ``numpy.random.Generator``; the same seed gives the same frame.

    Returns
    -------
    pandas.DataFrame with the columns :data:`INSTANCE_COLUMNS`, shape (n, 14).

    Examples
    --------
    >>> df = synthetic_instances(n=5, n_classes=3, seed=1)
    >>> df.shape
    (5, 14)
    """
    rng = np.random.default_rng(seed)
    length = rng.integers(3, 60, size=n)
    max_attention = rng.beta(2, 3, size=n) * (1 - 1e-9) + 1e-9
    tau = np.clip(rng.normal([0.3, 0.25, 0.4], 0.25, size=(n, 3)), -1, 1)
    jsd_01 = rng.uniform(0, np.log(2), size=n)
    return pd.DataFrame({
        "index": np.arange(n),
        "label": rng.integers(0, n_classes, size=n),
        "prediction": rng.integers(0, n_classes, size=n),
        "length": length,
        "max_attention": max_attention,
        "tau_attention_gradient": tau[:, 0],
        "p_attention_gradient": rng.uniform(0, 1, size=n),
        "tau_attention_loo": tau[:, 1],
        "p_attention_loo": rng.uniform(0, 1, size=n),
        "tau_gradient_loo": tau[:, 2],
        "p_gradient_loo": rng.uniform(0, 1, size=n),
        "perm_median_tvd": rng.beta(1, 6, size=n),
        max_jsd_column(0.01): jsd_01,
        max_jsd_column(0.05): np.minimum(jsd_01 + rng.uniform(0, 0.1, size=n), np.log(2)),
    })
