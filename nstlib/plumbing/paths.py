"""Where files are: the repository's ``datasets/`` folder and files inside installed packages.

Both answers come from the file system only: no package is imported to find its files, so asking
where vintagify keeps its weights costs microseconds and works even if the package is broken.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from nstlib.errors import NstlibError

REPO_ROOT = Path(__file__).resolve().parents[2]


def datasets_dir() -> Path:
    """The repository's ``datasets/`` folder (next to the ``nstlib`` package, editable install)."""
    folder = REPO_ROOT / "datasets"
    if not folder.is_dir():
        raise NstlibError(
            f"The datasets folder {folder} is missing. nstlib expects to be installed from a clone "
            "of the course repository with `pip install -e .`; reinstall it that way."
        )
    return folder


def find_package_file(package: str, relative: str) -> Path | None:
    """``relative`` inside the installed ``package``'s folder, or ``None`` if either is missing."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.exists() else None


def package_file(package: str, relative: str, install: str) -> Path:
    """Like :func:`find_package_file`, but a missing file is an ``NstlibError`` that says
    ``install`` (the pip command that brings it), naming the package and the file."""
    path = find_package_file(package, relative)
    if path is None:
        installed = importlib.util.find_spec(package) is not None
        what = f"{package} is installed but has no {relative}" if installed else (
            f"{relative} ships in the package {package}, which is not installed"
        )
        raise NstlibError(f"{what}. Install it with: {install}")
    return path
