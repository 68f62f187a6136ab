"""The lesson 02 checkers name each typical mistake and accept equivalent right answers.

That every checker passes the reference and fails the stub is tested in test_exercises.py.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nstlib.blocks import ResidualBlock
from nstlib.exercises.blocks import check_cyclegan_branch, check_residual_forward


def in_place_forward(block: ResidualBlock, x: torch.Tensor) -> torch.Tensor:
    x += block.branch(x)
    return x


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda block, x: torch.relu(x + block.branch(x)), "no ReLU after the sum"),
        (lambda block, x: block.branch(x), "returned F(x) only"),
        (lambda block, x: x, "returned x only"),
        (lambda block, x: 2 * x + block.branch(x), "added x twice"),
        (lambda block, x: x - block.branch(x), "subtracted"),
        (lambda block, x: x + torch.relu(block.branch(x)), "no ReLU on the branch"),
        (lambda block, x: block(x), "called block(x)"),
        (lambda block, x: x[:, :2], "shape"),
        (in_place_forward, "in place"),
    ],
)
def test_residual_forward_names_the_mistake(wrong, hint):
    result = check_residual_forward(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def branch(channels: int, *, pad="reflect", norm=nn.InstanceNorm2d, end_relu=False, bias=True):
    def conv():
        if pad == "zero":
            return [nn.Conv2d(channels, channels, 3, padding=1, bias=bias)]
        if pad == "none":
            return [nn.Conv2d(channels, channels, 3, bias=bias)]
        padding = nn.ReflectionPad2d(1) if pad == "reflect" else nn.ReplicationPad2d(1)
        return [padding, nn.Conv2d(channels, channels, 3, bias=bias)]

    layers = [*conv(), norm(channels), nn.ReLU(), *conv(), norm(channels)]
    return nn.Sequential(*layers, *([nn.ReLU()] if end_relu else []))


def test_cyclegan_branch_passes_on_padding_mode_reflect_instead_of_a_pad_layer():
    conv = lambda c: nn.Conv2d(c, c, 3, padding=1, padding_mode="reflect")  # noqa: E731
    equivalent = lambda c: nn.Sequential(  # noqa: E731
        conv(c), nn.InstanceNorm2d(c), nn.ReLU(), conv(c), nn.InstanceNorm2d(c)
    )
    result = check_cyclegan_branch(equivalent)
    assert result.passed, str(result)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda c: branch(c, pad="zero"), "zero padding"),
        (lambda c: branch(c, pad="replicate"), "replication padding"),
        (lambda c: branch(c, pad="none"), "pad each 3×3 conv"),
        (lambda c: branch(c, end_relu=True), "ends with instance norm, not a ReLU"),
        (lambda c: branch(c, norm=nn.BatchNorm2d), "batch size 1"),
        (lambda c: branch(c, norm=lambda n: nn.InstanceNorm2d(n, affine=True)), "affine=False"),
        (lambda c: branch(c, bias=False), "keep the conv bias"),
        (lambda c: branch(c, norm=lambda n: nn.Identity()), "add nn.InstanceNorm2d"),
        (lambda c: nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3)), "two 3×3 convs"),
        (lambda c: "not a module", "nn.Module"),
    ],
)
def test_cyclegan_branch_names_the_mistake(wrong, hint):
    result = check_cyclegan_branch(wrong)
    assert not result.passed
    assert hint in str(result), str(result)
