"""Finding files by path suffix in a data directory and inside its archives."""
from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import zipfile

import pytest

from attnlib.data import DataDir, resolve_data_dir
from attnlib.plumbing.errors import DataError

FILES = {f"pack/a/{i}.txt": f"file {i}".encode() for i in range(30)}
FILES["pack/b/readme.txt"] = b"readme"


def _tar(path, mode, files=FILES):
    with tarfile.open(path, mode) as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize(
    "fname, mode",
    [("x.tar.gz", "w:gz"), ("x.tgz", "w:gz"), ("x.tar.xz", "w:xz"), ("x.tar.bz2", "w:bz2"), ("x.tar", "w"), ("x.zip", None)],
)
def test_every_archive_format_is_searched(tmp_path, fname, mode):
    if mode is None:
        with zipfile.ZipFile(tmp_path / fname, "w") as zf:
            for name, data in FILES.items():
                zf.writestr(name, data)
    else:
        _tar(tmp_path / fname, mode)
    data = DataDir(tmp_path)
    ref = data.find("b/readme.txt")
    assert ref is not None and ref.in_archive and ref.member.endswith("pack/b/readme.txt")
    assert data.read_bytes(ref) == b"readme"
    refs = data.find_all("a/*.txt")
    assert len(refs) == 30
    got = dict(data.iter_bytes(refs))
    assert {r.member: v for r, v in got.items()} == {k: v for k, v in FILES.items() if "/a/" in k}


def test_plain_files_win_and_suffix_must_match_whole_segments(tmp_path):
    (tmp_path / "sst").mkdir()
    (tmp_path / "sst" / "train.txt").write_text("plain")
    with zipfile.ZipFile(tmp_path / "trees.zip", "w") as zf:
        zf.writestr("trees/train.txt", "zipped")
        zf.writestr("mytrees/dev.txt", "other")
    data = DataDir(tmp_path)
    assert data.read_text(data.find("sst/train.txt")) == "plain"
    assert data.read_text(data.find("trees/train.txt")) == "zipped"
    assert data.find("train.txt").member is None  # a plain match beats the archive
    assert data.find("trees/dev.txt") is None  # "mytrees" is not "trees"
    assert data.find_first(["nope.txt", "trees/train.txt"]).member == "trees/train.txt"


def test_tar_is_read_in_one_pass(tmp_path, monkeypatch):
    _tar(tmp_path / "big.tar.xz", "w:xz")
    data = DataDir(tmp_path)
    refs = data.find_all("a/*.txt")
    opened = []
    real_open = tarfile.open

    def counting_open(*args, **kwargs):
        opened.append(args)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(tarfile, "open", counting_open)
    assert len(dict(data.iter_bytes(refs))) == 30
    assert len(opened) == 1


def test_listing_is_cached_on_disk(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    _tar(root / "x.tar.gz", "w:gz")
    cache = tmp_path / "cache"
    assert len(DataDir(root, cache_dir=cache).find_all("a/*.txt")) == 30
    assert list((cache / "archive-listings").glob("*.json"))
    assert len(DataDir(root, cache_dir=cache).find_all("a/*.txt")) == 30


def test_single_file_compression_is_undone(tmp_path):
    (tmp_path / "d.jsonl.gz").write_bytes(gzip.compress(b'{"a": 1}\n'))
    data = DataDir(tmp_path)
    assert data.read_text(data.find("d.jsonl.gz")) == '{"a": 1}\n'


def test_prefer_searches_named_archives_first(tmp_path):
    _tar(tmp_path / "a_other.tar.gz", "w:gz", {"x/f.txt": b"other"})
    _tar(tmp_path / "z_wanted.tar.gz", "w:gz", {"x/f.txt": b"wanted"})
    data = DataDir(tmp_path)
    assert data.read_bytes(data.find("x/f.txt")) == b"other"
    assert data.read_bytes(data.find("x/f.txt", prefer=("z_*",))) == b"wanted"


@pytest.mark.parametrize("fname", ["broken.tar.gz", "broken.zip", "broken.tar.xz"])
def test_corrupt_archive_names_file_and_checksum(tmp_path, fname):
    good = tmp_path / "good.tar.gz"
    _tar(good, "w:gz")
    payload = good.read_bytes()[: len(good.read_bytes()) // 2] if fname.endswith(".gz") else b"not an archive at all"
    (tmp_path / fname).write_bytes(payload)
    good.unlink()
    digest = hashlib.sha256(payload).hexdigest()
    with pytest.raises(DataError) as err:
        DataDir(tmp_path).find("a/1.txt")
    msg = str(err.value)
    assert fname in msg and digest in msg and "\n" not in msg


def test_nonexistent_data_dir_is_one_line_error(tmp_path, monkeypatch):
    monkeypatch.delenv("ATTNLIB_DATA", raising=False)
    with pytest.raises(DataError) as err:
        resolve_data_dir(tmp_path / "nope")
    msg = str(err.value)
    assert str(tmp_path / "nope") in msg and "--data-dir" in msg and "ATTNLIB_DATA" in msg and "\n" not in msg
    monkeypatch.setenv("ATTNLIB_DATA", str(tmp_path))
    assert resolve_data_dir() == tmp_path
    assert resolve_data_dir(tmp_path / "new", create=True).is_dir()
