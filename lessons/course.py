"""Course maintenance (for the course's authors): re-execute the lessons, write the student copies.

This is tooling, not course material, so it lives beside the lessons instead of inside the
``nstlib`` package that students read. ``make lessons`` and ``make student`` run it.

``python lessons/course.py execute [NAME ...]`` runs every lesson (or those named) top to bottom
in a fresh kernel with the ``student`` profile and stores the outputs, so stored outputs are always
fresh and never edited by hand. It prints the wall time of each lesson and writes it into the
lesson's header and the README's lesson table: a run on a 2-core CPU fills in the CPU budget, a run
on a CUDA GPU the GPU budget, so the budgets a student reads are always measured, never guessed.

``python lessons/course.py student-copies`` writes ``student/NN_topic.ipynb``: every code block
between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's convention) becomes
``raise NotImplementedError(...)`` and all outputs are cleared.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import torch

from nstlib.errors import NstlibError
from nstlib.runtime import device

LESSONS = Path(__file__).resolve().parent  # this file sits in lessons/
REPO = LESSONS.parent
STUDENT = REPO / "student"
README = REPO / "README.md"

# The header's budget line reads "CPU (2 cores): 4 min 10 s. GPU: 40 s on NVIDIA H100."; each
# value runs to the first full stop, so the values themselves never contain one.
CPU_LABEL, GPU_LABEL = "CPU (2 cores)", "GPU"
_BUDGET = {
    label: re.compile(rf"(?<![\w(]){re.escape(label)}: (?P<value>[^.\n]*)\.")
    for label in (CPU_LABEL, GPU_LABEL)
}

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
    """A copy of a lesson with solutions replaced by stubs and every output cleared.

    The saved widget state goes too: it holds the instructor run's rendered sliders and images.
    """
    copy = nbformat.from_dict(notebook)
    copy.metadata.pop("widgets", None)
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


def format_duration(seconds: float) -> str:
    """``"45 s"``, ``"4 min 10 s"``: whole seconds, no full stop (it ends a budget value)."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def budget_label() -> str | None:
    """Which budget a ``student`` run on this machine measures: CPU, GPU, or none.

    The lessons' kernels run on :func:`nstlib.device` (``NSTLIB_DEVICE`` forces one). A CPU run
    counts only on 2 cores, the students' baseline laptop; a CUDA run is the GPU budget. Anything
    else (Apple's MPS, a 16-core CPU) measures no published budget.
    """
    kind = device().type
    if kind == "cuda":
        return GPU_LABEL
    if kind == "cpu" and os.cpu_count() == 2:
        return CPU_LABEL
    return None


def _budget_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """The header's markdown cell that holds the ``**Time budget**`` line, if any."""
    return next(
        (c for c in notebook.cells if c.cell_type == "markdown" and "**Time budget**" in c.source),
        None,
    )


def lesson_budgets(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """The budgets in a lesson's header, e.g. ``{"CPU (2 cores)": "4 min 10 s", "GPU": ...}``."""
    cell = _budget_cell(notebook)
    if cell is None:
        return {}
    matches = {label: pattern.search(cell.source) for label, pattern in _BUDGET.items()}
    return {label: match["value"] for label, match in matches.items() if match}


def record_budget(notebook: nbformat.NotebookNode, label: str, value: str) -> None:
    """Write ``value`` as the lesson header's ``label`` budget (in place)."""
    cell = _budget_cell(notebook)
    if cell is None or not _BUDGET[label].search(cell.source):
        raise NstlibError(
            f"The lesson has no '**Time budget**' header with a '{label}: ….' entry to fill in."
        )
    cell.source = _BUDGET[label].sub(f"{label}: {value}.", cell.source, count=1)


def sync_readme_budgets(readme: Path = README) -> None:
    """Copy every lesson's header budgets into the README's lesson table (its last two columns)."""
    lines = readme.read_text(encoding="utf-8").splitlines(keepends=True)
    for path in lesson_paths():
        budgets = lesson_budgets(nbformat.read(path, as_version=4))
        for i, line in enumerate(lines):
            if line.startswith(f"| `{path.name}` |"):
                cells = line.rstrip("\n").split(" | ")
                cells[-2] = budgets.get(CPU_LABEL, "not measured yet")
                cells[-1] = budgets.get(GPU_LABEL, "not measured yet") + " |"
                lines[i] = " | ".join(cells) + "\n"
    readme.write_text("".join(lines), encoding="utf-8")


def execute_lessons(names: list[str] | None = None, profile: str = "student") -> dict[str, float]:
    """Run lessons top to bottom in fresh kernels, store outputs in place, return seconds each.

    The kernel inherits ``NSTLIB_PROFILE=profile`` and runs in ``lessons/`` (as in JupyterLab).
    A ``student`` run records its wall time as the lesson's CPU or GPU budget (see
    :func:`budget_label`) in the header and the README. A lesson that raises stops the run with
    the failing cell named; its file is left untouched.
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
        label = budget_label() if profile == "student" else None
        if label == GPU_LABEL:
            record_budget(
                notebook,
                label,
                f"{format_duration(seconds[path.name])} on {torch.cuda.get_device_name()}",
            )
        elif label == CPU_LABEL:
            record_budget(notebook, label, format_duration(seconds[path.name]))
        nbformat.write(notebook, path)
        recorded = f", recorded as the {label} budget" if label else ""
        print(
            f"{path.name}: {format_duration(seconds[path.name])} ({profile} profile{recorded})",
            flush=True,
        )
    sync_readme_budgets()
    return seconds


def main(argv: list[str] | None = None) -> int:
    """``python lessons/course.py {execute,student-copies}``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python lessons/course.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("action", choices=["execute", "student-copies"])
    parser.add_argument("lessons", nargs="*", help="only lessons whose file name contains these")
    parser.add_argument("--profile", default="student", choices=["ci", "student", "full"])
    args = parser.parse_args(argv)
    try:
        if args.action == "execute":
            execute_lessons(args.lessons or None, profile=args.profile)
        else:
            for path in write_student_copies():
                print(f"wrote {path}")
    except NstlibError as exc:  # a failing lesson or a bad name: one message, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
