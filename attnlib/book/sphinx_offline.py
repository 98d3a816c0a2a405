"""A Sphinx extension that keeps the book's pages free of requests to other hosts.

Jupyter Book 1 always loads ``sphinx-thebe``, which writes the address of its JavaScript bundle on a CDN
into every page (used only when a reader starts a live kernel, which this book does not offer). This
extension drops every script whose source or inline body names a remote address, so that a page opened
from ``file://`` references nothing outside the book.
"""
from __future__ import annotations

import re

_REMOTE = re.compile(r"(?:https?:)?//[^/'\"\s]+\.[a-z]{2,}/", re.IGNORECASE)


def _is_remote(script) -> bool:
    filename = getattr(script, "filename", script) or ""
    body = getattr(script, "attributes", {}).get("body", "") if hasattr(script, "attributes") else ""
    return bool(_REMOTE.match(str(filename)) or _REMOTE.search(body))


def _drop_remote_scripts(app, pagename, templatename, context, doctree):
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_remote(s)]


def setup(app):
    app.connect("html-page-context", _drop_remote_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
