"""The naive, per-instance versions of :mod:`attnlib.faithfulness.erasure`, one shortened text at a time, that the
batched metrics are tested against (never used by the library)."""
from __future__ import annotations

import numpy as np
import torch

from ..data.base import Split
from ..data.batching import make_batch
from .erasure import ERASURE_FRACTIONS, kept_counts, ranked_positions, shortened

__all__ = ["naive_decision_flips", "naive_erasure_curves"]


def _probability(model, split: Split, row: int, sequence: list[int]) -> np.ndarray:
    """The model's output on example ``row`` of ``split`` with its text replaced by ``sequence``: (n_classes,)."""
    single = Split(sequences=[sequence], labels=split.labels[[row]],
                   questions=None if split.questions is None else [split.questions[row]],
                   candidates=None if split.candidates is None else split.candidates[[row]])
    device = next(model.parameters()).device
    with torch.no_grad():
        return model.predict(make_batch(single, [0]).to(device))[0].double().cpu().numpy()


def naive_erasure_curves(model, split: Split, scores: np.ndarray, *, fractions=ERASURE_FRACTIONS) -> dict:
    """Comprehensiveness and sufficiency, each instance and bin on its own: same output as
    :func:`~attnlib.faithfulness.erasure.erasure_curves`."""
    model.eval()
    out = {name: np.full((len(split), len(fractions)), np.nan) for name in ("comprehensiveness", "sufficiency")}
    for i, sequence in enumerate(split.sequences):
        n_tokens = len(sequence) - 2
        if n_tokens < 2:
            continue
        whole = _probability(model, split, i, sequence)
        target = whole.argmax()
        order = ranked_positions(scores[i], len(sequence))
        for j, k in enumerate(kept_counts(n_tokens, fractions)):
            out["comprehensiveness"][i, j] = whole[target] - _probability(model, split, i, shortened(sequence, order[:k]))[target]
            out["sufficiency"][i, j] = whole[target] - _probability(model, split, i, shortened(sequence, order[k:]))[target]
    return out


def naive_decision_flips(model, split: Split, scores: np.ndarray) -> np.ndarray:
    """Tokens removed one by one in the explainer's order until the predicted class changes: same output as
    :func:`~attnlib.faithfulness.erasure.decision_flips`."""
    model.eval()
    out = np.full(len(split), np.nan)
    for i, sequence in enumerate(split.sequences):
        n_tokens = len(sequence) - 2
        if n_tokens < 2:
            continue
        predicted = _probability(model, split, i, sequence).argmax()
        order = ranked_positions(scores[i], len(sequence))
        for k in range(1, n_tokens):
            if _probability(model, split, i, shortened(sequence, order[:k])).argmax() != predicted:
                out[i] = k / n_tokens
                break
    return out
