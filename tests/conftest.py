"""Shared pytest fixtures."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

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


ROOT = Path(__file__).resolve().parents[1]


#: The dataset folders of ../shared/data that the integration tests read.
NEEDED = ("sst", "imdb", "20news", "ag_news", "snli", "babi")


def pytest_sessionstart(session):
    """With ``ATTNLIB_DATA`` set (CI sets it), a folder without the datasets stops the run with one line, so the
    integration tests cannot pass by skipping."""
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


@pytest.fixture(scope="session")
def quick_results(quick_setup):
    """Every experiment of the ``quick`` preset, trained and analysed (cached in the session's runs folder)."""
    from attnlib.book import tables

    data_dir, runs = quick_setup
    return tables.collect("quick", data_dir=data_dir, runs_dir=runs, progress=False)


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
