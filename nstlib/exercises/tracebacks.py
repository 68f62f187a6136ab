"""Where in the student's own code a crash happened.

A checker calls the student's function, which calls torch, which raises deep inside a library.
The useful line is the *last* one the student wrote: the last traceback frame whose file is not
part of nstlib or of an installed package (torch, numpy, the standard library). In Jupyter that
file is a notebook cell, which IPython names ``Cell In[5]``, as in its own tracebacks.
"""

from __future__ import annotations

import sysconfig
import traceback
from pathlib import Path

import nstlib

_LIBRARY_DIRS = tuple(
    Path(p).resolve()
    for p in (
        Path(nstlib.__file__).parent,
        *(sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")),
    )
)


def _is_library(filename: str) -> bool:
    if filename.startswith("<frozen"):
        return True
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return False
    return any(path.is_relative_to(folder) for folder in _LIBRARY_DIRS)


def student_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The last frame of ``exc``'s traceback in the student's code, or ``None`` if there is none."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_library(f.filename)]
    return frames[-1] if frames else None


def _place(filename: str) -> str:
    """``Cell In[5]`` for a notebook cell (IPython's own label), else the file's path."""
    try:
        from IPython import get_ipython
    except ImportError:
        return filename
    shell = get_ipython()
    label = shell.compile.format_code_name(filename) if shell is not None else None
    return " ".join(label) if label else filename


def crash_report(exc: BaseException) -> tuple[str, str]:
    """A FAIL message and hint for a crash: the exception and the student's line that raised it."""
    error = f"{type(exc).__name__}: {exc}"
    frame = student_frame(exc)
    if frame is None:
        return (
            f"raised {error}",
            "the error happened on what your function returned or was given: compare its type "
            "and shape with what the exercise asks for.",
        )
    line = (frame.line or "").strip()
    where = f"{_place(frame.filename)}, line {frame.lineno}"
    return (
        f"your code raised {error}\n     at {where}: {line}",
        f"look at that line ({where}): print the shapes and types of what it uses.",
    )
