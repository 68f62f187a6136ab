"""The lesson 05 slider: style weight × style-layer set over a precomputed grid, tested headlessly."""

from __future__ import annotations

import time

import pytest
import torch

from nstlib.backbones import load_backbone
from nstlib.demos.style import StyleGridDemo
from nstlib.errors import NstlibError

LAYER_SETS = {"shallow": ("relu1_1", "relu2_1"), "paper": ("relu1_1", "relu3_1", "relu5_1")}


@pytest.fixture(scope="module")
def backbone():
    return load_backbone("random", "cpu")  # the machinery only: random weights are fine here


@pytest.fixture(scope="module")
def images():
    rng = torch.Generator().manual_seed(0)
    return torch.rand(1, 3, 24, 32, generator=rng), torch.rand(
        1, 3, 40, 40, generator=rng
    )


@pytest.fixture(scope="module")
def demo(backbone, images):
    demo = StyleGridDemo(
        *images,
        backbone,
        layer_sets=LAYER_SETS,
        exponents=(8, 9, 10),
        size=32,
        steps=2,
        device="cpu",
    )
    demo.precompute(progress=False)
    return demo


def test_precompute_fills_the_grid_once(demo):
    assert demo.computations == 6
    assert len(demo.grid) == 6
    for exponent, label in demo.grid:
        result = demo.cached(exponent, label)
        assert result is not None and result.image.shape == (1, 3, 24, 32)
        assert result.style_weight == pytest.approx(10**exponent)
    demo.precompute(progress=False)
    assert demo.computations == 6


def test_slider_starts_in_the_middle_of_the_grid_on_a_log_scale(demo):
    assert demo.weight_slider.value == pytest.approx(1e9)
    assert demo.weight_slider.min == 8 and demo.weight_slider.max == 10
    assert demo.weight_slider.step == pytest.approx(0.5)
    assert not demo.weight_slider.continuous_update


def test_moving_the_sliders_shows_cached_pictures_without_computing(demo):
    before = demo.computations
    demo.weight_slider.value = 1e10
    assert demo.last is demo.cached(10, demo.layers_buttons.value)
    demo.layers_buttons.value = "shallow"
    assert demo.last is demo.cached(10, "shallow")
    assert "shallow" in demo.readout.value and "1.0e+10" in demo.readout.value
    assert demo.picture.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert demo.computations == before


def test_higher_style_weight_means_a_larger_weighted_style_term(demo):
    low, high = demo.cached(8, "paper"), demo.cached(10, "paper")
    assert high.style_loss > low.style_loss


def test_off_grid_weight_shows_the_nearest_and_the_run_button_computes_it(demo):
    before = demo.computations
    demo.layers_buttons.value = "paper"
    demo.weight_slider.value = 10**8.5
    assert "Not computed" in demo.readout.value
    assert demo.last.style_weight in (pytest.approx(1e8), pytest.approx(1e9))
    assert demo.computations == before
    demo.run_button.click()
    assert demo.computations == before + 1
    assert demo.last.style_weight == pytest.approx(10**8.5)
    assert "Not computed" not in demo.readout.value
    assert not demo.run_button.disabled
    demo.weight_slider.value = 1e9
    demo.weight_slider.value = 10**8.5
    assert demo.computations == before + 1  # kept: going back is instant


def test_slider_answers_fast(demo):
    start = time.perf_counter()
    demo.weight_slider.value = 1e8
    demo.layers_buttons.value = "shallow"
    demo.weight_slider.value = 10**9.5  # off the grid: a look-up, never a run
    assert time.perf_counter() - start < 0.5


def test_nothing_computed_says_press_run(backbone, images):
    fresh = StyleGridDemo(
        *images, backbone, layer_sets=LAYER_SETS, exponents=(8, 9), size=32, steps=1
    )
    assert fresh.update() is None
    assert "press" in fresh.readout.value and fresh.last is None and fresh.picture.value == b""
    assert fresh.computations == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(layer_sets={}), "layer_sets is empty"),
        (dict(layer_sets={"bad": ("conv_4",)}), "conv_4"),
        (dict(exponents=()), "exponents is empty"),
        (dict(exponents=(7, 9, 10)), "evenly spaced"),
        (dict(exponents=(9, 8)), "increasing"),
        (dict(steps=0), "steps"),
    ],
)
def test_bad_arguments_are_reported(backbone, images, kwargs, message):
    arguments = dict(layer_sets=LAYER_SETS, exponents=(8, 9), size=32, steps=1) | kwargs
    with pytest.raises(NstlibError, match=message):
        StyleGridDemo(*images, backbone, **arguments)


def test_unknown_layer_set_is_reported(demo):
    with pytest.raises(NstlibError, match="not a layer set"):
        demo.result(9, "deep")
