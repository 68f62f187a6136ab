"""nstlib.validate: the checks every command and entry point runs before any work."""

from __future__ import annotations

import math
import os

import pytest
from PIL import Image

from nstlib.errors import NstlibError
from nstlib.validate import (
    check_choice,
    check_cpu_size,
    check_finite,
    check_finite_loss,
    check_image_file,
    check_int,
    check_output_path,
)


@pytest.mark.parametrize(
    ("value", "bounds", "words"),
    [
        (math.nan, {}, "finite number, got nan"),
        (math.inf, {}, "finite number, got inf"),
        (-3.0, {"low": 0}, "at least 0, got -3"),
        (0.0, {"low": 0, "low_open": True}, "greater than 0, got 0"),
        (2.0, {"high": 1}, "at most 1, got 2"),
        ("1e6", {}, "a number, got '1e6'"),
        (True, {}, "a number, got True"),
    ],
)
def test_check_finite_names_the_argument_and_the_bound(value, bounds, words):
    with pytest.raises(NstlibError, match=f"^--weight must be .*{words}"):
        check_finite(value, "--weight", **bounds)


def test_check_finite_returns_a_float_inside_the_bounds():
    assert check_finite(3, "x", low=0, high=3) == 3.0 and isinstance(check_finite(3, "x"), float)


@pytest.mark.parametrize(
    ("value", "words"),
    [(1.5, "whole number, got 1.5"), (True, "whole number, got True"), (0, "at least 1, got 0")],
)
def test_check_int_refuses_fractions_bools_and_out_of_range(value, words):
    with pytest.raises(NstlibError, match=f"steps must be .*{words}"):
        check_int(value, "steps", low=1)


def test_check_int_accepts_an_integral_float():
    assert check_int(2.0, "steps", low=1) == 2 and isinstance(check_int(2.0, "steps"), int)


def test_check_choice_lists_the_choices():
    with pytest.raises(NstlibError, match="init='nose' is not one of 'content', 'noise'"):
        check_choice("nose", "init", ("content", "noise"))


def test_check_finite_loss_names_the_step_and_the_terms():
    check_finite_loss({"style": 1.0, "content": 2.0}, 0)
    with pytest.raises(NstlibError, match=r"diverged at step 4 \(style=nan, content=2\).*Lower"):
        check_finite_loss({"style": math.nan, "content": 2.0}, 3)


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    Image.new("RGB", (8, 6)).save(path)
    return path


def test_an_output_may_be_any_new_png_or_an_old_result(tmp_path, photo):
    assert check_output_path(tmp_path / "new.PNG", inputs=[photo]) == tmp_path / "new.PNG"
    (tmp_path / "old.png").write_bytes(b"an earlier result")
    check_output_path(tmp_path / "old.png", inputs=[photo, "chelsea"])  # names are not files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.png", "photo.png"]  # probe removed


def test_an_output_that_is_an_input_is_refused_however_it_is_spelled(tmp_path, photo):
    link = tmp_path / "link.png"
    link.symlink_to(photo)
    hard = tmp_path / "hard.png"
    os.link(photo, hard)
    for spelling in (photo, tmp_path / "." / ".." / tmp_path.name / "photo.png", link, hard):
        with pytest.raises(NstlibError, match="would destroy it"):
            check_output_path(spelling, inputs=["swirl", photo])


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("out", "add the extension: .*out.png"),
        ("out.jpg", r"written as PNG \(lossless\); name it .*out.png"),
        ("no/out.png", "the folder .*no does not exist"),
    ],
)
def test_a_bad_output_name_says_what_to_write_instead(tmp_path, name, words):
    with pytest.raises(NstlibError, match=f"^-o .*{words}"):
        check_output_path(tmp_path / name)


def test_an_output_folder_that_cannot_be_written_is_found_by_trying(tmp_path):
    with pytest.raises(NstlibError, match="is a folder"):
        check_output_path(tmp_path)
    if os.path.isdir("/proc"):  # Linux: not writable even for root, unlike a chmod-ed folder
        with pytest.raises(NstlibError, match="cannot write in the folder /proc"):
            check_output_path("/proc/out.png")


def test_check_image_file_reads_the_header_only(tmp_path, photo):
    assert check_image_file(photo, "content") == photo
    (tmp_path / "notes.png").write_text("not a picture")
    (tmp_path / "empty.png").write_bytes(b"")
    for name, words in (
        ("notes.png", "is not an image"),
        ("empty.png", "is empty"),
        ("missing.png", "file not found"),
        ("", "is a folder"),
    ):
        with pytest.raises(NstlibError, match=f"^content: .*{words}"):
            check_image_file(tmp_path / name, "content")


def test_check_cpu_size_applies_to_the_cpu_only():
    check_cpu_size(4096, "cuda", limit=1024)
    check_cpu_size(1024, "cpu", limit=1024)
    with pytest.raises(
        NstlibError, match="--size 4096 is too large for the CPU .*1 h.*--device cuda"
    ):
        check_cpu_size(4096, "cpu", limit=1024, cost="it would take 1 h")
