"""CycleGAN's ResNet generator and the two losses that make unpaired translation work.

The generator is an encoder–transformer–decoder: a 7×7 *stem*, two stride-2 *down*samplings, a
stack of residual *blocks* working at 1/4 resolution with 4·ngf channels, two ×2 *up*samplings and
a 7×7 *head* with ``tanh``. It maps ``[B, 3, H, W]`` in ``[-1, 1]`` to the same shape and range;
H and W must be divisible by 4 so that the upsamplings restore the input size exactly.

Unpaired translation trains two generators, ``G_AB: A → B`` and ``G_BA: B → A``, with

* an **adversarial** loss: each generator's fakes must fool the discriminator of its target domain
  (least-squares by default, from :mod:`nstlib.gan_losses`; the trainer applies it);
* a **cycle** loss ``λ·|G_BA(G_AB(a)) − a|₁`` (and the same from B): translating there and back must
  give the input back, which stops a generator from mapping every input to one plausible output;
* an **identity** loss ``λ·λ_idt·|G_AB(b) − b|₁``: a generator fed an image that is *already* in its
  target domain should leave it alone, which keeps colours from drifting (reference issue #249).

Reference: Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
Networks"; junyanz/pytorch-CycleGAN-and-pix2pix ``models/networks.py`` (``ResnetGenerator``,
``init_weights``) and ``models/cycle_gan_model.py`` (loss weights).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from nstlib.blocks import Norm, Padding, ResidualBlock, norm_layer, padded_conv
from nstlib.errors import NstlibError
from nstlib.images import check_image, check_same_shape

Upsample = Literal["transpose", "resize"]


class ResnetGenerator(nn.Module):
    """CycleGAN's generator: stem → 2 downsamplings → residual blocks → 2 upsamplings → head.

    Args:
        in_channels, out_channels: image channels (3 for RGB).
        ngf: channels after the stem; the blocks work at ``4·ngf`` (256 for the reference's 64).
        n_blocks: residual blocks; the reference uses 9 at 256 px and 6 at 128 px.
        norm: ``"instance"`` (reference), ``"batch"`` or ``"none"``.
        affine: learned scale/shift in instance norm (``False`` in the reference; vintagify's
            released weights use ``True``).
        padding: how the stride-1 convs pad: ``"reflect"`` (reference), ``"replicate"``, ``"zero"``.
        upsample: ``"transpose"`` (reference: ``ConvTranspose2d(k3, s2, p1, output_padding=1)``) or
            ``"resize"``: nearest-neighbour ×2 then a 3×3 conv. A transposed conv with kernel 3 and
            stride 2 covers output pixels unevenly (some get 1 kernel tap, some 2 or 4), which shows
            as checkerboard artefacts (reference issues #190, #64; Odena et al. 2016,
            "Deconvolution and Checkerboard Artifacts"). Resize-then-conv covers every pixel evenly
            and has exactly the same number of parameters.

    Shape: ``[B, in_channels, H, W] → [B, out_channels, H, W]``, H and W divisible by 4 and at
    least 8; output in ``[-1, 1]``. With the defaults it has 11,378,179 parameters (7,837,699 with
    6 blocks).
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,
        n_blocks: int = 9,
        norm: Norm = "instance",
        affine: bool = False,
        padding: Padding = "reflect",
        upsample: Upsample = "transpose",
    ) -> None:
        super().__init__()
        if n_blocks < 0 or ngf < 1:
            raise NstlibError(f"need ngf ≥ 1 and n_blocks ≥ 0; got ngf={ngf}, n_blocks={n_blocks}.")
        if upsample not in ("transpose", "resize"):
            raise NstlibError(
                f"upsample={upsample!r} is not supported; use 'transpose' or 'resize'."
            )
        self.in_channels = in_channels
        # Instance norm removes a per-channel mean but, unlike batch norm, the reference keeps the
        # conv bias with it, and we match the reference's parameter count.
        bias = norm != "batch"

        def norm_relu(channels: int) -> list[nn.Module]:
            return [norm_layer(norm, channels, affine=affine), nn.ReLU(inplace=True)]

        def down(c_in: int, c_out: int) -> nn.Sequential:
            conv = nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=bias)
            return nn.Sequential(conv, *norm_relu(c_out))

        def up(c_in: int, c_out: int) -> nn.Sequential:
            if upsample == "transpose":
                conv = [
                    nn.ConvTranspose2d(c_in, c_out, 3, 2, padding=1, output_padding=1, bias=bias)
                ]
            else:
                conv = [nn.Upsample(scale_factor=2, mode="nearest")]
                conv += padded_conv(c_in, c_out, 3, padding, bias=bias)
            return nn.Sequential(*conv, *norm_relu(c_out))

        self.stem = nn.Sequential(
            *padded_conv(in_channels, ngf, 7, padding, bias=bias), *norm_relu(ngf)
        )
        self.down = nn.Sequential(down(ngf, 2 * ngf), down(2 * ngf, 4 * ngf))
        self.blocks = nn.Sequential(
            *(ResidualBlock(4 * ngf, norm, padding, affine=affine) for _ in range(n_blocks))
        )
        self.up = nn.Sequential(up(4 * ngf, 2 * ngf), up(2 * ngf, ngf))
        self.head = nn.Sequential(*padded_conv(ngf, out_channels, 7, padding, bias=True), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        return self.head(self.up(self.blocks(self.down(self.stem(x)))))

    def _check_input(self, x: torch.Tensor) -> None:
        if self.in_channels == 3:
            check_image(x, "generator input", multiple_of=4)  # the shared RGB check, with its hints
        elif x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[-2] % 4 or x.shape[-1] % 4:
            raise NstlibError(
                f"generator input must be [B, {self.in_channels}, H, W] with H and W divisible "
                f"by 4; got {list(x.shape)}."
            )
        if min(x.shape[-2:]) < 8:
            # After two downsamplings the blocks' reflection padding needs at least 2×2 pixels.
            raise NstlibError(f"generator input must be at least 8×8 pixels; got {list(x.shape)}.")


def init_weights(module: nn.Module, std: float = 0.02) -> nn.Module:
    """The reference's ``'normal'`` initialisation, applied in place; returns ``module``.

    Conv and transposed-conv weights are drawn from N(0, std²) and their biases set to 0. Batch
    norm gets scale ~ N(1, std²) and shift 0, so it starts close to "normalise only"; nstlib does
    the same for affine instance norm, which the reference (non-affine IN by default) never meets.
    Layers without parameters are left alone.
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
    return module


def cycle_loss(
    real: torch.Tensor, reconstructed: torch.Tensor, weight: float = 10.0
) -> torch.Tensor:
    """``weight · mean|reconstructed − real|``: the cycle-consistency loss of one direction.

    For the A side, ``real = a`` and ``reconstructed = G_BA(G_AB(a))``; the reference's
    ``λ_A = λ_B = 10``. Tensors ``[B, C, H, W]`` in ``[-1, 1]``; returns a scalar.
    """
    check_same_shape(real, reconstructed, ("cycle_loss: real", "reconstructed"))
    return weight * F.l1_loss(reconstructed, real)


def identity_loss(real: torch.Tensor, same: torch.Tensor, weight: float = 5.0) -> torch.Tensor:
    """``weight · mean|same − real|``: the identity loss of one generator.

    The pairing is easy to get backwards: a generator is fed an image of its **target** domain,
    so for ``G_AB`` it is ``real = b`` and ``same = G_AB(b)``. The default weight 5 is the
    reference's ``λ_identity · λ_B = 0.5 · 10``. Tensors ``[B, C, H, W]``; returns a scalar.
    """
    check_same_shape(real, same, ("identity_loss: real", "same"))
    return weight * F.l1_loss(same, real)
