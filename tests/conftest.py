"""Shared pytest fixtures."""
from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import json
import os
import shutil
import threading
from pathlib import Path

import pytest


@pytest.fixture
def attnlib_env(tmp_path, monkeypatch):
    """Isolate attnlib's environment: a fresh cache dir, no ATTNLIB_DATA, downloads off, the official sources.

    Returns the cache directory.
    """
    cache = tmp_path / "cache"
    monkeypatch.setenv("ATTNLIB_CACHE", str(cache))
    monkeypatch.delenv("ATTNLIB_DATA", raising=False)
    monkeypatch.delenv("ATTNLIB_DOWNLOAD", raising=False)
    monkeypatch.delenv("ATTNLIB_SOURCES", raising=False)
    return cache


@pytest.fixture
def data_dir(tmp_path):
    """An empty data directory."""
    path = tmp_path / "data"
    path.mkdir()
    return path


ROOT = Path(__file__).resolve().parents[1]


#: The dataset folders of ../shared/data that the integration tests read.
NEEDED = ("sst", "imdb", "20news", "ag_news", "snli", "babi")


def pytest_sessionstart(session):
    """Set torch's threads as the entry points do (runs are keyed by them, so the runs the book's subprocesses train
    are the ones the tests open). With ``ATTNLIB_DATA`` set (CI sets it), a folder without the datasets stops the
    run with one line, so the integration tests cannot pass by skipping."""
    from attnlib.plumbing.device import configure_threads

    configure_threads()
    value = os.environ.get("ATTNLIB_DATA")
    if value:
        missing = [name for name in NEEDED if not (Path(value) / name).exists()]
        if missing:
            pytest.exit(f"ATTNLIB_DATA={value} lacks {', '.join(missing)}: point it at the shared datasets "
                        "(../shared/data) or unset it to skip the tests that need them", returncode=2)


def real_data_dir() -> Path | None:
    """A data directory holding SST and bAbI (``$ATTNLIB_DATA``, ``data/`` or ``../shared/data``), else None."""
    candidates = [os.environ.get("ATTNLIB_DATA"), ROOT / "data", ROOT.parent / "shared" / "data"]
    for candidate in filter(None, candidates):
        if (Path(candidate) / "sst").exists() and (Path(candidate) / "babi").exists():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def quick_setup(tmp_path_factory):
    """``(data_dir, runs_dir)`` for the ``quick`` preset, shared by every test of the session.

    The runs folder is ``$ATTNLIB_TEST_RUNS`` when set (to keep trained runs between sessions), else a
    temporary folder; the tests are skipped when SST or bAbI are not available.
    """
    data_dir = real_data_dir()
    if data_dir is None:
        pytest.skip("the quick preset needs the SST and bAbI data: set ATTNLIB_DATA")
    runs = Path(os.environ.get("ATTNLIB_TEST_RUNS") or tmp_path_factory.mktemp("quick-runs"))
    return data_dir, runs


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder without logging each request."""

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(folder: Path, handler=QuietHandler):
    """A local HTTP server on 127.0.0.1 serving ``folder`` with ``handler``; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving ``tmp_path / 'www'``; yields (base url, folder)."""
    www = tmp_path / "www"
    www.mkdir()
    with serving(www) as url:
        yield url, www


def resource(url: str, path: Path, subdir: str, **changes) -> dict:
    """An ``ATTNLIB_SOURCES`` entry for the file ``path`` served at ``url``, with its real size and SHA-256."""
    data = path.read_bytes()
    entry = {"url": url, "filename": path.name, "subdir": subdir, "sha256": hashlib.sha256(data).hexdigest(),
             "size": len(data)}
    return {**entry, **changes}


#: The shared files the quick preset needs, as ``(subdir, file name)``: SST's trees and the bAbI archive.
QUICK_FILES = (("sst", "train.txt"), ("sst", "dev.txt"), ("sst", "test.txt"),
               ("babi", "tasks_1-20_v1-2_en_en-10k.tar.xz"))


@pytest.fixture(scope="session")
def quick_mirror(tmp_path_factory):
    """A local HTTP server serving copies of the shared SST and bAbI files, up for the whole session.

    Yields ``(base url, www folder, sources)``, ``sources`` mapping the families ``sst`` and ``babi`` to
    ``ATTNLIB_SOURCES`` entries for those copies; skipped when the shared data is not available.
    """
    real = real_data_dir()
    if real is None:
        pytest.skip("the quick preset needs the SST and bAbI data: set ATTNLIB_DATA")
    www = tmp_path_factory.mktemp("mirror")
    for subdir, name in QUICK_FILES:
        (www / subdir).mkdir(exist_ok=True)
        shutil.copyfile(real / subdir / name, www / subdir / name)
    with serving(www) as url:
        sources: dict[str, list] = {}
        for subdir, name in QUICK_FILES:
            sources.setdefault(subdir, []).append(resource(f"{url}/{subdir}/{name}", www / subdir / name, subdir))
        yield url, www, sources


def write_sources(path: Path, sources: dict) -> Path:
    """Write an ``ATTNLIB_SOURCES`` file; returns its path."""
    path.write_text(json.dumps(sources, indent=1))
    return path


@pytest.fixture(scope="session")
def quick_results(quick_setup):
    """Every experiment of the ``quick`` preset, trained and analysed (cached in the session's runs folder)."""
    from attnlib.book import experiments

    data_dir, runs = quick_setup
    return experiments.train_and_analyse("quick", data_dir=data_dir, runs_dir=runs, progress=False)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def offline_page(tmp_path):
    """A headless Debian chromium page (through playwright) that may load ``file://`` addresses only.

    Every other request is aborted and recorded in ``page.blocked``. Skipped without chromium or playwright.
    """
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost", "--allow-file-access-from-files"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.blocked = []

        def only_files(route):
            if route.request.url.startswith(("file://", "data:", "about:")):
                route.continue_()
            else:
                page.blocked.append(route.request.url)
                route.abort()

        page.route("**/*", only_files)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        try:
            yield page
        finally:
            browser.close()
