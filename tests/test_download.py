"""Downloading what a preset needs before training (``fetch_missing``, ``--download``, ``ATTNLIB_DOWNLOAD``,
``ATTNLIB_SOURCES``), against local HTTP servers on 127.0.0.1 serving copies of the shared datasets."""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from attnlib.data import DownloadWarning, dataset_status, fetch_missing, fetch_url, load_dataset, sources
from attnlib.plumbing.errors import DataError
from conftest import QUICK_FILES, QuietHandler, real_data_dir, resource, serving, write_sources

pytestmark = pytest.mark.usefixtures("attnlib_env")

ROOT = Path(__file__).resolve().parents[1]
REAL = real_data_dir()
needs_real_data = pytest.mark.skipif(REAL is None, reason="needs the shared SST, bAbI and SNLI data (ATTNLIB_DATA)")


class _Faulty(QuietHandler):
    """Serves ``/truncated/<path>`` as its first half (a complete, short response) and ``/dropped/<path>`` as its
    first half after announcing the whole length (the connection closes mid-file); everything else as it is."""

    def do_GET(self):
        for prefix in ("/truncated/", "/dropped/"):
            if self.path.startswith(prefix):
                data = (Path(self.directory) / self.path[len(prefix):]).read_bytes()
                half = data[: len(data) // 2]
                self.send_response(200)
                self.send_header("Content-Length", str(len(half) if prefix == "/truncated/" else len(data)))
                self.end_headers()
                self.wfile.write(half)
                self.wfile.flush()
                self.close_connection = True
                return
        super().do_GET()


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _files(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path → SHA-256)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _copy(names, to: Path) -> Path:
    for subdir, name in names:
        (to / subdir).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REAL / subdir / name, to / subdir / name)
    return to


@pytest.fixture(scope="module")
def book_root(tmp_path_factory):
    """A copy of the book's sources (what ``--root`` points at)."""
    root = tmp_path_factory.mktemp("book")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "book", root / "book", ignore=shutil.ignore_patterns("executed", "vendor"))
    return root


# --------------------------------------------------------------------------- success
def test_fetch_missing_downloads_sst_and_babi_into_an_empty_folder(quick_mirror, tmp_path, monkeypatch):
    _, www, mirror = quick_mirror
    monkeypatch.setenv("ATTNLIB_SOURCES", str(write_sources(tmp_path / "sources.json", mirror)))
    assert [r.filename for r in sources("sst")] == ["train.txt", "dev.txt", "test.txt"]
    data = tmp_path / "data"          # not even created yet
    fetched = fetch_missing(["sst", "babi1", "adr", "diabetes"], data, progress=False)   # no source: skipped
    assert sorted(p.relative_to(data).as_posix() for p in fetched) == sorted(f"{d}/{n}" for d, n in QUICK_FILES)
    assert _files(data) == _files(www)
    assert fetch_missing(["sst", "babi1"], data, progress=False) == []      # nothing is fetched twice
    for name in ("sst", "babi1"):
        downloaded = load_dataset(name, data, progress=False)
        assert len(downloaded.splits["train"]) > 0
        # same names and bytes as the shared copies: the same fingerprint, so the same runs
        assert downloaded.fingerprint == load_dataset(name, REAL, progress=False).fingerprint


# --------------------------------------------------------------------------- failures before training
def _failing_sources(url: str, www: Path, case: str) -> tuple[dict, str]:
    """SST's three files, the dev file broken as ``case``; returns the sources and the broken file's URL."""
    prefix = {"truncated": "truncated/", "dropped": "dropped/", "checksum": ""}[case]
    entries = []
    for name in ("train.txt", "dev.txt", "test.txt"):
        broken = name == "dev.txt"
        entry = resource(f"{url}/{prefix if broken else ''}sst/{name}", www / "sst" / name, "sst")
        if broken and case == "checksum":
            entry["sha256"] = "0" * 64
        entries.append(entry)
    return {"sst": entries}, entries[1]["url"]


@needs_real_data
@pytest.mark.parametrize("case", ["truncated", "checksum", "dropped"])
def test_a_failed_download_stops_the_book_before_training(case, book_root, tmp_path):
    www = _copy([f for f in QUICK_FILES if f[0] == "sst"], tmp_path / "www")
    data, runs = tmp_path / "data", tmp_path / "runs"
    data.mkdir()
    with serving(www, _Faulty) as url:
        mirror, broken_url = _failing_sources(url, www, case)
        env = {**os.environ, "ATTNLIB_SOURCES": str(write_sources(tmp_path / "sources.json", mirror))}
        env.pop("ATTNLIB_DOWNLOAD", None)
        result = subprocess.run([sys.executable, "-m", "attnlib.cli", "book", "--preset", "quick", "--download",
                                 "--data-dir", str(data), "--runs-dir", str(runs), "--root", str(book_root)],
                                capture_output=True, text=True, timeout=600, env=env)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2 and len(errors) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    message = errors[0]
    print(f"{case}: {message}")
    assert broken_url in message and str(data / "sst" / "dev.txt") in message and "by hand" in message
    assert {"truncated": "expected 280825", "checksum": "sha256", "dropped": "connection closed"}[case] in message
    assert not runs.exists() or not any(runs.iterdir()), "training started before the data was complete"
    assert not (book_root / "_build" / "timeline.csv").exists()
    left = _files(data)     # only complete, verified files: SST's train and test, no .part file
    assert left == {f"sst/{n}": h for n, h in _files(www / "sst").items() if n != "dev.txt"}, left


