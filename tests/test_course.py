import base64
import subprocess
import sys

import course
import nbformat
import pytest
from course import (
    CPU_LABEL,
    GPU_LABEL,
    README,
    STUB,
    budget_label,
    format_duration,
    lesson_budgets,
    lesson_paths,
    record_budget,
    strip_solutions,
    student_copy,
    sync_readme_budgets,
)

from nstlib.errors import NstlibError
from nstlib.exercises import CheckResult, Mismatch, expect_close, run_check

SOLVED = '''def gram(x):
    """Docstring stays."""
    ### BEGIN SOLUTION
    c, h, w = x.shape
    return x @ x.T
    ### END SOLUTION

print("after")
'''


def test_strip_solutions_keeps_indentation_and_surrounding_code():
    stripped = strip_solutions(SOLVED)
    assert f"    {STUB}\n" in stripped
    assert "x @ x.T" not in stripped and "BEGIN SOLUTION" not in stripped
    assert '"""Docstring stays."""' in stripped and 'print("after")' in stripped
    compile(stripped, "<student>", "exec")


def test_student_copy_clears_outputs_and_keeps_the_original():
    cell = nbformat.v4.new_code_cell(SOLVED, execution_count=3)
    cell.outputs = [nbformat.v4.new_output("stream", text="hi")]
    notebook = nbformat.v4.new_notebook(
        cells=[cell, nbformat.v4.new_markdown_cell("### BEGIN SOLUTION")]
    )
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    copy = student_copy(notebook)
    assert "widgets" not in copy.metadata  # the instructor run's rendered sliders stay behind
    assert "widgets" in notebook.metadata
    assert copy.cells[0].outputs == [] and copy.cells[0].execution_count is None
    assert STUB in copy.cells[0].source
    assert copy.cells[1].source == "### BEGIN SOLUTION"  # markdown is never touched
    assert notebook.cells[0].outputs and "x @ x.T" in notebook.cells[0].source


def test_every_committed_lesson_has_matched_solution_markers():
    for path in lesson_paths():
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert cell.source.count("### BEGIN SOLUTION") == cell.source.count(
                    "### END SOLUTION"
                )
                assert "### BEGIN SOLUTION" not in strip_solutions(cell.source), path.name


def test_unknown_lesson_filter_is_a_clear_error():
    with pytest.raises(NstlibError, match="No lesson"):
        lesson_paths(["no-such-lesson"])


def test_run_check_turns_every_outcome_into_a_line():
    assert str(run_check("ok", lambda: "fine")) == "PASS ok: fine"

    def stub():
        raise NotImplementedError

    assert "not implemented yet" in str(run_check("stub", stub))

    def wrong():
        raise Mismatch("off by one", "check the loop bounds")

    result = run_check("wrong", wrong)
    assert not result and str(result) == "FAIL wrong: off by one\n     Hint: check the loop bounds"
    crash = run_check("crash", lambda: 1 / 0)
    assert isinstance(crash, CheckResult) and "ZeroDivisionError" in crash.message


def test_expect_close_reports_type_shape_and_value_mismatches():
    import torch

    expected = torch.ones(2, 2)
    expect_close(torch.ones(2, 2), expected, "x", "h")
    for actual, match in [
        ([1], "torch.Tensor"),
        (torch.ones(3), "shape"),
        (torch.zeros(2, 2), "differs"),
    ]:
        with pytest.raises(Mismatch, match=match):
            expect_close(actual, expected, "x", "h")


def _lesson_with_header(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(text), nbformat.v4.new_code_cell("1")]
    )


HEADER = (
    "**Time budget** (measured with `python lessons/course.py execute 07`, `student` profile):\n"
    "CPU (2 cores): not measured yet. GPU: not measured yet."
)


def test_format_duration_has_no_full_stop():
    assert format_duration(45.4) == "45 s"
    assert format_duration(250.6) == "4 min 11 s"
    assert "." not in format_duration(3599.9)


def test_record_budget_fills_one_entry_and_reads_back():
    lesson = _lesson_with_header(HEADER)
    record_budget(lesson, CPU_LABEL, "4 min 10 s")
    assert lesson_budgets(lesson) == {CPU_LABEL: "4 min 10 s", GPU_LABEL: "not measured yet"}
    record_budget(lesson, GPU_LABEL, "38 s on NVIDIA H100 80GB HBM3")
    assert lesson.cells[0].source.endswith(
        "CPU (2 cores): 4 min 10 s. GPU: 38 s on NVIDIA H100 80GB HBM3."
    )
    record_budget(lesson, CPU_LABEL, "3 min 2 s")  # re-measuring replaces, never appends
    assert lesson_budgets(lesson)[CPU_LABEL] == "3 min 2 s"
    assert lesson.cells[0].source.count("CPU (2 cores)") == 1


