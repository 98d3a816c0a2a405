"""The book: presets, the quick build end to end, its pages, nbval over the executed chapters, and a real
browser opening a chapter from file:// with the network cut off.

The build runs once per session (module fixture) in a temporary copy of the book's sources, with the
``quick`` preset, from an empty data folder: ``--download`` fetches copies of the shared SST and bAbI files from a
local HTTP server (``ATTNLIB_SOURCES``), so the suite exercises download, training and build together. It is
skipped when SST or bAbI are not in ``$ATTNLIB_DATA``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from attnlib.book import CHAPTERS, PRESETS, get_preset
from attnlib.book.presets import ABLATIONS
from attnlib.plumbing.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
#: Figures each chapter must show with the quick preset (SST and bAbI-1, BiLSTM and Average).
MIN_FIGURES = {"intro": 0, "data_models": 2, "correlation": 6, "permutation": 2, "adversarial": 5, "scorecard": 5,
               "explorer": 0, "critique": 4, "faithfulness": 4, "discussion": 0, "guide": 0, "reproducibility": 1}


def test_presets_cover_the_configurations_they_promise():
    assert set(PRESETS) == {"quick", "default", "paper", "paper-one-seed"}
    paper = get_preset("paper").experiments({"sst", "imdb"})
    assert len(paper) == 6 * (5 + 3) and all(e.analysis.limit is None and e.run.epochs is None for e in paper)
    assert {e.run.seed for e in paper if e.run.dataset == "sst"} == set(range(5))
    default = {(e.run.dataset, e.run.encoder, e.run.attention) for e in get_preset("default").experiments()}
    assert {("sst", "lstm", "tanh"), ("sst", "average", "tanh"), ("babi1", "lstm", "tanh")} <= default
    with pytest.raises(ConfigError, match="unknown preset 'fast'; choose one of quick, default, paper, paper-one-seed"):
        get_preset("fast")
    assert get_preset("paper").ablations == "all" and get_preset("quick").ablations == ()
    assert set(get_preset("default").ablations) <= set(ABLATIONS)
    assert all(c in {(d, e, a) for d in get_preset(p).datasets for e, a in get_preset(p).configurations}
               for p in PRESETS for c in get_preset(p).strength)


def test_the_one_seed_paper_preset_is_the_paper_preset_with_seed_0():
    paper, one = get_preset("paper"), get_preset("paper-one-seed")
    available = {"sst", "imdb", "babi1"}
    assert [e for e in paper.experiments(available) if e.run.seed == 0] == one.experiments(available)
    assert (one.ablations, one.strength) == (paper.ablations, paper.strength)
    # the later chapters at the scale of a two-hour build: seed 0 of each ablation, the critique on the default
    # preset's datasets with 2 seeds, the faithfulness lab on every dataset but planted-long and every encoder with
    # tanh attention and 50 test instances per model
    assert (paper.ablation_seeds, one.ablation_seeds) == (None, 1)
    assert one.critique == replace(get_preset("default").critique, seeds=2, adversary_epochs=8)
    lab = tuple(d for d in paper.faithfulness.datasets if d != "planted-long")
    assert one.faithfulness == replace(paper.faithfulness, datasets=lab, attentions=("tanh",), limit=50)


def test_ablation_seeds_limit_the_seeds_a_preset_trains_of_each_ablation():
    from attnlib.book.ablations import ABLATIONS, ablation_experiments
    from attnlib.book.presets import _read_presets

    available = {"sst", "20news"}
    every = ablation_experiments("paper", available)
    first = ablation_experiments("paper-one-seed", available)
    assert {e.run.seed for _, e in every} == {0, 1}
    assert first == [(name, e) for name, e in every if e.run.seed == 0]
    assert len(first) == sum(len(a.configurations) * len(available & set(a.datasets)) for a in ABLATIONS.values())
    with pytest.raises(ConfigError, match="ablation_seeds must be a whole number >= 1; got 0"):
        _read_presets({"a": {"description": "a", "configurations": [["lstm", "tanh"]], "ablation_seeds": 0}})


def test_a_preset_base_is_merged_table_by_table():
    from attnlib.book.presets import _read_presets

    table = {"a": {"description": "a", "configurations": [["lstm", "tanh"]], "run": {"sst": {"epochs": 2}},
                   "critique": {"datasets": ["sst"], "seeds": 3}},
             "b": {"base": "a", "description": "b", "critique": {"seeds": 1}, "run": {"imdb": {"epochs": 1}}}}
    b = _read_presets(table)["b"]
    assert b.description == "b" and b.critique.datasets == ("sst",) and b.critique.seeds == 1
    assert b.run_overrides == {"sst": {"epochs": 2}, "imdb": {"epochs": 1}}
    with pytest.raises(ConfigError, match="base 'c' must be a preset"):
        _read_presets({**table, "d": {"base": "c", "description": "d"}})


def test_the_timeline_resumes_with_the_rows_of_the_build(tmp_path):
    from attnlib.book.timeline import Timeline, read_timeline

    timeline = Timeline(tmp_path / "_build" / "timeline.csv")
    timeline.add("chapter", "intro", 1.5, reused=False)
    Timeline.resume(timeline.path).add("slides", "en, ja", 2.0, reused=False)
    rows = read_timeline(tmp_path)
    assert rows["kind"].tolist() == ["chapter", "slides"] and rows["step"].tolist() == [1, 2]


@pytest.mark.parametrize("at_once", [1, 3])
def test_chapters_execute_at_once_with_the_reproducibility_chapter_last(tmp_path, monkeypatch, at_once):
    import threading
    import time as clock

    import attnlib.book.build as build
    from attnlib.book.timeline import Timeline

    running, most, lock = [], [0], threading.Lock()

    def execute_chapter(source, executed, parameters, *, cwd, inputs=""):
        with lock:
            running.append(source.stem)
            most[0] = max(most[0], len(running))
        clock.sleep(0.05)
        with lock:
            running.remove(source.stem)
        return 0.0 if source.stem == "intro" else 1.0

    monkeypatch.setattr(build, "execute_chapter", execute_chapter)

    class Steps:
        updates = 0

        def set_description(self, text):
            pass

        def update(self, n=1):
            Steps.updates += n

    timeline = Timeline(tmp_path / "timeline.csv")
    timings = build.execute_chapters(tmp_path, {}, "", timeline, Steps(), "quick", at_once=at_once)
    assert set(timings) == set(CHAPTERS) and Steps.updates == len(CHAPTERS)
    assert [r["name"] for r in timeline.rows][-1] == "reproducibility" == CHAPTERS[-1]
    assert {r["name"] for r in timeline.rows} == set(CHAPTERS)
    assert next(r for r in timeline.rows if r["name"] == "intro")["reused"]
    assert most[0] == at_once
    if at_once == 1:
        assert [r["name"] for r in timeline.rows] == list(CHAPTERS)


def test_chapter_sources_have_parameters_and_no_outputs():
    import nbformat

    for chapter in CHAPTERS:
        notebook = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", []), chapter
        assert "preset" in code[0].source
        assert all(not c.get("outputs") for c in code), f"{chapter} is committed with outputs"


#: The repository the test build links to (as GitHub Actions would give it); see attnlib.book.sphinx_repository.
TEST_REPOSITORY = ("https://github.com", "attnlib-tests/attnlib")


@pytest.fixture(scope="module")
def downloaded(tmp_path_factory):
    """The data folder of the book build: empty until ``--download`` fills it."""
    return tmp_path_factory.mktemp("downloaded-data")


@pytest.fixture(scope="module")
def built(tmp_path_factory, quick_setup, quick_mirror, downloaded):
    """The quick book, built from a copy of the sources and an empty data folder filled by ``--download`` from the
    local mirror of the shared SST and bAbI files (the runs folder is the session's); yields its root."""
    from conftest import write_sources

    _, runs = quick_setup
    _, _, mirror = quick_mirror
    root = tmp_path_factory.mktemp("book")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "book", root / "book", ignore=shutil.ignore_patterns("executed", "vendor"))
    data_dir = downloaded
    assert not any(data_dir.iterdir())
    sources = write_sources(tmp_path_factory.mktemp("sources") / "sources.json", mirror)
    env = {**os.environ, "ATTNLIB_SOURCES": str(sources),
           "GITHUB_SERVER_URL": TEST_REPOSITORY[0], "GITHUB_REPOSITORY": TEST_REPOSITORY[1]}
    env.pop("ATTNLIB_DOWNLOAD", None)
    result = subprocess.run([sys.executable, "-m", "attnlib.cli", "book", "--preset", "quick", "--root", str(root),
                             "--data-dir", str(data_dir), "--runs-dir", str(runs), "--download"],
                            capture_output=True, text=True, timeout=1800, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "warning:" not in result.stderr, result.stderr[-3000:]
    return root


def test_the_downloaded_data_gives_the_shared_data_runs(built, downloaded, quick_setup):
    """The downloaded copies have the shared files' names and bytes, so the same fingerprints (and runs)."""
    from attnlib.data import load_dataset

    real, _ = quick_setup
    assert sorted(p.relative_to(downloaded).as_posix() for p in downloaded.rglob("*") if p.is_file()) == [
        "babi/tasks_1-20_v1-2_en_en-10k.tar.xz", "sst/dev.txt", "sst/test.txt", "sst/train.txt"]
    for name in get_preset("quick").datasets:
        copy = load_dataset(name, downloaded, progress=False)
        assert copy.fingerprint == load_dataset(name, real, progress=False).fingerprint, name


def test_build_writes_its_timeline(built):
    import pandas as pd

    from attnlib.book import TIMELINE_COLUMNS, read_timeline

    timeline = read_timeline(built)
    assert tuple(timeline.columns) == TIMELINE_COLUMNS
    quick = get_preset("quick")
    n_experiments, n_critique = len(quick.experiments()), len(quick.critique.datasets)
    n_faithfulness = len(quick.faithfulness.datasets)
    assert timeline["kind"].tolist() == (["experiment"] * (n_experiments + n_critique + n_faithfulness)
                                         + ["chapter"] * len(CHAPTERS) + ["html", "slides"])
    chapters = timeline.loc[timeline["kind"] == "chapter", "name"].tolist()   # in the order they ended
    assert sorted(chapters) == sorted(CHAPTERS) and chapters[-1] == "reproducibility"
    critique = timeline[timeline["name"].str.startswith("critique: ")]
    assert critique["name"].tolist() == ["critique: sst (10 runs)"] and (critique["train_seconds"] > 0).all()
    faithfulness = timeline[timeline["name"].str.startswith("faithfulness: ")]
    assert faithfulness["name"].tolist() == ["faithfulness: sst (2 models)", "faithfulness: planted (2 models)"]
    assert faithfulness.index.min() > critique.index.max()
    experiments = timeline[(timeline["kind"] == "experiment") & ~timeline["name"].str.contains(r"^(?:critique|faithfulness): ")]
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


class _Links(HTMLParser):
    """Collects the ``href`` of every ``<a>`` with its class attribute."""

    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append((attrs["href"], attrs.get("class") or ""))


def test_chapter_pages_offer_their_notebook_and_the_repository(built):
    html_root = built / "_build" / "html"
    for chapter in CHAPTERS:
        page = html_root / "book" / "executed" / f"{chapter}.html"
        parser = _Links()
        parser.feed(page.read_text())
        notebooks = [href for href, cls in parser.links if "download-source-button" in cls]
        assert notebooks == [f"../../_sources/book/executed/{chapter}.ipynb"], (chapter, notebooks)
        target = (page.parent / notebooks[0]).resolve()        # opens from file://, inside the build
        assert target.is_relative_to(html_root.resolve()) and target.is_file()
        assert json.loads(target.read_text())["metadata"]["attnlib"]["key"], "not the executed notebook"
        repository = "/".join(TEST_REPOSITORY)
        assert any(href == repository and "source-repository-button" in cls for href, cls in parser.links), chapter


def test_repository_address_comes_from_github_actions_or_a_github_origin(tmp_path):
    from attnlib.book.sphinx_repository import repository_url

    actions = {"GITHUB_SERVER_URL": "https://github.example.org/", "GITHUB_REPOSITORY": "team/book"}
    assert repository_url(tmp_path, actions) == "https://github.example.org/team/book"
    assert repository_url(tmp_path, {}) is None                          # not a git checkout
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert repository_url(tmp_path, {}) is None                          # no origin
    for remote, expected in (("https://user:token@github.com/me/attnlib.git", "https://github.com/me/attnlib"),
                             ("git@github.com:me/attnlib.git", "https://github.com/me/attnlib"),
                             ("ssh://git@github.com/me/attnlib", "https://github.com/me/attnlib"),
                             ("https://gitlab.com/me/attnlib.git", None), ("/srv/git/attnlib.git", None)):
        subprocess.run(["git", "-C", str(tmp_path), "remote", "remove", "origin"], capture_output=True)
        subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", remote], check=True)
        assert repository_url(tmp_path, {}) == expected, remote


def test_pages_reference_no_external_host(built):
    """No page (the decks included) loads anything from another host; the book's pages do not even name one in a
    script (the decks inline reveal.js, whose source names its home page in a comment)."""
    remote = re.compile(r"^(https?:)?//", re.IGNORECASE)
    html = built / "_build" / "html"
    for page in html.rglob("*.html"):
        parser = _Resources()
        parser.feed(page.read_text())
        outside = [address for address in parser.loaded if remote.match(address)]
        assert not outside, f"{page.name} loads {outside}"
        if page.parent.name == "slides":
            continue
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


def test_every_page_passes_the_page_check(built, downloaded, quick_setup):
    """No truncated table, nan, raw repr, missing file, machine path, figure without alt text or stderr on a page."""
    from attnlib.book.pagecheck import book_problems

    _, runs = quick_setup
    html = built / "_build" / "html"
    pages = [html / "book" / "executed" / f"{chapter}.html" for chapter in CHAPTERS]
    pages += [html / "book" / "protocol.html", html / "book" / "references.html"]
    machine = [str(downloaded), str(runs), str(built), str(ROOT), str(Path.home())]
    assert book_problems(html, pages, machine) == []


def test_the_slide_decks_are_built_with_the_book_and_linked_from_the_guide(built):
    html = built / "_build" / "html"
    for lang in ("en", "ja"):
        deck = html / "slides" / f"attnlib-quick-{lang}.html"
        assert deck.exists() and deck.stat().st_size > 100_000, deck
        assert f"../../slides/attnlib-quick-{lang}.html" in chapter_html(built, "guide")


def test_the_protocol_appendix_resolves_the_chapters_links(built):
    protocol = (built / "_build" / "html" / "book" / "protocol.html").read_text()
    assert 'id="quirk-q5"' in protocol and 'id="protocol-7"' in protocol
    assert 'href="../protocol.html#quirk-q5"' in chapter_html(built, "reproducibility")
    assert 'href="../protocol.html#protocol-7"' in chapter_html(built, "adversarial")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt-get install chromium)")
