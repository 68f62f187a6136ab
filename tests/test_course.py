import nbformat
import pytest

from nstlib.course import STUB, lesson_paths, strip_solutions, student_copy
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
    copy = student_copy(notebook)
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
