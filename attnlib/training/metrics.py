"""Test metrics as the authors computed them (book/protocol.md §3.4): sklearn's report at threshold 0.5."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score


def headline_metric(task: str) -> str:
    """The one test metric reported per task, as in the paper's tables: ``macro_f1`` for classification,
    ``accuracy`` for pair tasks (NLI and QA)."""
    return "macro_f1" if task == "classification" else "accuracy"


def evaluate_predictions(labels: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1, per-class F1 and, for binary tasks, ROC-AUC and PR-AUC.

    Parameters
    ----------
    labels : int array, shape (n,)
    probs : float array, shape (n, n_classes)
        Output distributions; the prediction is the argmax (threshold 0.5 for binary).

    Returns
    -------
    dict with ``accuracy``, ``macro_f1``, ``f1_class<k>`` for each class present, ``n``, and for two
    classes ``roc_auc`` and ``pr_auc`` (NaN when only one class is present in ``labels``).
    """
    labels = np.asarray(labels)
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[0] != labels.shape[0]:
        raise ValueError(f"probs must have shape (n, n_classes) with n={labels.shape[0]}; got {probs.shape}")
    predictions = probs.argmax(axis=1)
    present = np.union1d(labels, predictions)
    metrics = {
        "n": int(labels.shape[0]),
        "accuracy": float(accuracy_score(labels, predictions)),
        "macro_f1": float(f1_score(labels, predictions, average="macro", labels=present, zero_division=0)),
    }
    per_class = f1_score(labels, predictions, average=None, labels=present, zero_division=0)
    metrics.update({f"f1_class{int(k)}": float(v) for k, v in zip(present, per_class)})
    if probs.shape[1] == 2:
        two_classes = len(np.unique(labels)) == 2
        metrics["roc_auc"] = float(roc_auc_score(labels, probs[:, 1])) if two_classes else float("nan")
        metrics["pr_auc"] = float(average_precision_score(labels, probs[:, 1])) if two_classes else float("nan")
    return metrics
