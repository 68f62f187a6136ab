"""Adaptive instance normalisation (AdaIN): style as per-channel means and standard deviations.

Huang & Belongie (2017, "Arbitrary Style Transfer in Real-time with Adaptive Instance
Normalization") replace the Gram matrix by a much smaller statistic: the mean ``μ`` and standard
deviation ``σ`` of every channel of a VGG layer. AdaIN gives content features ``x`` the style
features' statistics::

    AdaIN(x, y) = σ(y) · (x − μ(x)) / σ(x) + μ(y)

It is conditional instance norm (:mod:`nstlib.cin`) with ``γ = σ(y)`` and ``β = μ(y)`` read from
the style image instead of learned per style. The two statistics are close relatives: with the
Gram matrix divided by the number of positions ``M = H·W``, its diagonal is each channel's mean
square, ``G[n, n] / M = σ_n² + μ_n²``; the off-diagonal entries (correlations between channels)
are what means and deviations leave out.

Huang & Belongie train a decoder that turns ``AdaIN(f(content), f(style))`` back into an image.
No such decoder ships offline, so :func:`adain_stylize` does the honest substitute: it optimises
the *pixels* (as Gatys does) so that the image's relu4_1 features match the AdaIN target and its
feature means and deviations match the style's, which is the decoder's training loss (in the
squared form of the common PyTorch port; nstlib adds a small total-variation term against pixel
noise, which a decoder does not need).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import torch
from tqdm.auto import tqdm

from nstlib.backbones import Backbone, FeatureExtractor, as_backbone
from nstlib.errors import NstlibError
from nstlib.images import check_image, resize_longer_side
from nstlib.pixel_optim import optimize_pixels
from nstlib.runtime import resolve_device
from nstlib.style import LossTerms, loss_history, total_variation_loss
from nstlib.stylize import StylizeResult

# Huang & Belongie use VGG-19's relu1_1 … relu4_1 for the style and relu4_1 for the content.
ADAIN_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
ADAIN_CONTENT_LAYER = "relu4_1"
EPS = 1e-5


def channel_mean_std(features: torch.Tensor, eps: float = EPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image, per-channel mean and standard deviation of ``[B, C, H, W]`` features.

    Returns two ``[B, C, 1, 1]`` tensors: ``μ`` and ``σ = sqrt(var + eps)`` (biased variance over
    the H·W positions; ``eps`` keeps ``σ`` away from 0 for a constant channel).
    """
    if not isinstance(features, torch.Tensor) or features.dim() != 4:
        shape = list(features.shape) if isinstance(features, torch.Tensor) else type(features)
        raise NstlibError(f"features must have shape [B, C, H, W]; got {shape}.")
    var, mean = torch.var_mean(features, dim=(2, 3), keepdim=True, unbiased=False)
    return mean, torch.sqrt(var + eps)


