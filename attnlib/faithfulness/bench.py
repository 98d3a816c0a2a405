"""Each explainer's seconds per 100 instances, batched as the lab runs it and as Captum runs it with its defaults.

:func:`run_explainer_benchmark` times, in one process on the same instances, every explainer of
:data:`~attnlib.faithfulness.explainers.EXPLAINERS` as :func:`~attnlib.explain.importance_over_split` runs it (batches
of instances, ``internal_batch_size`` and ``perturbations_per_eval`` as large as they help) and, for the Captum
explainers, :func:`~attnlib.faithfulness.explainers.captum_defaults` (one instance at a time, one path point or
perturbation per forward pass), and checks that both give the same scores.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..explain import importance_over_split
from .explainers import CAPTUM_EXPLAINERS, EXPLAINERS, captum_defaults

__all__ = ["run_explainer_benchmark"]


def _timed(fn):
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def run_explainer_benchmark(model, split, *, explainers=tuple(EXPLAINERS), batch_size: int = 32,
                            device=None) -> pd.DataFrame:
    """Seconds per 100 instances of each explainer on ``split``.

    Returns
    -------
    DataFrame, one row per explainer: ``explainer, n_instances, seconds_per_100, captum_defaults_seconds_per_100,
    ratio`` (Captum's defaults over ours; NaN for the paper's scorers and the random order, which Captum does not
    run) and ``max_abs_diff`` between the two.
    """
    rows = []
    per_100 = 100 / len(split)
    for name in explainers:
        ours, seconds = _timed(lambda: importance_over_split(EXPLAINERS[name], model, split, batch_size=batch_size,
                                                             device=device, progress=False))
        row = {"explainer": name, "n_instances": len(split), "seconds_per_100": seconds * per_100,
               "captum_defaults_seconds_per_100": np.nan, "ratio": np.nan, "max_abs_diff": np.nan}
        if name in CAPTUM_EXPLAINERS:
            theirs, slow = _timed(lambda: importance_over_split(captum_defaults(name), model, split,
                                                                batch_size=batch_size, device=device, progress=False))
            row.update(captum_defaults_seconds_per_100=slow * per_100, ratio=slow / seconds,
                       max_abs_diff=float(np.abs(ours - theirs).max()))
        rows.append(row)
    return pd.DataFrame(rows)
