"""The layers: the science never imports the book layer or the teaching kit, and `import attnlib` stays light."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "attnlib"
SCIENCE = ["data", "models", "explain", "plots", "reference", "fingerprint.py", "train.py", "train_bench.py", "runs.py", "analysis.py", "seeds.py", "paths.py",
           "device.py", "errors.py", "io.py", "metrics.py", "paper.py", "testing.py", "__init__.py"]
UPPER = ("book", "teach", "cli")
BOOK_ONLY = ("papermill", "ipywidgets", "IPython", "nbformat", "myst_nb", "jupyter_book", "sphinx")


def _modules(entry: str) -> list[Path]:
    path = PACKAGE / entry
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _imported(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved), at any depth."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("entry", SCIENCE)
def test_science_imports_nothing_from_the_layers_above(entry):
    for path in _modules(entry):
        upward = sorted(n for n in _imported(path) if any(n == f"attnlib.{u}" or n.startswith(f"attnlib.{u}.")
                                                          for u in UPPER))
        assert not upward, f"{path.relative_to(PACKAGE.parent)} imports {upward}"
        book_only = sorted(n for n in _imported(path) if n.split(".")[0] in BOOK_ONLY)
        assert not book_only, f"{path.relative_to(PACKAGE.parent)} imports book-only packages {book_only}"


def test_every_module_belongs_to_a_layer():
    entries = {p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())}
    assert entries <= set(SCIENCE) | {"book", "teach", "cli.py"}, entries - set(SCIENCE) - {"book", "teach", "cli.py"}


def test_import_attnlib_needs_no_book_dependency():
    """With every book-only package made unimportable, the science layer imports and nothing above it loads."""
    code = f"""
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BOOK_ONLY!r}:
            raise ImportError("blocked for this test: " + name)
sys.meta_path.insert(0, Blocked())
import attnlib, attnlib.explain, attnlib.plots, attnlib.analysis, attnlib.runs, attnlib.train, attnlib.testing
print(sorted(m for m in sys.modules if m.startswith(("attnlib.book", "attnlib.teach", "attnlib.cli"))
             or m.split(".")[0] in {BOOK_ONLY!r}))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]", f"import attnlib loaded {result.stdout.strip()}"
