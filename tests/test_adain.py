"""Tests for nstlib.adain: AdaIN, the mean/std style loss and the pixel optimisation."""

import pytest
import torch

from nstlib.adain import AdaINLoss, adain, adain_stylize, channel_mean_std, mean_std_loss
from nstlib.backbones import load_backbone
from nstlib.errors import NstlibError
from nstlib.style import gram_matrix


@pytest.fixture(scope="module")
def backbone():
    return load_backbone("random-vgg16_bn", "cpu")


def _features(seed, shape):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64) * 2 + 0.5


def test_channel_mean_std_is_per_image_and_channel():
    x = _features(0, (2, 3, 5, 4))
    mean, std = channel_mean_std(x, eps=0.0)
    assert mean.shape == std.shape == (2, 3, 1, 1)
    torch.testing.assert_close(mean[1, 2, 0, 0], x[1, 2].mean())
    torch.testing.assert_close(std[1, 2, 0, 0], x[1, 2].std(unbiased=False))


def test_adain_output_has_the_style_statistics_and_the_content_layout():
    content, style = _features(1, (2, 4, 6, 5)), _features(2, (1, 4, 3, 8)) * 3 - 1
    out = adain(content, style)
    assert out.shape == content.shape
    out_mean, out_std = channel_mean_std(out, eps=0.0)
    style_mean, style_std = channel_mean_std(style, eps=0.0)
    torch.testing.assert_close(out_mean, style_mean.expand_as(out_mean))
    torch.testing.assert_close(out_std, style_std.expand_as(out_std), rtol=1e-5, atol=1e-5)
    # the layout is the content's: AdaIN is an affine map per channel, so correlation is 1
    corr = torch.corrcoef(torch.stack([out[0, 1].flatten(), content[0, 1].flatten()]))[0, 1]
    assert corr.item() == pytest.approx(1.0)
    torch.testing.assert_close(adain(content, content), content, rtol=1e-4, atol=1e-4)


def test_gram_diagonal_is_variance_plus_squared_mean():
    x = _features(3, (1, 5, 7, 6))
    diagonal = torch.diagonal(gram_matrix(x, normalise="hw"), dim1=1, dim2=2)
    mean, std = channel_mean_std(x, eps=0.0)
    torch.testing.assert_close(diagonal, (std**2 + mean**2).reshape(1, 5))


def test_mean_std_loss_is_zero_on_its_own_statistics():
    features = {"a": _features(4, (1, 3, 4, 4)), "b": _features(5, (1, 6, 2, 2))}
    own = {name: channel_mean_std(f) for name, f in features.items()}
    assert mean_std_loss(features, own).item() == pytest.approx(0.0, abs=1e-12)
    other = {name: channel_mean_std(f * 2) for name, f in features.items()}
    assert mean_std_loss(features, other).item() > 0.1
    with pytest.raises(NstlibError, match="missing"):
        mean_std_loss({"a": features["a"]}, own)


def test_adain_rejects_mismatched_channels():
    with pytest.raises(NstlibError, match="same C"):
        adain(torch.rand(1, 3, 4, 4), torch.rand(1, 4, 4, 4))
    with pytest.raises(NstlibError, match=r"\[B, C, H, W\]"):
        channel_mean_std(torch.rand(3, 4, 4))


def test_adain_stylize_lowers_its_loss_with_random_weights(backbone):
    g = torch.Generator().manual_seed(6)
    content, style = torch.rand(1, 3, 28, 32, generator=g), torch.rand(1, 3, 32, 32, generator=g)
    result = adain_stylize(
        content, style, size=32, steps=3, backbone=backbone, device="cpu", progress=False
    )
    assert result.image.shape == (1, 3, 28, 32)
    assert 0.0 <= result.image.min().item() and result.image.max().item() <= 1.0
    assert len(result.history["total"]) == 3 + 1  # one per step, then the returned image
    assert result.history["total"][-1] < result.history["total"][0]


def test_adain_loss_terms_are_named_like_gatys(backbone):
    extractor = backbone.extractor(("relu1_1", "relu2_1"))
    photo, painting = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    loss = AdaINLoss(
        extractor,
        photo,
        painting,
        content_layer="relu2_1",
        style_layers=("relu1_1",),
        weights={"content": 1.0, "style": 10.0, "tv": 0.0},
    )
    terms = loss(photo)
    assert set(terms.as_floats()) == {"content", "style", "tv", "total"}
    torch.testing.assert_close(terms.total, terms.content + terms.style + terms.tv)
