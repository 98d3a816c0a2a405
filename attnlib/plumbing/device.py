"""The device (CUDA when present, else CPU), torch's threads, and deterministic CUDA algorithms."""
from __future__ import annotations

import os

import torch

from .errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` gives CUDA when available, else the CPU; ``"cuda"`` without a GPU is an error."""
    if isinstance(device, torch.device):
        return device
    if device not in DEVICES and not str(device).startswith("cuda:"):
        raise ConfigError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use --device cpu or auto")
    return torch.device(device)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def configured_threads() -> int | None:
    """``$ATTNLIB_THREADS`` as a number, or None when it is not set; anything but a positive integer is one
    :class:`ConfigError` line."""
    value = os.environ.get("ATTNLIB_THREADS", "")
    if value and not (value.isdigit() and int(value) >= 1):
        raise ConfigError(f"ATTNLIB_THREADS must be a positive integer; got {value!r}")
    return int(value) if value else None


def configure_threads(n_threads: int | None = None) -> int:
    """Set torch's intra-op threads for this process; called once by the entry points (the CLI), never on import.

    ``n_threads``, else ``$ATTNLIB_THREADS``, else every available core. Measured on the 2-core reference
    machine (one BiLSTM training step on IMDB-sized batches): 2 threads are 1.5x faster than 1, so the
    default uses every core; run one torch process at a time, since two would share them.

    Returns
    -------
    int
        The number of threads set.
    """
    if n_threads is None:
        n_threads = configured_threads() or available_cores()
    torch.set_num_threads(n_threads)
    if torch.cuda.is_available():
        use_deterministic_cuda()
    return n_threads


def threads_key() -> int:
    """torch's intra-op threads in this process, which are part of every run's key (:func:`~attnlib.results.runs.
    run_directory`): on a CPU, a training step's weight gradients (matrix products that reduce over the batch and
    the tokens, split differently among threads) change in their last bits with the number of threads, and
    training amplifies them; measured on the 2-core machine, SST runs trained with 1 and with 2 threads differ in
    every encoder's weights and in their analyses' summaries, even with ``MKL_CBWR=AVX2,STRICT``. Forward passes
    are identical. A run is therefore defined by its thread count, and the processes that read it (the command
    line, the chapters, the book's Dask workers) set the same count through :func:`configure_threads`."""
    return torch.get_num_threads()


def use_deterministic_cuda() -> None:
    """Ask torch for deterministic CUDA algorithms where it has them (a warning names any op without one).

    cuDNN autotuning is off and cuBLAS gets the fixed workspace it needs for reproducible products
    (``CUBLAS_WORKSPACE_CONFIG``, unless already set). Called by the entry points, before any CUDA work.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)