def test_record_budget_without_a_header_is_a_clear_error():
    with pytest.raises(NstlibError, match="Time budget"):
        record_budget(_lesson_with_header("# A lesson with no budget"), CPU_LABEL, "1 s")


def test_budget_label_counts_only_a_2_core_cpu_or_a_gpu(monkeypatch):
    monkeypatch.setenv("NSTLIB_DEVICE", "cpu")
    monkeypatch.setattr(course.os, "cpu_count", lambda: 2)
    assert budget_label() == CPU_LABEL
    monkeypatch.setattr(course.os, "cpu_count", lambda: 16)
    assert budget_label() is None


def test_readme_table_matches_every_lesson_header(tmp_path):
    """The README's budgets are copies of the lessons' measured ones (``course execute`` syncs)."""
    copy = tmp_path / "README.md"
    copy.write_text(README.read_text(encoding="utf-8"), encoding="utf-8")
    sync_readme_budgets(copy)
    assert copy.read_text(encoding="utf-8") == README.read_text(encoding="utf-8")
    for path in lesson_paths():
        assert f"| `{path.name}` |" in copy.read_text(encoding="utf-8"), path.name


def test_command_line_names_an_unknown_lesson_without_a_traceback(capsys):
    assert course.main(["execute", "no-such-lesson"]) == 2
    assert "no-such-lesson" in capsys.readouterr().err


def _widget_notebook() -> tuple[nbformat.NotebookNode, str]:
    """A run notebook as nbclient stores it (a tqdm bar and a demo) and its picture, base64."""

    def model(name: str, **state) -> dict:
        return {"model_name": name, "state": state}

    png = base64.b64encode(b"\x89PNG fake picture").decode()
    state = {
        "bar": model(
            "HBoxModel", children=["IPY_MODEL_left", "IPY_MODEL_progress", "IPY_MODEL_right"]
        ),
        "left": model("HTMLModel", value="GAN: 100%"),
        "progress": model("FloatProgressModel", value=300.0, min=0.0, max=300.0),
        "right": model("HTMLModel", value=" 300/300 [00:05&lt;00:00]"),
        "demo": model("VBoxModel", children=["IPY_MODEL_slider", "IPY_MODEL_picture"]),
        "slider": model("IntSliderModel", value=7, description="snapshot"),
        "picture": {
            **model("ImageModel", format="png"),
            "buffers": [{"path": ["value"], "data": png}],
        },
    }
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["widgets"] = {course.WIDGET_STATE: {"state": state}}
    cell = nbformat.v4.new_code_cell("demo.widget")
    for model_id, text in (
        ("bar", "  0%|          | 0/300"),
        ("demo", "VBox(children=(IntSlider("),
    ):
        data = {"text/plain": text, course.WIDGET_VIEW: {"model_id": model_id}}
        cell.outputs.append(nbformat.v4.new_output("display_data", data=data))
    notebook.cells.append(cell)
    return notebook, png


def test_static_fallbacks_show_the_final_state():
    notebook, png = _widget_notebook()
    assert course.add_static_fallbacks(notebook) == 2
    bar, demo = notebook.cells[0].outputs
    assert bar.data["text/plain"] == "GAN: 100% |██████████| 300/300 [00:05<00:00]"
    assert "image/png" not in bar.data
    assert demo.data["text/plain"] == "snapshot: 7"
    assert demo.data["image/png"] == png
    assert demo.data[course.WIDGET_VIEW] == {"model_id": "demo"}  # the live widget stays first


def test_student_copy_drops_the_fallbacks_with_the_outputs():
    notebook, _ = _widget_notebook()
    course.add_static_fallbacks(notebook)
    assert student_copy(notebook).cells[0].outputs == []


def test_smallest_text_is_recorded_in_the_png():
    # In a subprocess: the probe patches matplotlib for the whole process, as in a lesson kernel.
    script = f"""
import io, sys
sys.path.insert(0, {str(course.LESSONS)!r})
import matplotlib
matplotlib.use("Agg")
import course
from matplotlib.figure import Figure
course.record_smallest_text()
fig = Figure(figsize=(3, 2), dpi=100)
ax = fig.subplots()
ax.plot([0, 1], label="line")
ax.legend(fontsize=9)
ax.set_title("title", fontsize=14)
hidden = fig.add_axes((0, 0, 0.1, 0.1))
hidden.axis("off")  # its 10-pt tick labels are never drawn
hidden.set_title("tiny", fontsize=4)
hidden.title.set_visible(False)
buffer = io.BytesIO()
fig.savefig(buffer, format="png")
print(buffer.getvalue().split(course.SMALLEST_TEXT_KEY.encode() + b"\\0")[1][:5].decode())
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "12.50"  # the 9-pt legend at 100 dpi: 9 * 100 / 72 px
