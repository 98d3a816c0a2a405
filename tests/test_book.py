"""The book: presets, the quick build end to end, its pages, nbval over the executed chapters, and a real
browser opening a chapter from file:// with the network cut off.

The build runs once per session (module fixture) in a temporary copy of the book's sources, with the
``quick`` preset on the real datasets; it is skipped when SST or bAbI are not in ``$ATTNLIB_DATA``.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from attnlib.book import CHAPTERS, PRESETS, get_preset
from attnlib.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
#: Figures each chapter must show with the quick preset (SST and bAbI-1, BiLSTM and Average).
MIN_FIGURES = {"intro": 0, "data_models": 1, "correlation": 4, "permutation": 1, "adversarial": 3,
               "explorer": 0, "discussion": 0, "guide": 0, "reproducibility": 1}


def test_presets_cover_the_configurations_they_promise():
    assert set(PRESETS) == {"quick", "default", "paper"}
    paper = get_preset("paper").experiments({"sst", "imdb"})
    assert len(paper) == 12 and all(e.analysis.limit is None and e.run.epochs is None for e in paper)
    default = {(e.run.dataset, e.run.encoder, e.run.attention) for e in get_preset("default").experiments()}
    assert {("sst", "lstm", "tanh"), ("sst", "average", "tanh"), ("babi1", "lstm", "tanh")} <= default
    with pytest.raises(ConfigError, match="unknown preset 'fast'; choose one of quick, default, paper"):
        get_preset("fast")


def test_chapter_sources_have_parameters_and_no_outputs():
    import nbformat

    for chapter in CHAPTERS:
        notebook = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", []), chapter
        assert "preset" in code[0].source
        assert all(not c.get("outputs") for c in code), f"{chapter} is committed with outputs"


@pytest.fixture(scope="module")
def built(tmp_path_factory, quick_setup):
    """The quick book, built from a copy of the sources; yields its root."""
    data_dir, runs = quick_setup
    root = tmp_path_factory.mktemp("book")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "book", root / "book", ignore=shutil.ignore_patterns("executed", "vendor"))
    result = subprocess.run([sys.executable, "-m", "attnlib.cli", "book", "--preset", "quick", "--root", str(root),
                             "--data-dir", str(data_dir), "--runs-dir", str(runs)],
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def test_build_writes_its_timeline(built):
    import pandas as pd

    from attnlib.book import TIMELINE_COLUMNS, read_timeline

    timeline = read_timeline(built)
    assert tuple(timeline.columns) == TIMELINE_COLUMNS
    quick = get_preset("quick")
    n_experiments = len(quick.datasets) * len(quick.configurations)
    assert timeline["kind"].tolist() == ["experiment"] * n_experiments + ["chapter"] * len(CHAPTERS) + ["html"]
    assert timeline.loc[timeline["kind"] == "chapter", "name"].tolist() == list(CHAPTERS)
    experiments = timeline[timeline["kind"] == "experiment"]
    assert (experiments["train_seconds"] > 0).all() and (experiments["analysis_seconds"] > 0).all()
    assert pd.to_numeric(timeline["seconds"]).ge(0).all() and timeline["step"].tolist() == list(range(1, len(timeline) + 1))
    html = chapter_html(built, "reproducibility")
    for name in experiments["name"]:
        assert name in html, f"the reproducibility chapter does not show the timeline row of {name}"


def chapter_html(root: Path, chapter: str) -> str:
    return (root / "_build" / "html" / "book" / "executed" / f"{chapter}.html").read_text()


class _Resources(HTMLParser):
    """Collects every address a page loads (scripts, stylesheets, images, frames) and inline script text."""

    def __init__(self):
        super().__init__()
        self.loaded, self.inline, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "embed") and attrs.get("src"):
            self.loaded.append(attrs["src"])
        if tag == "link" and attrs.get("href") and attrs.get("rel") not in ("canonical",):
            self.loaded.append(attrs["href"])
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline.append(data)


def test_every_chapter_page_exists_with_its_figures(built):
    for chapter, minimum in MIN_FIGURES.items():
        html = chapter_html(built, chapter)
        images = re.findall(r'<img [^>]*src="([^"]+)"', html)
        figures = [src for src in images if "_images/" in src]
        assert len(figures) >= minimum, f"{chapter}: {len(figures)} figures, expected at least {minimum}"
        for src in figures:
            assert (built / "_build" / "html" / "book" / "executed" / src).resolve().exists(), src
        assert "Traceback (most recent call last)" not in html, chapter


def test_pages_reference_no_external_host(built):
    remote = re.compile(r"^(https?:)?//", re.IGNORECASE)
    for page in (built / "_build" / "html").rglob("*.html"):
        parser = _Resources()
        parser.feed(page.read_text())
        outside = [address for address in parser.loaded if remote.match(address)]
        assert not outside, f"{page.name} loads {outside}"
        inline = [text for text in parser.inline if re.search(r"https?://[a-z0-9.-]+\.[a-z]{2,}/", text)]
        assert not inline, f"{page.name} has a script naming a remote address: {inline[0][:120]}"


def test_executed_chapters_pass_nbval(built):
    executed = built / "book" / "executed"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                             "--nbval-current-env", str(executed)], capture_output=True, text=True, timeout=1800,
                            cwd=executed)
    assert result.returncode == 0, result.stdout[-3000:]
    import nbformat

    executed_cells = sum(1 for chapter in CHAPTERS
                         for cell in nbformat.read(executed / f"{chapter}.ipynb", as_version=4).cells
                         if cell.cell_type == "code")
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) == executed_cells, (
        f"nbval checked {passed.group(1) if passed else 0} cells; the {len(CHAPTERS)} chapters have {executed_cells}")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OFFLINE_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
                 "--allow-file-access-from-files", "--virtual-time-budget=20000", "--hide-scrollbars"]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt-get install chromium)")
def test_correlation_chapter_in_a_browser_without_network(built, tmp_path):
    page = (built / "_build" / "html" / "book" / "executed" / "correlation.html").as_uri()
    flags = [CHROMIUM, *OFFLINE_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*flags, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    assert "<mjx-container" in dom, "MathJax did not typeset the equations offline"
    assert len(re.findall(r'<img [^>]*src="[^"]*_images/', dom)) >= MIN_FIGURES["correlation"]
    screenshot = Path(os.environ.get("ATTNLIB_SCREENSHOT_DIR", tmp_path)) / "correlation.png"
    subprocess.run([*flags, "--window-size=1280,4000", f"--screenshot={screenshot}", page],
                   capture_output=True, text=True, timeout=120)
    assert screenshot.exists() and screenshot.stat().st_size > 50_000


def _span_levels(page) -> list[str]:
    return page.eval_on_selector_all(".attnlib-x-view td.attnlib-x-tokens span", "spans => spans.map(s => s.className)")


def test_static_explorer_steps_through_instances_without_network(built, offline_page):
    page = offline_page
    page.goto((built / "_build" / "html" / "book" / "executed" / "explorer.html").as_uri())
    page.wait_for_selector(".attnlib-x-view td.attnlib-x-tokens span")
    experiments = page.eval_on_selector_all("select.attnlib-x-experiment option", "o => o.map(x => x.value)")
    assert len(experiments) == len(get_preset("quick").configurations) * len(get_preset("quick").datasets)
    for experiment in experiments:  # at least 20 pre-computed instances for every experiment
        page.select_option("select.attnlib-x-experiment", experiment)
        assert page.eval_on_selector_all("select.attnlib-x-instance option", "o => o.length") >= 20, experiment
    page.select_option("select.attnlib-x-experiment", experiments[0])
    first_meta, first_levels = page.inner_text(".attnlib-x-meta"), _span_levels(page)
    colours = page.eval_on_selector(".attnlib-x-view span.l9, .attnlib-x-view span.l8",
                                    "s => getComputedStyle(s).backgroundColor")
    assert colours not in ("rgba(0, 0, 0, 0)", "transparent")
    page.click("button.attnlib-x-next")
    assert page.inner_text(".attnlib-x-meta") != first_meta
    assert _span_levels(page) != first_levels, "stepping to the next instance did not change the colours"
    assert page.input_value("select.attnlib-x-instance") == "1"
    page.click("button.attnlib-x-previous")
    assert page.inner_text(".attnlib-x-meta") == first_meta and _span_levels(page) == first_levels
    page.select_option("select.attnlib-x-epsilon", "0.05")
    assert "ε = 0.05" in page.inner_text(".attnlib-x-view")
    screenshot = Path(os.environ.get("ATTNLIB_SCREENSHOT_DIR", built)) / "explorer.png"
    page.screenshot(path=str(screenshot), full_page=False)
    assert not page.blocked, f"the page tried to load {page.blocked}"
    assert not page.errors, page.errors


def test_a_build_without_npm_stops_before_training(quick_setup, tmp_path, monkeypatch, capsys):
    from attnlib.cli import main

    data_dir, _ = quick_setup
    monkeypatch.setenv("ATTNLIB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr("shutil.which", lambda name: None)           # no npm (nor anything else) on the PATH
    runs = tmp_path / "runs"
    code = main(["book", "--preset", "quick", "--root", str(ROOT), "--data-dir", str(data_dir),
                 "--runs-dir", str(runs)])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(error) == 1 and error[0].startswith("error: npm is needed to fetch")
    assert not runs.exists(), "training started before the prerequisites were checked"
