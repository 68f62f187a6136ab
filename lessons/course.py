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

Executed lessons keep what a reader should see when they open one without running it: the widget
state of every demo and progress bar (JupyterLab draws it in a trusted notebook, and ``make lab``
trusts the lessons), a static picture and text in each widget output for everywhere else, and in
each figure's PNG the size of its smallest text, which the browser test checks.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
import time
from pathlib import Path

import matplotlib
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


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_TAG = re.compile(r"<[^>]+>")


def _stored_models(notebook: nbformat.NotebookNode) -> dict:
    """``{model_id: model}`` from the widget state that the executor stored in the metadata."""
    return notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _widget_summary(models: dict, model_id: str) -> tuple[list[str], list[str]]:
    """The texts and base64 PNGs a stored widget (and its children) shows, in display order.

    Text is what a reader would see: HTML and labels without their tags, a progress bar drawn
    in characters, a control as ``description: value``. Buttons and layouts add nothing.
    """
    model = models.get(model_id)
    if model is None:
        return [], []
    state, name = model["state"], model["model_name"]
    if "children" in state:
        texts, pngs = [], []
        for child in state["children"]:
            child_texts, child_pngs = _widget_summary(models, child.removeprefix("IPY_MODEL_"))
            texts += child_texts
            pngs += child_pngs
        # A horizontal box (a tqdm bar: label, bar, counts) reads as one line.
        return ([" ".join(texts)] if name == "HBoxModel" and texts else texts), pngs
    if name == "ImageModel":
        buffers = {tuple(b["path"]): b["data"] for b in model.get("buffers", [])}
        png = buffers.get(("value",))
        return [], [png] if png and state.get("format", "png") == "png" else []
    if name in ("HTMLModel", "LabelModel", "HTMLMathModel"):
        text = html.unescape(_TAG.sub(" ", state.get("value", ""))).strip()
        return [" ".join(text.split())] if text else [], []
    if name in ("FloatProgressModel", "IntProgressModel"):
        span = (state.get("max", 100) - state.get("min", 0)) or 1
        filled = round(10 * (state.get("value", 0) - state.get("min", 0)) / span)
        return ["|" + "█" * filled + " " * (10 - filled) + "|"], []  # drawn as tqdm draws it
    if "value" in state and state.get("description"):
        value = state["value"]
        if "_options_labels" in state and "index" in state:  # drop-downs store an index
            value = state["_options_labels"][state["index"]]
        return [f"{state['description']}: {value}"], []
    return [], []


def add_static_fallbacks(notebook: nbformat.NotebookNode) -> int:
    """Give every stored widget output a static picture and text; return how many it changed.

    JupyterLab draws a widget from the stored state only in a trusted notebook (``make lab``
    trusts the lessons); everywhere else (an untrusted copy, GitHub, nbviewer) a reader sees the
    output's other data. ipywidgets stores only the ``repr`` from when the cell ran there, e.g.
    ``VBox(children=(IntSlider(...`` or tqdm's ``0%| | 0/300``. This replaces it with what the
    widget showed at the end of the run: its largest picture as ``image/png`` and its text.
    """
    models = _stored_models(notebook)
    changed = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if not view or view.get("model_id") not in models:
                continue
            texts, pngs = _widget_summary(models, view["model_id"])
            if texts:
                output.data["text/plain"] = "\n".join(texts)
            if pngs:
                output.data["image/png"] = max(pngs, key=len)
            changed += bool(texts or pngs)
    return changed


# The PNG text chunk in which the lesson executor records a figure's smallest text.
SMALLEST_TEXT_KEY = "nstlib:smallest-text-px"
_PROBE_LINES = '["import course; course.record_smallest_text()"]'


def record_smallest_text() -> None:
    """Make every PNG that matplotlib writes in this process record its smallest text.

    The executor runs this in each lesson's kernel before the first cell, so every stored figure
    and every demo picture carries, in a PNG ``tEXt`` chunk named :data:`SMALLEST_TEXT_KEY`, the
    height in image pixels of its smallest drawn text (font size in points times dpi / 72). The
    browser test multiplies it by the picture's on-screen scale to check that text stays readable when
    the picture is shrunk to the output area. It changes no pixel of the picture.
    """
    from matplotlib import text as mtext
    from matplotlib.backend_bases import FigureCanvasBase

    if getattr(FigureCanvasBase.print_figure, "records_smallest_text", False):
        return  # already installed in this kernel
    original_print, original_draw = FigureCanvasBase.print_figure, mtext.Text.draw
    drawn: list[float] = []

    def draw(self: mtext.Text, renderer: object) -> None:
        if self.get_visible() and self.get_text().strip():
            drawn.append(self.get_fontsize())
        return original_draw(self, renderer)

    def print_figure(self: FigureCanvasBase, filename: object, *args: object, **kwargs: object):
        # savefig's own rule: an explicit format, else the file name's suffix, else the default.
        fmt = kwargs.get("format") or (
            Path(filename).suffix.lstrip(".")
            if isinstance(filename, (str, os.PathLike))
            else matplotlib.rcParams["savefig.format"]
        )
        if str(fmt).lower() == "png":
            drawn.clear()
            self.figure.draw_without_rendering()  # Text.draw runs only for text that is shown
            if drawn:
                dpi = kwargs.get("dpi") or matplotlib.rcParams["savefig.dpi"]
                dpi = self.figure.dpi if dpi == "figure" else dpi
                metadata = dict(kwargs.get("metadata") or {})
                metadata[SMALLEST_TEXT_KEY] = f"{min(drawn) * dpi / 72:.2f}"
                kwargs["metadata"] = metadata
        return original_print(self, filename, *args, **kwargs)

    mtext.Text.draw = draw
    print_figure.records_smallest_text = True
    FigureCanvasBase.print_figure = print_figure


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

    The widget state is stored in the notebook's metadata and every widget output gets a static
    fallback (:func:`add_static_fallbacks`); the kernel runs :func:`record_smallest_text` first.
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
            store_widget_state=True,  # what the demos and progress bars showed at the end
            # The kernel starts in lessons/, so this file imports as `course` there.
            extra_arguments=[f"--IPKernelApp.exec_lines={_PROBE_LINES}"],
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
        add_static_fallbacks(notebook)
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
