"""Fingerprints of the code that determines a result, so a cache never serves what the current code would not
compute.

:func:`code_fingerprint` hashes the syntax tree of every attnlib module whose part (:data:`attnlib.layout.PARTS`)
can change the given kinds of result, without docstrings, keyed by the module's dotted name: a change to what
the code does (a model, a scorer, the training loop, data preparation) gives a new fingerprint, while a
reworded docstring, a comment or re-formatting does not. Run keys include :data:`RUN_CODE`'s fingerprint,
critique runs :data:`CRITIQUE_CODE`'s, faithfulness results :data:`FAITHFULNESS_CODE`'s, analysis keys :data:`ANALYSIS_CODE`'s and chapter executions :data:`LIBRARY_CODE`'s.
"""
from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

from ..layout import modules_changing

__all__ = ["RUN_CODE", "CRITIQUE_CODE", "ANALYSIS_CODE", "FAITHFULNESS_CODE", "LIBRARY_CODE", "code_fingerprint", "library_modules"]

#: The package folder whose modules are fingerprinted.
PACKAGE = Path(__file__).resolve().parents[1]

RUN_CODE = ("run",)
"""What a trained run depends on: the modules whose part changes runs (data preparation, the models, the training
recipe and metrics, the run itself)."""

CRITIQUE_CODE = ("run", "critique")
"""What a critique run depends on (:mod:`attnlib.critique`): the run's code and the critique's models and recipes.
The paper's runs do not depend on the critique's code, so adding to it keeps their keys."""

ANALYSIS_CODE = ("run", "analysis")
"""What an analysis depends on: the run's code and every module whose part changes analyses."""

FAITHFULNESS_CODE = ("run", "analysis", "faithfulness")
"""What the faithfulness measures depend on (:mod:`attnlib.faithfulness`): the run, the paper's scorers (leave-one-out
and attention are the references of τ) and the lab's own explainers and metrics."""

LIBRARY_CODE = ("run", "critique", "analysis", "faithfulness", "")
"""Every module of the library (what a chapter runs)."""


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


def library_modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package folder ``package`` by dotted name (``attnlib.data.sst``), with its file."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def code_fingerprint(kinds: tuple[str, ...] = RUN_CODE, package: Path = PACKAGE) -> str:
    """SHA-256 (16 hex digits) over the code of every module whose part changes one of ``kinds``
    (:data:`RUN_CODE`, :data:`ANALYSIS_CODE`, :data:`LIBRARY_CODE`), docstrings left out, by module name.

    ``package`` is the attnlib folder to read (default: this one; the tests pass an edited copy).
    """
    modules = library_modules(package)
    digest = hashlib.sha256()
    for name in modules_changing(tuple(kinds), modules):
        path = modules[name]
        digest.update(name.encode())
        digest.update(_file_digest(path, path.stat().st_mtime_ns).encode())
    return digest.hexdigest()[:16]