def adain(content: torch.Tensor, style: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """``σ(style) · (content − μ(content)) / σ(content) + μ(style)``, channel by channel.

    Args:
        content: ``[B, C, H, W]`` features (or an RGB image: then AdaIN is a colour transfer).
        style: ``[B or 1, C, H', W']`` features of the style; its size may differ from content's.

    Returns ``[B, C, H, W]``: the content's layout with the style's per-channel mean and std.
    """
    if content.dim() != 4 or style.dim() != 4 or content.shape[1] != style.shape[1]:
        raise NstlibError(
            f"content and style must be [B, C, H, W] with the same C; got {list(content.shape)} "
            f"and {list(style.shape)}."
        )
    content_mean, content_std = channel_mean_std(content, eps)
    style_mean, style_std = channel_mean_std(style, eps)
    return style_std * (content - content_mean) / content_std + style_mean


def mean_std_loss(
    features: Mapping[str, torch.Tensor],
    targets: Mapping[str, tuple[torch.Tensor, torch.Tensor]],
) -> torch.Tensor:
    """Huang & Belongie's style loss: ``Σ_l mean((μ_l − μ_l^s)²) + mean((σ_l − σ_l^s)²)``.

    Args:
        features: ``{layer: [B, C, H, W]}`` of the image being judged.
        targets: ``{layer: (μ, σ)}`` of the style image, from :func:`channel_mean_std`.

    (The paper writes plain L2 norms; squared errors are what the widely used PyTorch port,
    naoto0804/pytorch-AdaIN, computes. The mean over channels keeps layers of 64 and 512 channels
    on a comparable scale, as nstlib's Gram loss does.)
    """
    missing = set(targets) - set(features)
    if not targets or missing:
        raise NstlibError(
            f"mean_std_loss needs features for every target layer; missing {sorted(missing)}."
        )
    total = 0.0
    for name, (target_mean, target_std) in targets.items():
        mean, std = channel_mean_std(features[name])
        total = total + ((mean - target_mean) ** 2).mean() + ((std - target_std) ** 2).mean()
    return total  # type: ignore[return-value]


class AdaINLoss:
    """The loss Huang & Belongie train their decoder with, as a function of an image.

    The paper writes plain L2 norms; like the widely used PyTorch port (naoto0804/pytorch-AdaIN)
    nstlib uses mean squared errors. The total-variation term is nstlib's addition, against the
    pixel noise that optimising pixels directly produces.

    ``content``: ``mean((f(x) − t)²)`` at relu4_1 with ``t = AdaIN(f(photo), f(painting))``;
    ``style``: :func:`mean_std_loss` over relu1_1 … relu4_1 against the painting; ``tv``: total
    variation. Calling it on ``[1, 3, H, W]`` in ``[0, 1]`` returns the weighted terms as
    :class:`nstlib.style.LossTerms` (the interface of :class:`nstlib.stylize.GatysLoss`).
    """

    def __init__(
        self,
        extractor: FeatureExtractor,
        photo: torch.Tensor,
        painting: torch.Tensor,
        *,
        content_layer: str,
        style_layers: Sequence[str],
        weights: Mapping[str, float],
    ) -> None:
        self.extractor, self.weights = extractor, dict(weights)
        self.content_layer = content_layer
        with torch.no_grad():
            photo_features = extractor(photo)
            painting_features = extractor(painting)
        self.target = adain(photo_features[content_layer], painting_features[content_layer])
        self.style_targets = {
            name: channel_mean_std(painting_features[name]) for name in style_layers
        }

    def __call__(self, image: torch.Tensor) -> LossTerms:
        features = self.extractor(image)
        return LossTerms(
            content=self.weights["content"]
            * ((features[self.content_layer] - self.target) ** 2).mean(),
            style=self.weights["style"] * mean_std_loss(features, self.style_targets),
            tv=self.weights["tv"] * total_variation_loss(image),
        )


def adain_stylize(
    content: torch.Tensor,
    style: torch.Tensor,
    *,
    size: int = 256,
    steps: int = 100,
    style_weight: float = 10.0,
    content_weight: float = 1.0,
    tv_weight: float = 1.0,
    style_layers: Sequence[str] = ADAIN_STYLE_LAYERS,
    content_layer: str = ADAIN_CONTENT_LAYER,
    backbone: str | Backbone = "auto",
    device: str | torch.device | None = None,
    progress: bool = True,
) -> StylizeResult:
    """Optimise the pixels of ``content`` towards the AdaIN target (see :class:`AdaINLoss`).

    Like :func:`nstlib.stylize.stylize` (L-BFGS from the photo, clamped to ``[0, 1]``, the same
    result type) but with means and deviations instead of Gram matrices. ``content`` and
    ``style`` are ``[1, 3, H, W]`` in ``[0, 1]``; both are resized to ``size`` on their longer side.
    ``style_weight`` 10 is Huang & Belongie's λ.
    """
    check_image(content, "content")
    check_image(style, "style")
    if steps < 1:
        raise NstlibError(f"steps must be at least 1, got {steps}.")
    run_device = resolve_device(device)
    backbone = as_backbone(backbone, run_device)
    extractor = backbone.extractor((*style_layers, content_layer)).to(run_device)
    photo = resize_longer_side(content, size).to(run_device)
    painting = resize_longer_side(style, size).to(run_device)
    start = time.perf_counter()
    losses = AdaINLoss(
        extractor,
        photo,
        painting,
        content_layer=content_layer,
        style_layers=style_layers,
        weights={"content": content_weight, "style": style_weight, "tv": tv_weight},
    )
    history = loss_history()
    with tqdm(total=steps, desc="adain", disable=not progress) as bar:
        image = optimize_pixels(photo, losses, steps, history, bar=bar)
    history["size"] = [float(size)] * len(history["total"])
    return StylizeResult(
        image=image.cpu(),
        history=history,
        backbone=backbone.name,
        device=str(run_device),
        seconds=time.perf_counter() - start,
        precision="fp32",  # AdaIN's loss runs without autocast
        style_layers={},  # no Gram terms: the style term compares means and deviations
    )
