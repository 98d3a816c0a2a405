"""The prepared-dataset cache and the verified downloader (against a local HTTP server)."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import socket
import zipfile

import pytest

from attnlib.data import SOURCES, Resource, fetch, fetch_url, load_dataset
from attnlib.data import cache as cache_mod
from attnlib.data import registry
from attnlib.plumbing.errors import DataError

pytestmark = pytest.mark.usefixtures("attnlib_env")


def _trees() -> str:
    words = "good bad film plot actor scene story music great awful".split()
    rows = []
    for i in range(10):
        leaves = " ".join(f"(2 {words[(i + k) % 10]})" for k in range(6 + i))
        rows.append(f"({(0, 1, 3, 4)[i % 4]} {leaves})")
    return "\n".join(rows) + "\n"


def _write_sst(root):
    (root / "sst").mkdir(parents=True, exist_ok=True)
    for split in ("train", "dev", "test"):
        (root / "sst" / f"{split}.txt").write_text(_trees())


def _boom(*args, **kwargs):
    raise AssertionError("the dataset was rebuilt instead of read from the cache")


def test_second_load_comes_from_the_cache(data_dir, attnlib_env, monkeypatch):
    _write_sst(data_dir)
    first = load_dataset("sst", data_dir, progress=False)
    entries = list((attnlib_env / "datasets").glob("sst-*.pkl"))
    assert len(entries) == 1 and first.fingerprint
    spec = registry._SPECS["sst"]
    monkeypatch.setitem(registry._SPECS, "sst", dataclasses.replace(spec, build=_boom))
    second = load_dataset("sst", data_dir, progress=False)
    assert second.fingerprint == first.fingerprint
    assert second.splits["train"].sequences == first.splits["train"].sequences
    # a changed source file gives a new fingerprint, so the stale entry is not used
    (data_dir / "sst" / "dev.txt").write_text(_trees() + "(4 (2 new) (2 words) (2 in) (2 the) (2 dev) (2 set) (2 !))\n")
    with pytest.raises(AssertionError, match="rebuilt"):
        load_dataset("sst", data_dir, progress=False)
    monkeypatch.setitem(registry._SPECS, "sst", spec)
    third = load_dataset("sst", data_dir, progress=False)
    assert third.fingerprint != first.fingerprint


def test_corrupt_cache_entry_is_rebuilt(data_dir, attnlib_env):
    _write_sst(data_dir)
    first = load_dataset("sst", data_dir, progress=False)
    (entry,) = (attnlib_env / "datasets").glob("sst-*.pkl")
    entry.write_bytes(b"\x80\x04garbage")
    again = load_dataset("sst", data_dir, progress=False)
    assert again.splits["test"].sequences == first.splits["test"].sequences
    assert cache_mod.load_pickle(entry) is not None  # rewritten


def test_fingerprint_depends_on_version_options_and_sources(monkeypatch):
    base = cache_mod.fingerprint("x", [("a", "1"), ("b", "2")], {"k": 1})
    assert base == cache_mod.fingerprint("x", [("b", "2"), ("a", "1")], {"k": 1})
    assert base != cache_mod.fingerprint("x", [("a", "1"), ("b", "3")], {"k": 1})
    assert base != cache_mod.fingerprint("x", [("a", "1"), ("b", "2")], {"k": 2})
    monkeypatch.setattr(cache_mod, "PREPROCESS_VERSION", cache_mod.PREPROCESS_VERSION + 1)
    assert base != cache_mod.fingerprint("x", [("a", "1"), ("b", "2")], {"k": 1})


def test_atomic_write_leaves_nothing_half_written(tmp_path, monkeypatch):
    target = tmp_path / "d" / "entry.pkl"
    cache_mod.atomic_write_bytes(target, b"old")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        cache_mod.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["entry.pkl"]
    with pytest.warns(UserWarning, match="could not write the dataset cache"):
        assert cache_mod.save_pickle(target, {"x": 1}) is False


# --------------------------------------------------------------------------- downloads (server: conftest.py)
def _sst_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for split in ("train", "dev", "test"):
            zf.writestr(f"trees/{split}.txt", _trees())
    return buf.getvalue()


def test_fetch_verifies_and_renames(server, data_dir):
    url, www = server
    payload = _sst_zip()
    (www / "trees.zip").write_bytes(payload)
    res = Resource(f"{url}/trees.zip", "trainDevTestTrees_PTB.zip", "sst", hashlib.sha256(payload).hexdigest(), len(payload))
    path = fetch(res, data_dir, progress=False)
    assert path == data_dir / "sst" / "trainDevTestTrees_PTB.zip" and path.read_bytes() == payload
    assert sorted(p.name for p in path.parent.iterdir()) == ["trainDevTestTrees_PTB.zip"]


def test_checksum_mismatch_leaves_nothing(server, data_dir):
    url, www = server
    (www / "f.bin").write_bytes(b"tampered content")
    dest = data_dir / "x" / "f.bin"
    with pytest.raises(DataError) as err:
        fetch_url(f"{url}/f.bin", dest, sha256="0" * 64, progress=False)
    assert "sha256" in str(err.value) and "\n" not in str(err.value)
    assert list(data_dir.rglob("*")) == []          # not even the folder made for it
    with pytest.raises(DataError, match="expected 3"):
        fetch_url(f"{url}/f.bin", dest, size=3, progress=False)
    assert list(data_dir.rglob("*")) == []


def test_unreachable_server_is_one_line_error(data_dir):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dest = data_dir / "f.zip"
    with pytest.raises(DataError) as err:
        fetch_url(f"http://127.0.0.1:{port}/f.zip", dest, progress=False, timeout=5)
    msg = str(err.value)
    assert f"127.0.0.1:{port}/f.zip" in msg and str(dest) in msg and "\n" not in msg
    assert list(data_dir.iterdir()) == []


def test_load_dataset_downloads_only_when_asked(server, data_dir, monkeypatch):
    url, www = server
    payload = _sst_zip()
    (www / "trees.zip").write_bytes(payload)
    res = Resource(f"{url}/trees.zip", "trainDevTestTrees_PTB.zip", "sst", hashlib.sha256(payload).hexdigest())
    monkeypatch.setitem(SOURCES, "sst", (res,))
    with pytest.raises(DataError) as err:
        load_dataset("sst", data_dir, progress=False)
    assert f"{url}/trees.zip" in str(err.value) and "--download" in str(err.value)
    ds = load_dataset("sst", data_dir, download=True, progress=False)
    assert len(ds.splits["train"]) > 0
    assert (data_dir / "sst" / "trainDevTestTrees_PTB.zip").exists()


def test_failed_download_names_missing_file(server, data_dir, monkeypatch):
    url, _ = server
    monkeypatch.setitem(SOURCES, "sst", (Resource(f"{url}/absent.zip", "trainDevTestTrees_PTB.zip", "sst", "0" * 64),))
    with pytest.raises(DataError) as err:
        load_dataset("sst", data_dir, download=True, progress=False)
    msg = str(err.value)
    assert "sst/train.txt" in msg and f"{url}/absent.zip" in msg and "\n" not in msg
    assert not (data_dir / "sst" / "trainDevTestTrees_PTB.zip").exists()
