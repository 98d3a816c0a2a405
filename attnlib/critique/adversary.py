"""The model-consistent adversary (Wiegreffe & Pinter 2019, §4): a whole model trained to predict what a base
model predicts while attending differently.

For each training batch (``B`` rows) the adversary minimises

    loss = sum_i TVD(ŷ_adv_i, ŷ_base_i) - λ · sum_i KL(α_adv_i ‖ α_base_i)

as W&P's ``model/Binary_Classification.py`` does (their ``KLDivLoss(reduction='sum')`` with the base attention's
logarithm as input and the adversary's attention as target is this KL, summed over the batch). Two differences,
said in the book's reproducibility chapter: our TVD is the book's ``|p - p'|`` for a binary output, twice W&P's
``0.5·|p - p'|``, so their λ is half of ours; and W&P multiply the batch's scalar loss by the sum of the batch's
class weights (a rescaling of each step that Adam mostly undoes), which we do not. Logarithms get ``1e-10`` inside,
as in :func:`attnlib.explain.jsd`, so a base weight of exactly 0 on a real token gives a large but finite KL.

Like W&P, the epoch kept is the one with the lowest training loss, and training stops after ``patience`` epochs
without a lower one (they allow 80 epochs and a patience of 10). The base model is frozen; the adversary is a new
model of the architecture its run names, trained from its own seed.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..data.base import TextDataset
from ..data.batching import batch_order, make_batch
from ..explain.divergence import JSD_EPS, tvd
from ..models.model import AttentionModel
from ..plumbing.errors import ConfigError
from ..plumbing.io import save_torch
from ..training.recipe import TrainConfig, epoch_seed, make_optimizer, read_checkpoint


@dataclass(frozen=True)
class ConsistentAdversaryConfig:
    """Settings of an adversary's training.

    Attributes
    ----------
    train : TrainConfig
        Epochs (at most), batch size, learning rate, weight decay, seed.
    lam : float
        λ, the weight of the attention KL against the output TVD (≥ 0).
    patience : int
        Stop after this many epochs without a lower training loss.
    """

    train: TrainConfig
    lam: float
    patience: int = 10

    def __post_init__(self):
        if not isinstance(self.lam, (int, float)) or isinstance(self.lam, bool) or not np.isfinite(self.lam) \
                or self.lam < 0:
            raise ConfigError(f"λ (lambda) must be a number >= 0; got {self.lam!r}")
        if self.patience < 1:
            raise ConfigError(f"patience must be at least 1 epoch; got {self.patience}")


def attention_kl(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """``KL(p ‖ q) = sum_t p_t (log(p_t + 1e-10) - log(q_t + 1e-10))`` per row.

    Parameters
    ----------
    p, q : Tensor, shape (batch, seq_len)
        Attention vectors, zero on padding (where they add nothing).

    Returns
    -------
    Tensor, shape (batch,)
    """
    return (p * (torch.log(p + JSD_EPS) - torch.log(q + JSD_EPS))).sum(-1)


def consistency_loss(adv_probs: torch.Tensor, base_probs: torch.Tensor, adv_attention: torch.Tensor,
                     base_attention: torch.Tensor, lam: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """W&P's adversarial loss of one batch, and its two sums.

    Parameters
    ----------
    adv_probs, base_probs : Tensor, shape (batch, n_classes)
    adv_attention, base_attention : Tensor, shape (batch, seq_len)
    lam : float

    Returns
    -------
    loss, tvd_sum, kl_sum : Tensor, shape ()
        ``loss = tvd_sum - lam * kl_sum``.
    """
    tvd_sum = tvd(adv_probs, base_probs).sum()
    kl_sum = attention_kl(adv_attention, base_attention).sum()
    return tvd_sum - lam * kl_sum, tvd_sum, kl_sum


def _base_outputs(base: AttentionModel, batch) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        encoded = base.encode(batch)
        attention = base.attend(encoded)
        return base.decode(encoded, attention), attention


def train_consistent_adversary(model: AttentionModel, base: AttentionModel, dataset: TextDataset,
                               config: ConsistentAdversaryConfig, device: torch.device,
                               run_dir: str | Path | None = None, progress: bool = True) -> dict:
    """Train ``model`` in place to follow ``base`` (frozen) on ``dataset``'s training split; load the kept epoch.

    Parameters
    ----------
    run_dir : path, optional
        ``checkpoint.pt`` is written there after every epoch and an existing one is resumed.

    Returns
    -------
    dict with ``history`` (per epoch: loss, tvd, kl sums over the training split, seconds) and ``best_epoch``.
    """
    train = dataset.split("train")
    model.to(device)
    base.to(device).eval().requires_grad_(False)
    optimizer = make_optimizer(model, config.train)
    state = {"epoch": -1, "best_loss": np.inf, "best_epoch": None, "best_model": None, "history": [], "stale": 0}
    checkpoint = Path(run_dir) / "checkpoint.pt" if run_dir is not None else None
    saved = read_checkpoint(checkpoint, device)
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"]
    for epoch in range(state["epoch"] + 1, config.train.epochs):
        if state["stale"] >= config.patience:
            break
        started = time.perf_counter()
        model.train()
        sums = torch.zeros(3, dtype=torch.float64, device=device)
        chunks = batch_order(train, config.train.batch_size, seed=epoch_seed(config.train, epoch))
        for chunk in tqdm(chunks, desc=f"adversary epoch {epoch + 1}", disable=not progress, leave=False):
            batch = make_batch(train, chunk).to(device)
            base_probs, base_attention = _base_outputs(base, batch)
            encoded = model.encode(batch)
            attention = model.attend(encoded)
            loss, tvd_sum, kl_sum = consistency_loss(model.decode(encoded, attention), base_probs, attention,
                                                     base_attention, config.lam)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            sums += torch.stack([loss.detach(), tvd_sum.detach(), kl_sum.detach()]).double()
        loss_sum, tvd_total, kl_total = (float(v) for v in sums)
        seconds = time.perf_counter() - started
        state["history"].append({"epoch": epoch, "loss": loss_sum, "tvd": tvd_total, "kl": kl_total,
                                 "seconds": seconds})
        if loss_sum < state["best_loss"]:
            state["best_loss"], state["best_epoch"], state["stale"] = loss_sum, epoch, 0
            state["best_model"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            state["stale"] += 1
        if progress:
            tqdm.write(f"adversary epoch {epoch + 1}/{config.train.epochs}: loss {loss_sum:.2f} "
                       f"(TVD {tvd_total:.2f}, KL {kl_total:.2f}), {seconds:.1f} s", file=sys.stderr)
        state["epoch"] = epoch
        if checkpoint is not None:
            save_torch(checkpoint, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                    "state": state})
    if state["best_model"] is not None:
        model.load_state_dict(state["best_model"])
    return {"history": state["history"], "best_epoch": state["best_epoch"]}
