"""Tests for nstlib.blocks: CycleGAN's residual block ``x + F(x)`` and its plain twin."""

import pytest
import torch

from nstlib.blocks import PlainBlock, ResidualBlock, norm_layer, padded_conv
from nstlib.errors import NstlibError


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def zero_branch_output(block: torch.nn.Module) -> None:
    """Make F(x) = 0 by zeroing the branch's last layer that has parameters."""
    last = [m for m in block.branch if any(True for _ in m.parameters())][-1]
    with torch.no_grad():
        for p in last.parameters():
            p.zero_()


@pytest.mark.parametrize("padding", ["reflect", "replicate", "zero"])
@pytest.mark.parametrize("norm", ["instance", "batch", "none"])
def test_shape_preserved(norm, padding):
    block = ResidualBlock(8, norm=norm, padding=padding)
    x = torch.randn(2, 8, 7, 5)
    assert block(x).shape == x.shape


def test_identity_when_last_conv_is_zero():
    block = ResidualBlock(8, norm="none")
    zero_branch_output(block)  # last conv: weight and bias zero
    x = torch.randn(2, 8, 6, 6)
    assert torch.equal(block(x), x)


def test_identity_when_last_affine_norm_is_zero():
    block = ResidualBlock(8, norm="instance", affine=True)
    zero_branch_output(block)  # last InstanceNorm: scale and shift zero
    x = torch.randn(1, 8, 6, 6)
    assert torch.equal(block(x), x)


def test_no_relu_after_the_sum():
    torch.manual_seed(0)
    block = ResidualBlock(8)
    x = torch.randn(1, 8, 6, 6) - 3.0  # mostly negative input
    y = block(x)
    assert (y < 0).float().mean() > 0.5
    assert torch.allclose(y, x + block.branch(x))


def test_parameter_count_matches_cyclegan():
    # Two 3×3 convs with bias at 256 channels, instance norm without affine parameters.
    assert n_params(ResidualBlock(256)) == 1_180_160
    assert n_params(ResidualBlock(256, affine=True)) == 1_180_160 + 2 * 2 * 256


def test_batch_norm_block_drops_conv_bias():
    convs = [m for m in ResidualBlock(4, norm="batch").modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(c.bias is None for c in convs)


def test_plain_block_has_same_layers_but_no_skip():
    torch.manual_seed(0)
    residual, plain = ResidualBlock(8), PlainBlock(8)
    plain.load_state_dict(residual.state_dict())
    assert n_params(plain) == n_params(residual)
    x = torch.randn(1, 8, 6, 6)
    assert torch.allclose(residual(x) - plain(x), x)


def test_plain_block_with_zero_branch_outputs_zero():
    plain = PlainBlock(8, norm="none")
    zero_branch_output(plain)
    assert torch.count_nonzero(plain(torch.randn(1, 8, 6, 6))) == 0


def test_reflect_padding_uses_reflection_layers():
    layers = padded_conv(4, 4, 3, "reflect", bias=True)
    assert isinstance(layers[0], torch.nn.ReflectionPad2d) and layers[1].padding == (0, 0)
    (conv,) = padded_conv(4, 4, 3, "zero", bias=True)
    assert conv.padding == (1, 1)


def test_bad_names_raise_clear_errors():
    with pytest.raises(NstlibError, match="norm='layer'"):
        ResidualBlock(8, norm="layer")
    with pytest.raises(NstlibError, match="padding='circular'"):
        ResidualBlock(8, padding="circular")
    with pytest.raises(NstlibError, match="'instance', 'batch' or 'none'"):
        norm_layer("group", 8)
