"""Course maintenance: re-execute the lessons and write the student copies.

``python -m nstlib course execute`` runs every lesson top to bottom in a fresh kernel with the
``student`` profile and stores the outputs, so stored outputs are always fresh and never edited by
hand. It prints the wall time of each lesson: these are the CPU budgets quoted in the lessons.

``python -m nstlib course student-copies`` writes ``student/NN_topic.ipynb``: every code block
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's convention) becomes
``raise NotImplementedError(...)`` and all outputs are cleared.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat

from nstlib.errors import NstlibError

REPO = Path(__file__).resolve().parent.parent
LESSONS = REPO / "lessons"
STUDENT = REPO / "student"

_SOLUTION = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)",
    re.MULTILINE | re.DOTALL,
)
STUB = 'raise NotImplementedError("Exercise: write your solution here")'


def lesson_paths(names: list[str] | None = None) -> list[Path]:
    """The lesson notebooks ``lessons/NN_*.ipynb`` in order, or those whose name contains a filter."""
    paths = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
    if names:
        paths = [p for p in paths if any(n in p.name for n in names)]
        if not paths:
            raise NstlibError(f"No lesson in {LESSONS} matches {names}.")
    return paths


def strip_solutions(source: str) -> str:
    """Replace each ``### BEGIN SOLUTION … ### END SOLUTION`` block by an indented stub."""
    return _SOLUTION.sub(lambda m: f"{m.group('indent')}{STUB}\n", source)


def student_copy(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a lesson with solutions replaced by stubs and every output cleared."""
    copy = nbformat.from_dict(notebook)
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs = []
            cell.execution_count = None
    return copy


def write_student_copies(out_dir: Path = STUDENT) -> list[Path]:
    """Write the student copy of every lesson to ``out_dir``; return the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in lesson_paths():
        target = out_dir / path.name
        nbformat.write(student_copy(nbformat.read(path, as_version=4)), target)
        written.append(target)
    return written


def execute_lessons(names: list[str] | None = None, profile: str = "student") -> dict[str, float]:
    """Run lessons top to bottom in fresh kernels, store outputs in place, return seconds each.

    The kernel inherits ``NSTLIB_PROFILE=profile`` and runs in ``lessons/`` (as in JupyterLab).
    A lesson that raises stops the run with the failing cell named; its file is left untouched.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    os.environ["NSTLIB_PROFILE"] = profile
    seconds = {}
    for path in lesson_paths(names):
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=1800,
            kernel_name="python3",
            resources={"metadata": {"path": str(LESSONS)}},
        )
        start = time.perf_counter()
        try:
            client.execute()
        except CellExecutionError as exc:
            raise NstlibError(f"{path.name} failed while executing:\n{exc}") from exc
        seconds[path.name] = time.perf_counter() - start
        nbformat.write(notebook, path)
        print(f"{path.name}: {seconds[path.name]:.0f} s ({profile} profile)", flush=True)
    return seconds
