"""Shared pytest fixtures."""
from __future__ import annotations

import pytest


@pytest.fixture
def attnlib_env(tmp_path, monkeypatch):
    """Isolate attnlib's environment: a fresh cache dir, no ATTNLIB_DATA, downloads off.

    Returns the cache directory.
    """
    cache = tmp_path / "cache"
    monkeypatch.setenv("ATTNLIB_CACHE", str(cache))
    monkeypatch.delenv("ATTNLIB_DATA", raising=False)
    monkeypatch.delenv("ATTNLIB_DOWNLOAD", raising=False)
    return cache


@pytest.fixture
def data_dir(tmp_path):
    """An empty data directory."""
    path = tmp_path / "data"
    path.mkdir()
    return path