def test_every_chapter_is_screenshotted_for_review(built, tmp_path):
    """A screenshot of every chapter, as a reader's browser shows it, in $ATTNLIB_SCREENSHOT_DIR (default: the test
    build's _build/screenshots), for a reviewer who does not build the book."""
    folder = Path(os.environ.get("ATTNLIB_SCREENSHOT_DIR") or built / "_build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    flags = [CHROMIUM, *OFFLINE_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,5000"]
    for chapter in CHAPTERS:
        page = (built / "_build" / "html" / "book" / "executed" / f"{chapter}.html").as_uri()
        shot = folder / f"{chapter}.png"
        subprocess.run([*flags, f"--screenshot={shot}", page], capture_output=True, text=True, timeout=120)
        assert shot.exists() and shot.stat().st_size > 30_000, chapter


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (apt-get install chromium)")
def test_correlation_chapter_in_a_browser_without_network(built, tmp_path):
    page = (built / "_build" / "html" / "book" / "executed" / "correlation.html").as_uri()
    flags = [CHROMIUM, *OFFLINE_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*flags, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    assert "<mjx-container" in dom, "MathJax did not typeset the equations offline"
    assert len(re.findall(r'<img [^>]*src="[^"]*_images/', dom)) >= MIN_FIGURES["correlation"]
    screenshot = Path(os.environ.get("ATTNLIB_SCREENSHOT_DIR", tmp_path)) / "correlation-offline.png"
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
