"""Lesson 03's receptive-field slider, tested headlessly."""

from __future__ import annotations

import time

import pytest
import torch

from nstlib.demos.patchgan import ReceptiveFieldDemo
from nstlib.errors import NstlibError


@pytest.fixture(scope="module")
def image() -> torch.Tensor:
    return torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def demo(image) -> ReceptiveFieldDemo:
    scores = torch.linspace(0, 1, 900).reshape(30, 30)
    return ReceptiveFieldDemo(image, scores)


def test_demo_starts_on_the_70_pixel_patch_of_the_middle_cell(demo):
    assert demo.layers_slider.value == 3
    assert (demo.row_slider.max, demo.col_slider.max) == (29, 29)
    patch = demo.update()
    assert patch.size == 70
    assert (patch.top, patch.left) == (8 * 15 - 23, 8 * 15 - 23)
    assert "<b>70×70</b>" in demo.readout.value and "<b>30×30</b>" in demo.readout.value
    assert demo.picture.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert demo.last == patch


def test_n_layers_slider_gives_the_known_receptive_fields(demo):
    sizes = {}
    for n in range(1, 6):
        demo.layers_slider.value = n
        sizes[n] = demo.update().size
        assert f"<b>{sizes[n]}×{sizes[n]}</b>" in demo.readout.value
        assert demo.row_slider.max == demo.map_sizes[n] - 1
        assert demo.row_slider.value <= demo.row_slider.max
    assert sizes == {1: 16, 2: 34, 3: 70, 4: 142, 5: 286}
    demo.layers_slider.value = 3


def test_cell_sliders_move_the_patch_and_read_the_score(demo):
    demo.layers_slider.value = 3
    demo.row_slider.value, demo.col_slider.value = 0, 29
    patch = demo.update()
    assert (patch.top, patch.left) == (-23, 8 * 29 - 23)
    assert (patch.clipped.height, patch.clipped.width) == (47, 47)
    assert f"<b>{demo.scores[0, 29].item():.2f}</b>" in demo.readout.value


def test_margin_holds_every_overhanging_patch(demo):
    assert demo.margin == 95  # n_layers = 5: the first cell starts 95 px above the image


def test_sliders_answer_fast(demo):
    start = time.perf_counter()
    demo.layers_slider.value = 5
    demo.row_slider.value = 2
    demo.layers_slider.value = 3
    demo.col_slider.value = 10
    assert time.perf_counter() - start < 0.5


def test_without_scores_the_score_view_is_blank(image):
    demo = ReceptiveFieldDemo(image[..., :128, :128], max_layers=3)
    assert demo.map_sizes == {1: 62, 2: 30, 3: 14}
    assert "score" not in demo.readout.value


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image": torch.rand(1, 3, 64, 80)}, "square"),
        (
            {"image": torch.rand(1, 3, 64, 64), "scores": torch.rand(5, 5), "max_layers": 3},
            "scores",
        ),
        ({"image": torch.rand(1, 3, 32, 32), "max_layers": 5}, "too small"),
        ({"image": torch.rand(1, 3, 64, 64), "max_layers": 0}, "max_layers"),
        (
            {"image": torch.rand(1, 3, 64, 64), "scores": torch.rand(6, 6), "max_layers": 2},
            "max_layers ≥ 3",
        ),
    ],
)
def test_bad_demo_arguments_are_reported(kwargs, message):
    with pytest.raises(NstlibError, match=message):
        ReceptiveFieldDemo(**kwargs)


def test_cell_sliders_start_in_the_middle_of_a_large_map():
    demo = ReceptiveFieldDemo(torch.rand(1, 3, 2048, 2048), max_layers=3)
    assert demo.map_sizes[3] == 254
    assert demo.row_slider.value == demo.col_slider.value == 127  # not clamped to 100
