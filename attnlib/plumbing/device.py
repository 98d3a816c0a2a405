"""The device (CUDA when present, else CPU), torch's threads, the allocator's reuse of freed memory, and deterministic
CUDA algorithms."""
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
    keep_freed_memory()
    if torch.cuda.is_available():
        use_deterministic_cuda()
    return n_threads


#: glibc's ``mallopt`` parameters (malloc.h): return freed heap memory to the system above this size; serve requests of
#: at least this size with a fresh ``mmap``.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
KEPT_BLOCK_SIZE = 2 ** 30
"""Blocks up to this size (1 GiB) come from and go back to the heap (glibc's ``M_MMAP_THRESHOLD``), and freed memory is
not handed back to the system (``M_TRIM_THRESHOLD`` at its largest), in every process that trains or analyses
(:func:`keep_freed_memory`)."""


def keep_freed_memory() -> bool:
    """Make glibc's allocator keep freed memory for the next tensor of the same size instead of returning it to the
    system; called with :func:`configure_threads`. Returns whether it could (glibc only; elsewhere nothing changes).

    A training step or an analysis batch frees and allocates the same tensors again and again; by default glibc
    serves large ones (from 128 KiB, rising with use) with ``mmap``, so every step pays for fresh pages, which the
    kernel zeroes (system time). Measured on the 2-core machine, one thread, IMDB BiLSTM training steps: 0.295 s a
    batch with glibc's defaults (0.6 s of system time in 14 steps), 0.205 s with this (0.1 s), and 0.400 s (1.5 s)
    in a Dask worker, whose nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` (which also pins the mmap threshold at
    128 KiB). Results are unchanged: only where memory comes from changes. Resident memory stays at its peak.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        return False
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, KEPT_BLOCK_SIZE)) and bool(mallopt(_M_TRIM_THRESHOLD, 2 ** 31 - 1))


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
