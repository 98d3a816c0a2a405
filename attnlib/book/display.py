"""How chapters show a table: whole (no pandas truncation), numbers formatted for reading, absent values as a dash,
in a box that scrolls when the table is long or wide, with the table downloadable as CSV from the page itself."""
from __future__ import annotations

import base64
import html
import re

import pandas as pd

__all__ = ["ABSENT", "READABLE", "readable", "whole_table"]

#: What a table shows where a value is absent (never "nan").
ABSENT = "–"

#: Tables longer than this many rows scroll inside a box of about this height.
_SCROLL_ROWS = 25

#: How a reader reads the library's names of measures and metrics, in headers and cells.
READABLE = {"tau_attention_gradient": "τ(attention, gradient)", "tau_attention_loo": "τ(attention, LOO)",
            "tau_gradient_loo": "τ(gradient, LOO)", "perm_median_tvd": "median TVD under permutation",
            "uniform_tvd": "output TVD with uniform attention", "macro_f1": "macro-F1", "roc_auc": "ROC-AUC",
            "pr_auc": "PR-AUC", "accuracy": "accuracy",
            "consistent_median_jsd": "attention JSD of the model-consistent adversary from the base model"}


def readable(name):
    """A library name as a reader reads it: :data:`READABLE`, ``max JSD within ε`` for ``adv_max_jsd@ε``, else with
    spaces for underscores; anything that is not a string unchanged."""
    from ..explain import MAX_JSD_PREFIX

    if not isinstance(name, str):
        return name
    if name in READABLE:
        return READABLE[name]
    if name.startswith(MAX_JSD_PREFIX):
        return f"max JSD within ε = {name.removeprefix(MAX_JSD_PREFIX)}"
    return name.replace("_", " ")


def _for_reading(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with readable headers, index labels and named cells (:func:`readable`), ``yes``/``no`` for
    booleans."""
    shown = table.copy()
    shown.columns = shown.columns.map(lambda c: tuple(map(readable, c)) if isinstance(c, tuple) else readable(c))
    if isinstance(shown.columns, pd.MultiIndex) or shown.columns.names != [None]:
        shown.columns.names = [readable(n) for n in shown.columns.names]
    shown.index = shown.index.map(lambda i: tuple(map(readable, i)) if isinstance(i, tuple) else readable(i))
    shown.index.names = [readable(n) for n in table.index.names]
    for position in range(shown.shape[1]):
        column = shown.iloc[:, position]
        if pd.api.types.is_bool_dtype(column):
            shown.isetitem(position, column.map({True: "yes", False: "no"}))
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            shown.isetitem(position, column.map(lambda v: READABLE.get(v, v) if isinstance(v, str) else v))
    return shown


def _csv_link(table: pd.DataFrame, name: str) -> str:
    data = base64.b64encode(table.to_csv().encode("utf-8")).decode("ascii")
    return (f'<p class="attnlib-download"><a download="{html.escape(name)}.csv" '
            f'href="data:text/csv;base64,{data}">Download this table as CSV</a> ({len(table)} rows)</p>')


#: Text cells up to this many characters are kept on one line (``macro-F1`` is not broken at its hyphen).
_UNBROKEN = 20


def whole_table(table: pd.DataFrame, name: str, *, precision: int = 3, formats: dict | None = None,
                index: bool = True, caption: str | None = None):
    """The whole ``table`` as HTML for a chapter: every row, readable headers (:func:`readable`), floats with
    ``precision`` digits (``formats`` gives a format string per column), ``–`` for absent values, a scrolling box when
    it is long, and a CSV download of the table as computed, named ``<name>.csv``.

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
    shown = _for_reading(table)
    by_column = {readable(c): f for c, f in (formats or {}).items() if c in table.columns}
    styler = shown.style.format(by_column or None, precision=precision, na_rep=ABSENT, thousands=",")
    styler = styler.map(lambda v: "white-space: nowrap" if isinstance(v, str) and len(v) <= _UNBROKEN else "")
    if not index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(html.escape(caption))
    box = "attnlib-table attnlib-table-long" if len(table) > _SCROLL_ROWS else "attnlib-table"
    body = styler.to_html()
    return HTML(f'<div class="{box}">{body}</div>{_csv_link(table, name)}')

