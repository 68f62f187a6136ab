"""The lesson 02 slider: y ← y + α·F(y) through untrained blocks, tested headlessly."""

from __future__ import annotations

import io
import time

import pytest
import torch
from PIL import Image

from nstlib.demos.blocks import BranchScaleDemo
from nstlib.errors import NstlibError


@pytest.fixture(scope="module")
def demo() -> BranchScaleDemo:
    image = torch.rand(1, 3, 16, 24, generator=torch.Generator().manual_seed(0))
    return BranchScaleDemo(image, max_blocks=4)


def test_alpha_zero_is_exactly_the_identity(demo):
    result = demo.result(0.0, 4)
    assert torch.equal(result.residual, demo.x)
    assert result.residual_change == 0.0
    assert result.residual_correlation == pytest.approx(1.0)


def test_one_block_changes_linearly_with_alpha(demo):
    one, two = demo.result(1.0, 1), demo.result(2.0, 1)
    assert two.residual_change == pytest.approx(2 * one.residual_change, rel=1e-5)
    assert one.residual_change > 0.1  # an untrained branch ends in instance norm: not small


def test_skip_keeps_the_input_and_plain_ignores_alpha(demo):
    residual, plain = demo.result(0.3, 1), demo.result(3.0, 1).plain
    assert residual.residual_correlation > residual.plain_correlation + 0.3
    assert torch.equal(residual.plain, plain)


def test_moving_the_sliders_updates_state_without_recomputing(demo):
    before = demo.computations
    demo.alpha_slider.value = 0.0
    assert demo.last.residual_change == 0.0
    assert "residual <b>0.00</b>" in demo.readout.value
    demo.blocks_slider.value = 3
    demo.alpha_slider.value = 2.5
    assert demo.last is demo.result(2.5, 3)
    assert demo.last.residual_change > demo.result(0.5, 3).residual_change
    assert demo.picture.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert demo.computations == before  # every slider position was precomputed


def test_off_grid_alpha_is_computed_once(demo):
    before = demo.computations
    demo.result(0.123, 2)
    demo.result(0.123, 4)
    assert demo.computations == before + 1


def test_slider_answers_fast(demo):
    start = time.perf_counter()
    demo.alpha_slider.value = 1.7
    demo.blocks_slider.value = 4
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    "image, message",
    [
        (torch.rand(3, 8, 8), "shape"),
        (torch.rand(2, 3, 8, 8), "one photo"),
        (torch.rand(1, 1, 8, 8), "RGB"),
    ],
)
def test_bad_images_are_reported(image, message):
    with pytest.raises(NstlibError, match=message):
        BranchScaleDemo(image)


def test_bad_slider_values_are_reported(demo):
    with pytest.raises(NstlibError, match="n_blocks"):
        demo.result(1.0, 5)
    with pytest.raises(NstlibError, match="alpha"):
        demo.result(-0.1, 1)


def test_demo_interface_update_last_cache_and_one_picture(demo):
    demo.alpha_slider.value, demo.blocks_slider.value = 0.0, 2
    assert demo.update() is demo.last is demo.cache[(0.0, 2)]
    strip = Image.open(io.BytesIO(demo.picture.value))
    # input | residual | plain, 16×24 each, zoomed 2× (sharp pixels), with make_grid's 4 px white
    # border around every panel
    assert demo.zoom == 2
    assert strip.size == (3 * 24 * 2 + 4 * 4, 16 * 2 + 2 * 4)
