"""Every lesson meets the course's checklist (shared LESSONS.md) in its committed form.

These tests read the notebooks; they run nothing. nbval (in ``make test``) then re-runs each
lesson with the ``ci`` profile and compares its checked cells with these stored outputs.
"""

import re

import nbformat
import pytest
from course import CPU_LABEL, GPU_LABEL, lesson_budgets, lesson_paths

LESSONS = lesson_paths()
WIDGET = "application/vnd.jupyter.widget-view+json"


def tags(cell: nbformat.NotebookNode) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in notebook.cells if c.cell_type == "code" and c.source.strip()]


@pytest.fixture(params=LESSONS, ids=[p.name for p in LESSONS])
def lesson(request) -> nbformat.NotebookNode:
    return nbformat.read(request.param, as_version=4)


def test_there_are_six_lessons_in_course_order():
    assert [p.name[:2] for p in LESSONS] == ["01", "02", "03", "04", "05", "06"]


def test_header_has_title_goals_prerequisites_and_both_budgets(lesson):
    header = lesson.cells[0]
    assert header.cell_type == "markdown" and re.match(r"# Lesson \d\d: ", header.source)
    assert "**You will be able to:**" in header.source
    assert "**What to know first:**" in header.source
    assert set(lesson_budgets(lesson)) == {CPU_LABEL, GPU_LABEL}


def test_setup_cell_prints_device_and_profile(lesson):
    setup = code_cells(lesson)[0]
    printed = "".join(o.get("text", "") for o in setup.outputs if o.output_type == "stream")
    assert "import nstlib" in setup.source
    assert "device" in printed and "profile" in printed
    assert "nbval-check-output" not in tags(setup)  # it names the machine: never compared


def test_at_least_five_checked_cells(lesson):
    checked = [c for c in code_cells(lesson) if "nbval-check-output" in tags(c)]
    assert len(checked) >= 5
    for cell in checked:
        assert cell.outputs, f"checked cell has no stored output:\n{cell.source[:200]}"
        assert "nbval-ignore-output" not in tags(cell)


def test_widget_cells_are_never_compared(lesson):
    # A slider's or a tqdm bar's text changes with every run, so no checked cell may show one.
    for cell in code_cells(lesson):
        if any(WIDGET in o.get("data", {}) for o in cell.outputs):
            assert "nbval-check-output" not in tags(cell), cell.source[:200]


def test_stored_outputs_come_from_one_fresh_top_to_bottom_run(lesson):
    counts = [c.execution_count for c in code_cells(lesson)]
    assert counts == list(range(1, len(counts) + 1))
    for cell in code_cells(lesson):
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:200]


def test_no_cell_relies_on_a_trailing_semicolon(lesson):
    # nbval 0.11 ignores ';' (its issue #194): plot cells end with plt.show() instead.
    for cell in code_cells(lesson):
        assert not cell.source.rstrip().endswith(";"), cell.source[-200:]


def test_has_an_exercise_and_a_recap(lesson):
    sources = [c.source for c in code_cells(lesson)]
    assert any("### BEGIN SOLUTION" in s for s in sources)
    markdown = [c.source for c in lesson.cells if c.cell_type == "markdown"]
    assert any(re.search(r"^#+ .*Recap", m, re.MULTILINE) for m in markdown)
