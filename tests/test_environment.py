"""environment.yml stays consistent with pyproject.toml, the one source of truth for dependencies."""
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
ENVIRONMENT = yaml.safe_load((ROOT / "environment.yml").read_text())


def conda_dependencies():
    return [d for d in ENVIRONMENT["dependencies"] if isinstance(d, str)]


def pip_section():
    (section,) = [d["pip"] for d in ENVIRONMENT["dependencies"] if isinstance(d, dict)]
    return section


def test_conda_side_holds_only_python_and_pip():
    names = {d.split("=")[0].split(">")[0].split("<")[0] for d in conda_dependencies()}
    assert names == {"python", "pip"}


def test_python_version_satisfies_requires_python():
    (python,) = [d for d in conda_dependencies() if d.startswith("python")]
    version = python.split("=", 1)[1]
    assert f"{version}.0" in SpecifierSet(PYPROJECT["requires-python"])


def test_pip_section_installs_this_project_with_every_extra():
    (line,) = pip_section()
    assert line.startswith("--editable .[")
    extras = set(line[len("--editable .["):-1].split(","))
    assert extras == set(PYPROJECT["optional-dependencies"])


def test_every_requirement_parses_and_torch_admits_the_local_cpu_wheel():
    requirements = [Requirement(r) for r in PYPROJECT["dependencies"]]
    requirements += [Requirement(r) for extra in PYPROJECT["optional-dependencies"].values() for r in extra]
    (torch,) = [r for r in requirements if r.name == "torch"]
    assert "2.13.0" in torch.specifier
