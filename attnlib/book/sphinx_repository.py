"""A Sphinx extension that links the book's pages to the project's GitHub repository, when it has one.

The address is ``$GITHUB_SERVER_URL/$GITHUB_REPOSITORY`` (both set by GitHub Actions), else the ``origin`` remote
of the git checkout holding the book when that is a GitHub address (https or ssh, credentials dropped). With
neither, the repository button stays off: no address is made up. ``_config.yml`` keeps
``html.use_repository_button: false``, since Jupyter Book refuses that button without a fixed ``repository.url``;
this extension sets the theme's ``repository_url`` and ``use_repository_button`` at configuration time instead.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Mapping

__all__ = ["repository_url", "setup"]

_GITHUB_REMOTE = re.compile(
    r"^(?:https://(?:[^@/]+@)?github\.com/|ssh://git@github\.com/|git@github\.com:)"
    r"(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


def repository_url(folder: str | os.PathLike = ".", environ: Mapping[str, str] | None = None) -> str | None:
    """The GitHub address of the repository holding ``folder``, or None when it is not known.

    Examples
    --------
    >>> repository_url(environ={"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "me/book"})
    'https://github.com/me/book'
    """
    environ = os.environ if environ is None else environ
    server = environ.get("GITHUB_SERVER_URL", "").strip().rstrip("/")
    repository = environ.get("GITHUB_REPOSITORY", "").strip().strip("/")
    if server and repository:
        return f"{server}/{repository}"
    try:
        remote = subprocess.run(["git", "-C", str(Path(folder)), "remote", "get-url", "origin"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    match = _GITHUB_REMOTE.match(remote.stdout.strip()) if remote.returncode == 0 else None
    return f"https://github.com/{match['owner']}/{match['name']}" if match else None


def _set_repository(app, config) -> None:
    url = repository_url(app.srcdir)
    if url:
        config.html_theme_options = {**(config.html_theme_options or {}), "repository_url": url,
                                     "repository_provider": "github", "use_repository_button": True}


def setup(app):
    app.connect("config-inited", _set_repository)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
