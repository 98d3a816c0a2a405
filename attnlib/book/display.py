"""How chapters show a table: whole (no pandas truncation), numbers formatted for reading, absent values as a dash,
in a box that scrolls when the table is long or wide, with the table downloadable as CSV from the page itself."""
from __future__ import annotations

import base64
import html
import re

import pandas as pd

__all__ = ["ABSENT", "whole_table"]

#: What a table shows where a value is absent (never "nan").
ABSENT = "–"

#: Tables longer than this many rows scroll inside a box of about this height.
_SCROLL_ROWS = 25


def _csv_link(table: pd.DataFrame, name: str) -> str:
    data = base64.b64encode(table.to_csv().encode("utf-8")).decode("ascii")
    return (f'<p class="attnlib-download"><a download="{html.escape(name)}.csv" '
            f'href="data:text/csv;base64,{data}">Download this table as CSV</a> ({len(table)} rows)</p>')


def whole_table(table: pd.DataFrame, name: str, *, precision: int = 3, formats: dict | None = None,
                index: bool = True, caption: str | None = None):
    """The whole ``table`` as HTML for a chapter: every row, floats with ``precision`` digits (``formats`` gives a
    format string per column), ``–`` for absent values, a scrolling box when it is long, and a CSV download of the
    unformatted table named ``<name>.csv``.

    Parameters
    ----------
    table : DataFrame
    name : str
        Stem of the CSV file's name (letters, digits, ``-`` and ``_``).
    precision : int
    formats : dict of column to format string, optional
        For example ``{"share": "{:.0%}"}``.
    index : bool
        Show the index (a MultiIndex as grouped rows).
    caption : str, optional

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError(f"whole_table: name {name!r} must be letters, digits, '-' and '_' (the CSV file's name)")
    styler = table.style.format(precision=precision, na_rep=ABSENT, thousands=",")
    if formats:
        styler = styler.format({c: f for c, f in formats.items() if c in table.columns}, na_rep=ABSENT)
    if not index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(html.escape(caption))
    box = "attnlib-table attnlib-table-long" if len(table) > _SCROLL_ROWS else "attnlib-table"
    body = styler.to_html()
    return HTML(f'<div class="{box}">{body}</div>{_csv_link(table, name)}')

