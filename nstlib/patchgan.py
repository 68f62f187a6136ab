"""The 70×70 PatchGAN discriminator and the arithmetic of its receptive field.

A PatchGAN is fully convolutional: instead of one real/fake score per image it outputs a grid of
logits, each judging one overlapping patch of the input (70×70 pixels for the standard 3-layer
net; a 256² image gives a 30×30 grid). The loss averages over the grid, so D only models local
texture and style, which is what image-to-image translation must get right.

Where "70" comes from: walk back from one output cell with ``RF_in = (RF_out − 1)·stride + k``
through the 4×4 convs with strides 2, 2, 2, 1, 1: 1 → 4 → 7 → 16 → 34 → 70.

Reference: Isola et al. 2017 (pix2pix), Zhu et al. 2017 (CycleGAN);
``NLayerDiscriminator`` in junyanz/pytorch-CycleGAN-and-pix2pix ``models/networks.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from nstlib.blocks import Norm, norm_layer
from nstlib.errors import NstlibError
from nstlib.images import check_image

KERNEL = 4
PADDING = 1

# A chain of convs, either a model or a list of (kernel, stride) or (kernel, stride, padding).
Layers = nn.Module | Sequence[tuple[int, ...]]


class PatchDiscriminator(nn.Module):
    """pix2pix/CycleGAN's ``NLayerDiscriminator``: ``[B, C, H, W] → [B, 1, H', W']`` logits.

    Layers (all 4×4 convs with padding 1, LeakyReLU(0.2) between them, no sigmoid at the end):
    ``n_layers`` stride-2 convs with ``ndf, 2·ndf, 4·ndf, …`` channels (capped at ``8·ndf``, no
    norm on the first), one stride-1 conv, then a stride-1 conv to 1 channel. With the defaults
    (``n_layers=3``, ``ndf=64``): channels 64, 128, 256, 512, 1; 2,764,737 parameters; receptive
    field 70; a 256² input gives a 30×30 map and 128² gives 14×14.

    Args:
        in_channels: image channels (3 for RGB).
        ndf: channels of the first conv.
        n_layers: number of stride-2 convs (1…5 give receptive fields 16, 34, 70, 142, 286).
        norm: ``"instance"`` (CycleGAN), ``"batch"`` (pix2pix) or ``"none"``. Use ``"none"`` to
            measure the receptive field empirically: instance norm mixes statistics over the
            whole image (see :func:`empirical_receptive_field`).

    Conv biases are on except before batch norm, whose shift makes them redundant (the
    reference's ``use_bias``).
    """

    def __init__(
        self, in_channels: int = 3, ndf: int = 64, n_layers: int = 3, norm: Norm = "instance"
    ) -> None:
        super().__init__()
        if n_layers < 1 or in_channels < 1 or ndf < 1:
            raise NstlibError(
                "in_channels, ndf and n_layers must be positive; got "
                f"in_channels={in_channels}, ndf={ndf}, n_layers={n_layers}."
            )
        self.in_channels = in_channels
        bias = norm != "batch"
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, ndf, KERNEL, 2, PADDING),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        width = ndf
        for n in range(1, n_layers + 1):
            stride = 2 if n < n_layers else 1  # the last feature conv keeps the resolution
            out = ndf * min(2**n, 8)
            layers += [
                nn.Conv2d(width, out, KERNEL, stride, PADDING, bias=bias),
                norm_layer(norm, out),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            width = out
        layers.append(nn.Conv2d(width, 1, KERNEL, 1, PADDING))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.in_channels == 3:
            check_image(x, "input")
        elif x.dim() != 4 or x.shape[1] != self.in_channels:
            raise NstlibError(
                f"input must have shape [B, {self.in_channels}, H, W] for this discriminator "
                f"(in_channels={self.in_channels}); got {list(x.shape)}."
            )
        h, w = x.shape[-2:]
        if min(output_size(self, h), output_size(self, w)) < 1:
            raise NstlibError(
                f"input is {h}×{w}, too small for this PatchGAN; use at least "
                f"{min_input_size(self)}×{min_input_size(self)} pixels."
            )
        return self.model(x)


@dataclass(frozen=True)
class Box:
    """A rectangle of pixels: rows ``top … top+height−1``, columns ``left … left+width−1``."""

    top: int
    left: int
    height: int
    width: int


@dataclass(frozen=True)
class CellPatch:
    """The input patch one output cell sees.

    ``top``/``left`` may be negative and ``top + size`` may exceed the image: padding makes edge
    patches hang over the border. ``clipped`` is the part inside the image.
    """

    top: int
    left: int
    size: int
    clipped: Box


def conv_layers(layers: Layers) -> list[tuple[int, int, int]]:
    """``(kernel, stride, padding)`` of each conv, in order, read from a model or a list.

    A model is walked with ``modules()`` (definition order, assumed to be a plain chain) and each
    ``Conv2d``'s square kernel, stride and padding are read. A list holds ``(kernel, stride)`` or
    ``(kernel, stride, padding)`` tuples; padding defaults to 0.
    """
    if isinstance(layers, nn.Module):
        convs = [m for m in layers.modules() if isinstance(m, nn.Conv2d)]
        if not convs:
            raise NstlibError(f"{type(layers).__name__} has no Conv2d layers to walk.")
        for conv in convs:
            square = conv.kernel_size[0] == conv.kernel_size[1] and conv.stride[0] == conv.stride[1]
            if not square or isinstance(conv.padding, str) or conv.dilation != (1, 1):
                raise NstlibError(
                    "Only square kernels and strides, numeric padding and no dilation are "
                    f"supported; got {conv}."
                )
        return [(c.kernel_size[0], c.stride[0], c.padding[0]) for c in convs]
    specs = [tuple(layer) for layer in layers]
    if not specs or any(len(s) not in (2, 3) or min(s) < 0 or min(s[:2]) < 1 for s in specs):
        raise NstlibError(
            "layers must be a model or a non-empty list of (kernel, stride) or "
            f"(kernel, stride, padding) with positive kernel and stride; got {list(layers)}."
        )
    return [(s[0], s[1], s[2] if len(s) == 3 else 0) for s in specs]


def receptive_field(layers: Layers) -> int:
    """Side of the input square one output cell sees: ``RF_in = (RF_out − 1)·stride + k`` backwards.

    >>> receptive_field([(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)])
    70
    >>> receptive_field([(4, 2)] * 5)  # the common mistake: every stride 2
    94
    """
    rf = 1
    for kernel, stride, _ in reversed(conv_layers(layers)):
        rf = (rf - 1) * stride + kernel
    return rf


def output_size(layers: Layers, size: int) -> int:
    """Side of the output map for a ``size``-pixel input side: ``⌊(n + 2p − k) / s⌋ + 1`` per conv.

    Returns 0 or less when the input is too small for the network.
    """
    for kernel, stride, padding in conv_layers(layers):
        size = (size + 2 * padding - kernel) // stride + 1
        if size < 1:
            return 0
    return size


def min_input_size(layers: Layers) -> int:
    """The smallest input side that still gives a 1×1 output map."""
    size = 1
    while output_size(layers, size) < 1:
        size += 1
    return size


def cell_patch(layers: Layers, cell: tuple[int, int], image_size: int) -> CellPatch:
    """The input patch seen by output cell ``(row, col)`` of a square ``image_size`` input.

    The patch is ``receptive_field`` pixels wide; consecutive cells are ``jump`` pixels apart
    (the product of all strides) and cell 0 starts at ``−Σ padding_l · jump_before_l``, since each
    layer's padding shifts its window back by ``padding`` of its own input pixels. For the
    PatchGAN: jump 8, cell ``i`` starts at ``8·i − 23``.
    """
    specs = conv_layers(layers)
    n_out = output_size(specs, image_size)
    row, col = cell
    if not (0 <= row < n_out and 0 <= col < n_out):
        raise NstlibError(
            f"cell={cell} is outside the {n_out}×{n_out} output map of a {image_size}² input."
        )
    jump, offset = 1, 0
    for _, stride, padding in specs:
        offset -= padding * jump
        jump *= stride
    size = receptive_field(specs)
    top, left = row * jump + offset, col * jump + offset

    def clip(start: int) -> tuple[int, int]:
        lo, hi = max(start, 0), min(start + size, image_size)
        return lo, hi - lo

    (ctop, cheight), (cleft, cwidth) = clip(top), clip(left)
    return CellPatch(top, left, size, Box(ctop, cleft, cheight, cwidth))


def empirical_receptive_field(model: nn.Module, image_size: int, cell: tuple[int, int]) -> Box:
    """Backprop from one output cell to the input; return the box of non-zero gradient.

    This measures what :func:`cell_patch` computes. Build the model with ``norm="none"``:
    instance norm subtracts a mean taken over *all* positions, so every output cell depends a
    little on every pixel and the box becomes the whole image. (The receptive field of the convs
    is still 70; normalisation adds a global, statistical dependence on top.)

    Args:
        model: a PatchGAN-like model mapping ``[1, C, S, S]`` to ``[1, 1, S', S']``.
        image_size: ``S``, the side of the random input image.
        cell: ``(row, col)`` of the output cell.
    """
    in_channels = getattr(model, "in_channels", 3)
    x = torch.randn(
        1, in_channels, image_size, image_size, generator=torch.Generator().manual_seed(0)
    )
    x = x.to(next(model.parameters()).device).requires_grad_(True)
    out = model(x)
    row, col = cell
    if not (0 <= row < out.shape[-2] and 0 <= col < out.shape[-1]):
        raise NstlibError(f"cell={cell} is outside the {out.shape[-2]}×{out.shape[-1]} output map.")
    (grad,) = torch.autograd.grad(out[0, 0, row, col], x)
    rows, cols = torch.nonzero(grad[0].abs().sum(0), as_tuple=True)
    top, left = int(rows.min()), int(cols.min())
    return Box(top, left, int(rows.max()) - top + 1, int(cols.max()) - left + 1)
