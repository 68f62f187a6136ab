"""Headless tests of lesson 06's sliders: set ``slider.value`` and read the demo's last result."""

import pytest
import torch

from nstlib.cin import load_multistyle26
from nstlib.demos.fast_style import StrengthDemo, StyleBlendDemo
from nstlib.errors import NstlibError
from nstlib.images import png_bytes


@pytest.fixture(scope="module")
def net():
    return load_multistyle26()


def _photo(h=64, w=96):
    coarse = torch.rand(1, 3, 4, 6, generator=torch.Generator().manual_seed(0))
    return torch.nn.functional.interpolate(coarse, size=(h, w), mode="bilinear").clamp(0, 1)


def test_png_bytes_is_a_png():
    assert png_bytes(torch.rand(1, 3, 8, 8))[:8] == b"\x89PNG\r\n\x1a\n"


def test_blend_sliders_change_the_weights_and_the_picture(net):
    demo = StyleBlendDemo(net, _photo(), styles=[3, 7, 19])
    first = demo.last["image"]
    assert demo.last["weights"][3].item() == pytest.approx(1.0)
    assert demo.picture.value[:4] == b"\x89PNG"
    demo.sliders[1].value = 1.0  # styles 3 and 7 half and half
    weights = demo.last["weights"]
    assert weights[3].item() == pytest.approx(0.5) and weights[7].item() == pytest.approx(0.5)
    assert (demo.last["image"] - first).abs().mean().item() > 0.01
    assert "0.50·style 3 + 0.50·style 7" in demo.readout.value
    assert demo.last["image"].shape == (1, 3, 64, 96)


def test_blend_all_zero_says_so_instead_of_failing(net):
    demo = StyleBlendDemo(net, _photo(), styles=[0, 1])
    before = demo.last
    demo.sliders[0].value = 0.0
    assert "All weights are 0" in demo.readout.value
    assert demo.last is before


def test_blend_demo_checks_its_arguments(net):
    with pytest.raises(NstlibError, match="2 to 6"):
        StyleBlendDemo(net, _photo(), styles=[0])
    with pytest.raises(NstlibError, match="initial has 3 weights"):
        StyleBlendDemo(net, _photo(), styles=[0, 1], initial=[1, 0, 0])
    with pytest.raises(NstlibError, match="repeats an index"):
        StyleBlendDemo(net, _photo(), styles=[3, 3])


class FakeStylizer:
    """Counts calls; the picture's brightness encodes the style vector's first number."""

    def __init__(self):
        self.calls = self.vector_calls = 0

    def style_vector(self, image):
        self.vector_calls += 1
        return torch.full((100,), image.mean().item())

    def stylize(self, content, vector):
        self.calls += 1
        return torch.full_like(content, vector[0].item())


def test_strength_demo_computes_each_picture_once_then_answers_from_the_cache():
    stylizer = FakeStylizer()
    content = torch.full((1, 3, 8, 8), 0.2)
    styles = {"dark": torch.full((1, 3, 8, 8), 0.0), "light": torch.full((1, 3, 8, 8), 1.0)}
    demo = StrengthDemo(stylizer, content, styles, strength=1.0)
    assert stylizer.vector_calls == 3  # the photo's and every painting's, once, up front
    assert stylizer.calls == 1  # only the picture on show
    demo.slider.value = 0.5
    demo.slider.value = 0.0
    assert stylizer.calls == 3
    assert demo.last["strength"] == 0.0
    assert demo.last["image"].mean().item() == pytest.approx(0.2)  # the photo's own vector
    demo.slider.value = 0.5
    assert stylizer.calls == 3 and demo.last["seconds"] < 0.2  # a cached answer
    demo.dropdown.value = "light"
    demo.slider.value = 1.0
    assert stylizer.calls == 5 and stylizer.vector_calls == 3
    assert demo.last["style"] == "light"
    assert demo.last["image"].mean().item() == pytest.approx(1.0)


def test_strength_demo_checks_its_arguments():
    with pytest.raises(NstlibError, match="styles is empty"):
        StrengthDemo(FakeStylizer(), torch.rand(1, 3, 8, 8), {})
    with pytest.raises(NstlibError, match="between 0 and 1"):
        StrengthDemo(FakeStylizer(), torch.rand(1, 3, 8, 8), {"a": torch.rand(1, 3, 8, 8)}, 1.5)
