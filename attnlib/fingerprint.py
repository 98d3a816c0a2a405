"""Fingerprints of the code that determines a result, so a cache never serves what the current code would not
compute.

:func:`code_fingerprint` hashes the syntax tree of the named modules of attnlib, without docstrings: a change
to what the code does (a model, a scorer, the training loop, data preparation) gives a new fingerprint, while
a reworded docstring, a comment or re-formatting does not. Run keys include :data:`RUN_CODE`'s fingerprint and
analysis keys :data:`ANALYSIS_CODE`'s.
"""
from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

__all__ = ["RUN_CODE", "ANALYSIS_CODE", "code_fingerprint"]

PACKAGE = Path(__file__).resolve().parent

RUN_CODE = ("data", "models", "train.py", "runs.py", "metrics.py")
"""What a trained run depends on: data preparation, the models, the training recipe, the test metrics."""

ANALYSIS_CODE = RUN_CODE + ("explain", "analysis.py")
"""What an analysis depends on: the run's code and every analysis."""

NOT_RESULTS = ("data/download.py", "data/registry.py")
"""Modules inside those parts that cannot change a result beyond what the dataset's own fingerprint covers: the
downloader fetches files (the fingerprint holds their SHA-256) and the registry picks a dataset's loader by name,
with options that are part of the fingerprint."""


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return tree


@functools.lru_cache(maxsize=None)
def _file_digest(path: Path, mtime_ns: int) -> str:
    tree = _without_docstrings(ast.parse(path.read_text(encoding="utf-8")))
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


def code_fingerprint(parts=RUN_CODE) -> str:
    """SHA-256 (16 hex digits) over the code of ``parts``: modules (``"train.py"``) and packages (``"data"``)
    of attnlib, docstrings left out, files in sorted order."""
    digest = hashlib.sha256()
    for part in parts:
        path = PACKAGE / part
        for file in (sorted(path.rglob("*.py")) if path.is_dir() else [path]):
            if file.relative_to(PACKAGE).as_posix() in NOT_RESULTS:
                continue
            digest.update(str(file.relative_to(PACKAGE)).encode())
            digest.update(_file_digest(file, file.stat().st_mtime_ns).encode())
    return digest.hexdigest()[:16]
