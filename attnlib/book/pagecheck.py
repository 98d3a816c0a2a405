"""Reader-facing defects of a built page: what a reader of the static book must never meet.

:func:`page_problems` reads one HTML page of the build and names every defect of these kinds: a table cut by pandas
(``410 rows × 8 columns``, a row of ``…``), ``nan``/``NaN``/``None`` shown as a value in a table, a raw array repr
(``array(``, ``dtype=``), a link or image that points at a file the build does not hold, a path of the machine that
built the book, a figure without alt text, and error output (stderr) left in a cell. The test suite runs it on every
page of its quick build.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

__all__ = ["page_problems", "book_problems"]

_TRUNCATED = re.compile(r"\b\d+ rows × \d+ columns\b")
_ABSENT_VALUES = {"nan", "NaN", "None", "<NA>", "NaT"}
_REPRS = ("array(", "dtype=")
_ELLIPSIS_CELLS = {"…", "..."}


class _Page(HTMLParser):
    """Collects the cells of tables, the links and images, the visible text and stderr blocks of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells, self.links, self.images, self.text, self.stderr = [], [], [], [], 0
        self._cell, self._skip = None, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        if tag in ("td", "th"):
            self._cell = []
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("img", "script", "link", "source") and (attrs.get("src") or attrs.get("href")):
            self.links.append(attrs.get("src") or attrs.get("href"))
        if tag == "img":
            self.images.append(attrs)
        if "stderr" in (attrs.get("class") or "").split():
            self.stderr += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _missing_target(link: str, page: Path, html_root: Path) -> bool:
    parsed = urlparse(link)
    if parsed.scheme or link.startswith(("#", "//", "data:", "mailto:")) or not parsed.path:
        return False
    target = (page.parent / unquote(parsed.path)).resolve()
    return not (target.is_relative_to(html_root.resolve()) and target.exists())


def page_problems(page: str | Path, html_root: str | Path, machine_paths=()) -> list[str]:
    """Every reader-facing defect of the built page ``page`` (inside the build folder ``html_root``).

    Parameters
    ----------
    page, html_root : path
    machine_paths : iterable of str
        Paths of the building machine (data, runs and project folders, the home folder) that must not appear.

    Returns
    -------
    list of str
        One line per defect, naming the page and what was found; empty for a clean page.
    """
    page, html_root = Path(page), Path(html_root)
    parser = _Page()
    parser.feed(page.read_text(encoding="utf-8"))
    text = " ".join(parser.text)
    name = page.relative_to(html_root).as_posix() if page.is_relative_to(html_root) else page.name
    problems = [f"{name}: a table cut by pandas ({m.group(0)})" for m in _TRUNCATED.finditer(text)]
    problems += [f"{name}: a table row of '{c}' (rows left out)" for c in dict.fromkeys(parser.cells)
                 if c in _ELLIPSIS_CELLS]
    absent = [c for c in parser.cells if c in _ABSENT_VALUES]
    if absent:
        problems.append(f"{name}: {len(absent)} table cell(s) show {sorted(set(absent))} instead of a value or a dash")
    problems += [f"{name}: a raw repr ({r!r}) in the text" for r in _REPRS if r in text]
    problems += [f"{name}: a link to {link!r}, which is not in the build" for link in dict.fromkeys(parser.links)
                 if _missing_target(link, page, html_root)]
    problems += [f"{name}: a path of the building machine ({p}) on the page" for p in machine_paths
                 if p and str(p) in text]
    unlabelled = [img.get("src", "?") for img in parser.images if not (img.get("alt") or "").strip()]
    problems += [f"{name}: an image without alt text ({src[:60]})" for src in unlabelled]
    if parser.stderr:
        problems.append(f"{name}: {parser.stderr} cell output(s) on stderr")
    return problems


def book_problems(html_root: str | Path, pages=None, machine_paths=()) -> list[str]:
    """:func:`page_problems` of every page of the build in ``html_root`` (or of ``pages``, paths inside it)."""
    html_root = Path(html_root)
    pages = sorted(html_root.rglob("*.html")) if pages is None else [Path(p) for p in pages]
    return [problem for page in pages for problem in page_problems(page, html_root, machine_paths)]
