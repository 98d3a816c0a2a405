"""Checks against the real datasets.

The data directory is ``$ATTNLIB_DATA`` if set (then every dataset must be there: conftest stops the run
otherwise), else ``../shared/data`` beside the project, else the tests are skipped.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from attnlib.data import DataDir, load_dataset
from attnlib.data import newsgroups
from attnlib.data.sst import read_trees

REAL = Path(os.environ.get("ATTNLIB_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


def _need(*patterns):
    if not REAL.is_dir():
        pytest.skip(f"real data not found in {REAL}")
    data = DataDir(REAL)
    refs = [data.find(p) for p in patterns]
    if any(r is None for r in refs):
        missing = [p for p, r in zip(patterns, refs) if r is None]
        if os.environ.get("ATTNLIB_DATA"):
            pytest.fail(f"{missing} not in ATTNLIB_DATA={REAL}", pytrace=False)
        pytest.skip(f"{missing} not in {REAL}")
    return data, refs


def test_sst_counts_match_the_paper(tmp_path):
    data, refs = _need("sst/train.txt", "sst/dev.txt", "sst/test.txt")
    before = [len(read_trees(data.read_text(r))[0]) for r in refs]
    assert before == [6920, 872, 1821]
    ds = load_dataset("sst", REAL, cache_dir=tmp_path, progress=False)
    assert {k: len(v) for k, v in ds.splits.items()} == {"train": 6355, "dev": 821, "test": 1725}
    assert np.bincount(ds.splits["test"].labels).tolist() == [863, 862]
    assert len(ds.vocab) == 13826  # the vocabulary size the authors' notebook printed


def test_20news_has_1993_baseball_and_hockey_posts(tmp_path):
    data, _ = _need("20news-bydate-train/rec.sport.hockey/52550")
    files = {fs.role: fs.resolve(data) for fs in newsgroups.FILES}
    texts, labels, info = newsgroups.read_posts(files, data)
    assert len(texts) == 1993 and labels.count(0) == 994
    assert info["all_groups"] == 20
