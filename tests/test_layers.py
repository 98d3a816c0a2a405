"""The layout: every module belongs to a part of ``attnlib.layout.PARTS``, no module imports a later layer (or, in
the science layer, a part listed after its own), ``import attnlib`` stays light, and CONTRIBUTING shows the
table's tree."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from attnlib.layout import LAYERS, PARTS, part_of, tree
from attnlib.results.fingerprint import library_modules

ROOT = Path(__file__).resolve().parents[1]
MODULES = library_modules(ROOT / "attnlib")
BOOK_ONLY = ("papermill", "ipywidgets", "IPython", "nbformat", "myst_nb", "jupyter_book", "sphinx")
#: Read anywhere: the version is set in attnlib/__init__.py before it imports anything.
VERSION = "attnlib.__version__"


def _imported(module: str, path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved), at any depth."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            imported = ".".join(base + ([node.module] if node.module else []))
            names |= {f"{imported}.{alias.name}" if f"{imported}.{alias.name}" in MODULES or imported == "attnlib"
                      else imported for alias in node.names}
    return names


def _rank(part) -> tuple[int, int]:
    """Layer first; inside the science layer, the order of the table (the science parts build on each other)."""
    order = [p.name for p in PARTS if p.top].index(part.name.split(".")[0])
    return LAYERS.index(part.layer), order if part.layer == "science" else 0


def test_every_module_belongs_to_a_part_and_every_part_exists():
    for module in MODULES:
        part_of(module)                                       # raises naming the module when none holds it
    for part in PARTS:
        assert any(m == f"attnlib.{part.name}" or m.startswith(f"attnlib.{part.name}.") for m in MODULES) \
            or part.name == "__init__", f"attnlib.layout names {part.name!r}, which does not exist"


def test_the_parts_of_the_table_are_the_top_level_of_the_package():
    top = {p.name.removesuffix(".py") for p in (ROOT / "attnlib").iterdir()
           if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert top == {p.name for p in PARTS if p.top}
    loose = sorted(p.name for p in (ROOT / "attnlib").glob("*.py"))
    assert loose == ["__init__.py", "cli.py", "layout.py"], loose


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_later_part(module):
    own = part_of(module)
    for name in _imported(module, MODULES[module]):
        if name.startswith("attnlib") and name != VERSION and name != "attnlib":
            other = part_of(name)
            if other.name.split(".")[0] != own.name.split(".")[0]:
                assert _rank(other) <= _rank(own), f"{module} ({own.layer}) imports {name} ({other.layer})"
        assert own.layer not in ("plumbing", "science") or name.split(".")[0] not in BOOK_ONLY, \
            f"{module} imports the book-only package {name}"


def test_the_rank_test_fails_on_an_upward_import(tmp_path):
    """The check above can fail: a science module importing the book layer is caught."""
    path = tmp_path / "bad.py"
    path.write_text("from ..book import presets\n")
    imported = _imported("attnlib.results.bad", path)
    assert "attnlib.book.presets" in imported
    assert _rank(part_of("attnlib.book.presets")) > _rank(part_of("attnlib.results.runs"))


def test_contributing_shows_the_tree_of_the_layout_table():
    assert tree() in (ROOT / "CONTRIBUTING.md").read_text(), \
        "CONTRIBUTING.md's tree differs from attnlib.layout.tree(); paste the new one"


def test_import_attnlib_needs_no_book_dependency():
    """With every book-only package made unimportable, the science layer imports and nothing above it loads."""
    code = f"""
import sys
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BOOK_ONLY!r}:
            raise ImportError("blocked for this test: " + name)
sys.meta_path.insert(0, Blocked())
import attnlib, attnlib.explain, attnlib.plots, attnlib.results, attnlib.training, attnlib.paper
print(sorted(m for m in sys.modules if m.startswith(("attnlib.book", "attnlib.teach", "attnlib.cli"))
             or m.split(".")[0] in {BOOK_ONLY!r}))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]", f"import attnlib loaded {result.stdout.strip()}"
