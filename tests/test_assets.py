"""Offline assets: npm tarballs are checked against their integrity hash and copied as declared."""
import base64
import hashlib
import io
import tarfile

import pytest

from attnlib.book.assets import NpmAsset, fetch_tarball, install_assets
from attnlib.plumbing.errors import AttnlibError
from attnlib.book.sphinx_offline import _is_remote


def fake_package(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def cached_asset(tmp_path, monkeypatch, data: bytes, declared: str) -> NpmAsset:
    monkeypatch.setenv("ATTNLIB_CACHE", str(tmp_path / "cache"))
    (tmp_path / "cache" / "npm").mkdir(parents=True)
    (tmp_path / "cache" / "npm" / "fake-1.0.0.tgz").write_bytes(data)
    return NpmAsset("fake", "1.0.0", declared, (("dist/*.js", "js"), ("LICENSE", "js/license")))


def test_cached_tarball_with_matching_integrity_is_used_and_copied(tmp_path, monkeypatch):
    data = fake_package({"dist/a.js": b"a", "dist/b.js": b"b", "dist/c.css": b"c", "LICENSE": b"MIT"})
    asset = cached_asset(tmp_path, monkeypatch, data, integrity(data))
    written = install_assets([asset], tmp_path / "static")
    assert sorted(p.relative_to(tmp_path / "static").as_posix() for p in written) == [
        "js/a.js", "js/b.js", "js/license/LICENSE"]
    assert (tmp_path / "static" / "js" / "a.js").read_bytes() == b"a"


def test_tarball_with_wrong_integrity_is_fetched_again_and_rejected(tmp_path, monkeypatch):
    data = fake_package({"dist/a.js": b"a"})
    asset = cached_asset(tmp_path, monkeypatch, data, integrity(b"something else"))
    monkeypatch.setattr("shutil.which", lambda name: None)  # no npm: the cached copy must not be trusted
    with pytest.raises(AttnlibError, match="npm is needed to fetch fake@1.0.0"):
        fetch_tarball(asset)


@pytest.mark.parametrize("address,remote", [
    ("https://unpkg.com/thebe@0.8.2/lib/index.js", True), ("//cdn.example.org/x.js", True),
    ("_static/vendor/mathjax/tex-chtml.js", False), ("../../_static/doctools.js", False),
])
def test_remote_scripts_are_recognised(address, remote):
    assert _is_remote(address) is remote
