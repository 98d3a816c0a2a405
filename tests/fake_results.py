"""Small fake results for the findings tests: analysed experiments whose per-instance numbers a test chooses.

:func:`fake_result` builds an :class:`attnlib.book.Result` whose analysis is made from per-instance arrays the way
:func:`attnlib.results.analyse_run` makes it (the per-instance table and the summary come from the library), so a
finding computed on it is computed exactly as on a real run. Each adversary has output TVD 0, so the max JSD within
any ε is the ``jsd`` given.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from attnlib.book import Experiment, Result
from attnlib.explain import summarise
from attnlib.results import AnalysisConfig, RunConfig
from attnlib.results.analyses import Analysis, instance_table

CLASS_NAMES = {"sst": ["negative", "positive"], "imdb": ["negative", "positive"], "babi1": [f"w{i}" for i in range(6)],
               "snli": ["contradiction", "entailment", "neutral"], "20news": ["baseball", "hockey"]}


def fake_result(dataset="sst", encoder="lstm", attention="tanh", seed=0, *, n=20, tau=0.3, p=0.01, perm=0.1,
                max_attention=0.3, jsd=0.2, length=10, prediction=None, metrics=None, notes=(), attention_weights=None,
                tau_gradient_loo=0.5):
    """A trained and analysed experiment whose ``n`` instances have the given values (a scalar for all, or one
    value per instance)."""
    def each(value, dtype=float):
        return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

    n_classes = len(CLASS_NAMES.get(dataset, [0, 1]))
    prediction = each(np.arange(n) % 2 if prediction is None else prediction, int)
    lengths = each(length, int) + 2
    width = int(lengths.max())
    if attention_weights is None:
        attention_weights = np.zeros((n, width))
        attention_weights[:, 1] = each(max_attention)
    probs = np.full((n, n_classes), 1.0 / n_classes)
    results = {
        "labels": prediction.copy(), "prediction": prediction, "lengths": lengths, "probs": probs,
        "attention": np.asarray(attention_weights, dtype=float), "max_attention": each(max_attention),
        "tau_attention_gradient": each(tau), "p_attention_gradient": each(p),
        "tau_attention_loo": each(tau), "p_attention_loo": each(p),
        "tau_gradient_loo": each(tau_gradient_loo), "p_gradient_loo": each(p),
        "perm_median_tvd": each(perm), "adv_jsd": each(jsd)[:, None], "adv_tvd": np.zeros((n, 1)),
        "adv_attention": np.asarray(attention_weights, dtype=float)[:, None, ::-1].copy(),
        "gradient": np.asarray(attention_weights, dtype=float), "loo": np.asarray(attention_weights, dtype=float),
    }
    indices = np.arange(n)
    config = AnalysisConfig(limit=n, n_permutations=20, n_adversaries=5, adversary_iterations=40)
    analysis = Analysis(Path("fake"), config, results, indices, [["w"] * int(k - 2) for k in lengths],
                        instance_table(results, indices), summarise(results), {"importance": 1.0})
    task = "classification" if n_classes == 2 and dataset != "babi1" else "pair"
    data = SimpleNamespace(task=task, class_names=CLASS_NAMES.get(dataset, ["0", "1"]), notes=list(notes),
                           n_classes=n_classes)
    run = SimpleNamespace(dataset=data, metrics={"accuracy": 0.9, "macro_f1": 0.9, **(metrics or {})},
                          config={"epochs": 8}, device="cpu")
    return Result(Experiment(RunConfig(dataset, encoder, attention, seed=seed), config), run, analysis)


def with_seeds(results, all_seeds):
    """``results`` as a chapter sees them: a list with ``all_seeds``."""
    from attnlib.book.chapter import ChapterResults

    return ChapterResults(results, "quick", [], all_seeds=all_seeds)
