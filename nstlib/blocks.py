"""The residual block: ``y = x + F(x)``, exactly as CycleGAN's generator uses it.

``F`` (the *branch*) is ``pad → conv3×3 → norm → ReLU → pad → conv3×3 → norm``. Because the block
only adds a correction to its input, an untrained block (or one whose branch is zero) passes the
image through unchanged: this is what "keeps the output close to the input" means, and why
gradients reach early layers of a deep stack.

Reference: He et al. 2016 (residual learning); Zhu et al. 2017 (CycleGAN ``ResnetBlock``,
junyanz/pytorch-CycleGAN-and-pix2pix ``networks.py``). Note there is **no ReLU after the sum**.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from nstlib.errors import NstlibError

Norm = Literal["instance", "batch", "none"]
Padding = Literal["reflect", "replicate", "zero"]


def norm_layer(norm: Norm, channels: int, *, affine: bool = False) -> nn.Module:
    """A normalisation layer by name.

    ``"instance"`` normalises each image on its own (``InstanceNorm2d``, no running stats), which
    is why it suits CycleGAN's batch size of 1. ``affine`` adds a learned scale and shift per
    channel; the reference uses ``affine=False``, some released weights (vintagify) use ``True``.
    ``"batch"`` is ``BatchNorm2d`` (always affine); ``"none"`` is the identity.
    """
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=affine, track_running_stats=False)
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "none":
        return nn.Identity()
    raise NstlibError(f"norm={norm!r} is not supported; use 'instance', 'batch' or 'none'.")


def padded_conv(channels_in: int, channels_out: int, kernel: int, padding: Padding, *, bias: bool):
    """A stride-1 ``kernel×kernel`` conv that keeps H and W, with the padding done by ``padding``.

    Returns a list of layers (``[pad, conv]`` or ``[conv]``) to splice into an ``nn.Sequential``.
    Reflection padding mirrors the image at its border, so the conv never sees an artificial black
    frame (zero padding's source of border artefacts).
    """
    p = kernel // 2
    if padding == "reflect":
        return [nn.ReflectionPad2d(p), nn.Conv2d(channels_in, channels_out, kernel, bias=bias)]
    if padding == "replicate":
        return [nn.ReplicationPad2d(p), nn.Conv2d(channels_in, channels_out, kernel, bias=bias)]
    if padding == "zero":
        return [nn.Conv2d(channels_in, channels_out, kernel, padding=p, bias=bias)]
    raise NstlibError(
        f"padding={padding!r} is not supported; use 'reflect', 'replicate' or 'zero'."
    )


class ResidualBlock(nn.Module):
    """CycleGAN's residual block: ``forward(x) = x + branch(x)``.

    Args:
        channels: C, the number of input and output channels (256 in CycleGAN).
        norm: ``"instance"`` (reference), ``"batch"`` or ``"none"``.
        padding: ``"reflect"`` (reference), ``"replicate"`` or ``"zero"``.
        affine: learned scale/shift in instance norm (``False`` in the reference).

    Shape: ``[B, C, H, W] → [B, C, H, W]``, any H and W of at least 2 pixels.
    """

    def __init__(
        self,
        channels: int,
        norm: Norm = "instance",
        padding: Padding = "reflect",
        affine: bool = False,
    ) -> None:
        super().__init__()
        # A conv bias is redundant before batch norm (it subtracts the mean) but the reference
        # keeps it with instance norm, and we match the reference's parameter count.
        bias = norm != "batch"
        self.branch = nn.Sequential(
            *padded_conv(channels, channels, 3, padding, bias=bias),
            norm_layer(norm, channels, affine=affine),
            nn.ReLU(inplace=True),
            *padded_conv(channels, channels, 3, padding, bias=bias),
            norm_layer(norm, channels, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.branch(x)  # no ReLU after the sum: the block can output negative values


class PlainBlock(ResidualBlock):
    """The same layers without the skip connection: ``forward(x) = branch(x)``.

    Used only to compare against :class:`ResidualBlock` at equal depth and parameter count.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.branch(x)