def test_a_dropped_connection_leaves_nothing(tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / "f.bin").write_bytes(os.urandom(300_000))
    dest = tmp_path / "data" / "x" / "f.bin"
    with serving(www, _Faulty) as url, pytest.raises(DataError) as err:
        fetch_url(f"{url}/dropped/f.bin", dest, progress=False)     # neither size nor checksum given
    message = str(err.value)
    assert "connection closed after 150000 bytes, 150000 bytes short" in message and "\n" not in message
    assert list((tmp_path / "data").rglob("*")) == []


def test_an_unreadable_sources_file_is_one_line(tmp_path, monkeypatch):
    bad = tmp_path / "sources.json"
    bad.write_text("[1, 2]")
    monkeypatch.setenv("ATTNLIB_SOURCES", str(bad))
    with pytest.raises(DataError, match="ATTNLIB_SOURCES=.* is not a JSON object") as err:
        sources("sst")
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- reduced data
@needs_real_data
def test_a_failed_upgrade_of_reduced_data_warns_and_goes_on(server, tmp_path, monkeypatch):
    url, _ = server
    data = _copy([("snli", n) for n in ("snli_1.0_dev.jsonl.gz", "snli_1.0_test.jsonl.gz",
                                       "snli_1.0_train_0.01.jsonl.gz")], tmp_path / "data")
    before = _files(data)
    missing = {"url": f"{url}/snli/snli_1.0.zip", "filename": "snli_1.0.zip", "subdir": "snli",
               "sha256": "0" * 64, "size": 94550081}
    monkeypatch.setenv("ATTNLIB_SOURCES", str(write_sources(tmp_path / "sources.json", {"snli": [missing]})))
    with pytest.warns(DownloadWarning) as caught:
        assert fetch_missing(["snli"], data, progress=False) == []
    (warning,) = caught
    message = str(warning.message)
    print(f"reduced: {message}")
    assert "\n" not in message and missing["url"] in message and "HTTP 404" in message
    assert str(data / "snli" / "snli_1.0.zip") in message and "reduced" in message
    assert "'snli' (without snli_1.0_train.jsonl)" in message
    assert _files(data) == before and dataset_status("snli", data)["available"]


@needs_real_data
def test_the_book_goes_on_with_reduced_data(server, book_root, tmp_path, monkeypatch, capsys):
    """bAbI-1 without its official archive (en-10k task 3 is missing from the shared copy): one warning line, then
    the build goes on to its next step (here the npm check, which stops it before training)."""
    from attnlib.cli import main

    url, _ = server
    data = _copy(QUICK_FILES, tmp_path / "data")
    before = _files(data)
    missing = {"url": f"{url}/tasks_1-20_v1-2.tar.gz", "filename": "tasks_1-20_v1-2.tar.gz", "subdir": "babi"}
    monkeypatch.setenv("ATTNLIB_SOURCES", str(write_sources(tmp_path / "sources.json", {"babi": [missing]})))
    monkeypatch.setenv("ATTNLIB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr("shutil.which", lambda name: None)           # no npm: the step after the downloads fails
    runs = tmp_path / "runs"
    code = main(["book", "--preset", "quick", "--download", "--root", str(book_root), "--data-dir", str(data),
                 "--runs-dir", str(runs)])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith(("warning:", "error:"))]
    assert code == 2 and len(lines) == 2, lines
    warning, error = lines
    assert warning.startswith("warning: could not download") and missing["url"] in warning
    assert "'babi1' (without en-10k/qa3_three-supporting-facts_train.txt)" in warning
    assert error.startswith("error: npm is needed")
    assert _files(data) == before
    assert not runs.exists()


# --------------------------------------------------------------------------- ATTNLIB_DOWNLOAD
RUN = ["--dataset", "sst", "--encoder", "lstm", "--attention", "tanh"]
COMMANDS = {
    "train": ["train", *RUN], "analyse": ["analyse", *RUN], "bench": ["bench"],
    "bench --training": ["bench", "--training", "--datasets", "sst"], "book": ["book", "--preset", "quick"],
    "slides": ["slides", "--preset", "quick"], "datasets": ["datasets"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_attnlib_download_turns_downloading_on(command, book_root, tmp_path, monkeypatch, capsys):
    from attnlib.cli import main
    from attnlib.data import SOURCES

    unreachable = f"http://127.0.0.1:{_unused_port()}"
    offline = {family: [{"url": f"{unreachable}/{family}.bin", "filename": f"{family}.bin", "subdir": family}]
               for family in SOURCES}                              # every family: nothing leaves this machine
    monkeypatch.setenv("ATTNLIB_SOURCES", str(write_sources(tmp_path / "sources.json", offline)))
    monkeypatch.setenv("ATTNLIB_DOWNLOAD", "1")
    data, runs = tmp_path / "data", tmp_path / "runs"
    argv = [*COMMANDS[command], "--data-dir", str(data)]
    argv += ["--runs-dir", str(runs)] if command != "datasets" else []
    argv += ["--root", str(book_root)] if command == "book" else []
    argv += ["--out", str(tmp_path / "deck.html")] if command == "slides" else []
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith(("warning:", "error:"))]
    attempt = f"could not download {unreachable}/sst.bin"
    if command == "datasets":          # lists what it has after trying every download, one warning line each
        assert code == 0 and any(attempt in line for line in lines)
        assert all(line.startswith("warning:") for line in lines)
    else:
        assert code == 2 and len(lines) == 1 and attempt in lines[0], err[-2000:]
        assert not runs.exists()
    if command == "train":             # --no-download wins over the variable
        assert main([*argv, "--no-download"]) == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert "could not download" not in line and "let attnlib download it" in line
