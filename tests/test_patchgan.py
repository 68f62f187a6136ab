"""Tests for nstlib.patchgan: the 70×70 PatchGAN and its receptive-field arithmetic."""

import pytest
import torch

from nstlib.errors import NstlibError
from nstlib.patchgan import (
    Box,
    PatchDiscriminator,
    cell_patch,
    conv_layers,
    empirical_receptive_field,
    min_input_size,
    output_size,
    receptive_field,
)


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_parameter_count_matches_reference():
    assert n_params(PatchDiscriminator(ndf=64, n_layers=3)) == 2_764_737


def test_layers_follow_reference():
    specs = conv_layers(PatchDiscriminator())
    assert specs == [(4, 2, 1), (4, 2, 1), (4, 2, 1), (4, 1, 1), (4, 1, 1)]
    convs = [m for m in PatchDiscriminator().modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 128, 256, 512, 1]
    assert all(c.bias is not None for c in convs)  # use_bias with instance norm


def test_first_conv_has_no_norm_and_no_sigmoid():
    layers = list(PatchDiscriminator().model)
    assert isinstance(layers[0], torch.nn.Conv2d) and isinstance(layers[1], torch.nn.LeakyReLU)
    assert layers[1].negative_slope == 0.2
    assert isinstance(layers[-1], torch.nn.Conv2d)
    assert sum(isinstance(m, torch.nn.InstanceNorm2d) for m in layers) == 3


def test_batch_norm_drops_conv_bias():
    convs = [
        m for m in PatchDiscriminator(norm="batch").modules() if isinstance(m, torch.nn.Conv2d)
    ]
    assert [c.bias is not None for c in convs] == [True, False, False, False, True]


def test_channels_capped_at_8_ndf():
    convs = [
        m for m in PatchDiscriminator(ndf=8, n_layers=5).modules() if isinstance(m, torch.nn.Conv2d)
    ]
    assert [c.out_channels for c in convs] == [8, 16, 32, 64, 64, 64, 1]


@pytest.mark.parametrize(("size", "expected"), [(256, 30), (128, 14)])
def test_output_map_size(size, expected):
    d = PatchDiscriminator(ndf=8)
    with torch.no_grad():
        out = d(torch.randn(1, 3, size, size))
    assert out.shape == (1, 1, expected, expected)
    assert output_size(d, size) == expected


@pytest.mark.parametrize(("n_layers", "rf"), [(1, 16), (2, 34), (3, 70), (4, 142), (5, 286)])
def test_receptive_field_by_depth(n_layers, rf):
    assert receptive_field(PatchDiscriminator(ndf=4, n_layers=n_layers)) == rf


def test_receptive_field_from_list_and_common_mistake():
    assert receptive_field([(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]) == 70
    assert receptive_field([(4, 2)] * 5) == 94


def test_cell_patch_interior_and_edges():
    d = PatchDiscriminator(ndf=4)
    first = cell_patch(d, (0, 0), 256)
    assert (first.top, first.left, first.size) == (-23, -23, 70)
    assert first.clipped == Box(0, 0, 47, 47)
    inner = cell_patch(d, (10, 12), 256)
    assert (inner.top, inner.left) == (8 * 10 - 23, 8 * 12 - 23)
    assert inner.clipped == Box(57, 73, 70, 70)
    last = cell_patch(d, (29, 29), 256)
    assert last.clipped == Box(209, 209, 47, 47)


def test_cell_patch_rejects_cell_outside_map():
    with pytest.raises(NstlibError, match="outside the 30×30"):
        cell_patch(PatchDiscriminator(ndf=4), (30, 0), 256)


def test_empirical_receptive_field_is_70_and_matches_arithmetic():
    d = PatchDiscriminator(ndf=4, norm="none")
    box = empirical_receptive_field(d, 96, (5, 6))
    assert (box.height, box.width) == (70, 70)
    assert box == cell_patch(d, (5, 6), 96).clipped


def test_empirical_receptive_field_at_edge_is_clipped():
    d = PatchDiscriminator(ndf=4, norm="none")
    assert empirical_receptive_field(d, 96, (0, 3)) == cell_patch(d, (0, 3), 96).clipped


def test_instance_norm_makes_every_pixel_matter():
    box = empirical_receptive_field(PatchDiscriminator(ndf=4, norm="instance"), 96, (5, 6))
    assert box == Box(0, 0, 96, 96)


def test_other_channel_counts():
    d = PatchDiscriminator(in_channels=1, ndf=4)
    assert d(torch.randn(2, 1, 64, 64)).shape == (2, 1, 6, 6)
    with pytest.raises(NstlibError, match=r"\[B, 1, H, W\]"):
        d(torch.randn(2, 3, 64, 64))


def test_bad_inputs_raise_clear_errors():
    d = PatchDiscriminator(ndf=4)
    with pytest.raises(NstlibError, match="3 \\(RGB\\) channels"):
        d(torch.randn(1, 1, 64, 64))
    with pytest.raises(NstlibError, match="too small"):
        d(torch.randn(1, 3, 16, 16))
    assert min_input_size(d) == 24
    with pytest.raises(NstlibError, match="norm="):
        PatchDiscriminator(norm="group")
    with pytest.raises(NstlibError, match="n_layers"):
        PatchDiscriminator(n_layers=0)
    with pytest.raises(NstlibError, match="kernel, stride"):
        receptive_field([(4,)])
