"""Tests for nstlib.dcgan: shapes, ranges, the tiny face set and the real-image sampler."""

import pytest
import torch

from nstlib.dcgan import DCGANDiscriminator, DCGANGenerator, image_sampler, tiny_faces
from nstlib.errors import NstlibError


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("size", [8, 16, 32, 64])
def test_shapes_for_each_size(size):
    g = DCGANGenerator(z_dim=8, channels=3, size=size, ngf=4)
    d = DCGANDiscriminator(channels=3, size=size, ndf=4)
    x = g(torch.randn(2, 8))
    assert x.shape == (2, 3, size, size)
    assert d(x).shape == (2, 1)


def test_default_architecture():
    g, d = DCGANGenerator(), DCGANDiscriminator()
    assert n_params(g) == 106_977 and n_params(d) == 42_449
    widths = [m.out_channels for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert widths == [64, 32, 16, 1]
    assert isinstance(g.net[-1], torch.nn.Tanh)
    assert not any(isinstance(m, torch.nn.Sigmoid) for m in d.modules())
    assert not isinstance(d.net[1], torch.nn.BatchNorm2d)  # no batch norm on D's input layer


def test_generator_output_in_tanh_range():
    torch.manual_seed(0)
    g = DCGANGenerator(z_dim=8, size=16, ngf=4)
    with torch.no_grad():
        g.net[-2].weight.mul_(1000)  # drive the last conv far into tanh's saturation
    x = g(torch.randn(16, 8))
    assert x.min() >= -1 and x.max() <= 1 and x.abs().max() > 0.99


def test_dcgan_init():
    g = DCGANGenerator(ngf=8)
    weights = torch.cat(
        [m.weight.flatten() for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    )
    assert weights.std().item() == pytest.approx(0.02, rel=0.1)


def test_tiny_faces():
    faces = tiny_faces(32)
    assert faces.shape == (100, 1, 32, 32) and faces.dtype == torch.float32
    assert faces.min() >= -1 and faces.max() <= 1
    assert faces.min() < -0.9 and faces.max() > 0.9
    assert tiny_faces(16).shape == (100, 1, 16, 16)


def test_image_sampler_repeatable_and_flips():
    images = torch.arange(3 * 4.0).reshape(3, 1, 1, 4)  # three distinct rows of 4 pixels
    draw_a = image_sampler(images, rng=torch.Generator().manual_seed(0))(64)
    draw_b = image_sampler(images, rng=torch.Generator().manual_seed(0))(64)
    assert draw_a.shape == (64, 1, 1, 4) and torch.equal(draw_a, draw_b)
    rows = {tuple(r.flatten().tolist()) for r in draw_a}
    originals = {tuple(r.flatten().tolist()) for r in images}
    mirrored = {tuple(r.flip(-1).flatten().tolist()) for r in images}
    assert rows <= originals | mirrored and rows & originals and rows & mirrored
    plain = image_sampler(images, hflip=False, rng=torch.Generator().manual_seed(0))(64)
    assert {tuple(r.flatten().tolist()) for r in plain} <= originals


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(NstlibError, match="size=24"):
        DCGANGenerator(size=24)
    with pytest.raises(NstlibError, match="size=4"):
        DCGANDiscriminator(size=4)
    with pytest.raises(NstlibError, match=r"\[B, 64\]"):
        DCGANGenerator()(torch.randn(2, 64, 1, 1))
    with pytest.raises(NstlibError, match=r"\[B, 1, 32, 32\]"):
        DCGANDiscriminator()(torch.randn(2, 1, 28, 28))
    with pytest.raises(NstlibError, match="size="):
        tiny_faces(25)
    with pytest.raises(NstlibError, match=r"\[N, C, H, W\]"):
        image_sampler(torch.zeros(4, 4))
