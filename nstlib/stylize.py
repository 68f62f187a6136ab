"""Gatys' style transfer: optimise the pixels of an image to match content and style features.

Gatys, Ecker & Bethge (2015), "A Neural Algorithm of Artistic Style": start from the content photo
(or noise) and run gradient descent *on the image* so that its deep VGG features match the content
photo's (content loss) and the Gram matrices of its intermediate features match the style image's
(style loss). Nothing is trained; the network is frozen. Losses are in :mod:`nstlib.style`.

Choices made here, all visible in :func:`stylize`'s arguments:

* The image is optimised directly in ``[0, 1]`` RGB by :func:`nstlib.pixel_optim.optimize_pixels`:
  clamped to [0, 1] after every step, L-BFGS (the paper's choice) with one forward + backward pass
  per step, or Adam to compare.
* Content and style images may have different sizes: Gram matrices are ``C × C`` regardless.
* Colour preservation follows Gatys et al. (2017), "Controlling Perceptual Factors in Neural Style
  Transfer": ``"luminance"`` transfers style on the luminance only and keeps the photo's
  chrominance (YIQ); ``"histogram"`` first recolours the style image to the photo's colour
  mean and covariance. The colour maths is in :mod:`nstlib.colour`.
* Coarse-to-fine (``scales > 1``) stylises at half size first and upsamples the result as the
  starting point, which gives larger-scale style structure at high resolution for less compute.
* Each style layer's term is its *relative* Gram error (:func:`nstlib.style.balanced_layer_weights`),
  so every layer pulls: with equal weights one layer (relu1_1) holds 86–99 % of the starting
  style loss and the deep layers hardly move.
* The forward pass runs in the precision :func:`nstlib.precision.choose_precision` picks (bf16
  autocast on hardware with bf16 units, fp32 elsewhere); Gram matrices and losses are computed in
  fp32 either way.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from nstlib import colour
from nstlib.backbones import Backbone, FeatureExtractor, as_backbone, check_layer_names
from nstlib.errors import NstlibError
from nstlib.images import check_image, check_unit_range, resize_longer_side
from nstlib.pixel_optim import DEFAULT_LEARNING_RATES, optimize_pixels
from nstlib.precision import Precision, choose_precision
from nstlib.runtime import resolve_device
from nstlib.style import (
    LossTerms,
    balanced_layer_weights,
    content_loss,
    gram_matrix,
    loss_history,
    style_loss,
    total_variation_loss,
)
from nstlib.validate import check_choice, check_finite, check_int

DEFAULT_STEPS = 100  # at 256 px: about 25 s on 2 idle cores; 150 looks nearly the same
MIN_SIZE = 32  # relu5_1 is 1/16 of the image: 2×2 at 32 px
MAX_CPU_SIZE = 1024  # about 4 s per step on 2 cores (cost grows as size²); beyond, use a GPU
CPU_SECONDS_PER_STEP_AT_256 = 0.25  # measured on 2 cores (tests/benchmarks/bench_gatys.py)
PRESERVE_COLOUR = (None, "luminance", "histogram")


@dataclass
class StylizeResult:
    """What :func:`stylize` returns.

    Attributes:
        image: ``[1, 3, H, W]`` in ``[0, 1]``, on the CPU.
        history: ``{"total", "content", "style", "tv", "size"}`` → one value per evaluation: the
            weighted loss terms (``total`` is their sum) and the longer image side at that scale.
            At each scale, entry 0 is the starting image and entry ``k`` the image after ``k`` steps.
        backbone: the backbone's provenance (:attr:`Backbone.name`).
        device: where it ran.
        seconds: wall time of the optimisation (target features included, weight loading not).
        precision: the arithmetic the forward passes ran in (``"fp32"``, ``"bf16"``, ``"fp16"``).
        style_layers: ``{layer: (start, end)}``, each style layer's weighted term at the final
            scale for the starting image and for the result (they sum to ``history["style"]``'s
            first and last entries when ``scales`` is 1), in fp32; empty for
            :func:`nstlib.adain.adain_stylize`, which has no Gram terms.
    """

    image: torch.Tensor
    history: dict[str, list[float]]
    backbone: str
    device: str
    seconds: float
    precision: str
    style_layers: dict[str, tuple[float, float]]


def stylize(
    content: torch.Tensor,
    style: torch.Tensor,
    *,
    size: int | None = 256,
    steps: int = DEFAULT_STEPS,
    optimizer: str = "lbfgs",
    lr: float | None = None,
    init: str = "content",
    style_weight: float | None = None,
    content_weight: float = 1.0,
    tv_weight: float = 0.0,
    style_layers: Sequence[str] | None = None,
    content_layers: Sequence[str] | None = None,
    layer_weights: Mapping[str, float] | None = None,
    pooling: str = "max",
    preserve_colour: str | None = None,
    scales: int = 1,
    backbone: str | Backbone = "auto",
    device: str | torch.device | None = None,
    precision: str = "auto",
    progress: bool = True,
    seed: int = 0,
) -> StylizeResult:
    """Paint ``content`` in the style of ``style`` by optimising the image's pixels.

    Args:
        content, style: ``[1, 3, H, W]`` in ``[0, 1]``; their sizes may differ.
        size: longer side of the result in pixels; the style image is resized to the same longer
            side. ``None`` keeps both images as given.
        steps: optimiser steps per scale (one forward + backward each).
        optimizer: ``"lbfgs"`` (the paper's) or ``"adam"``; ``lr`` defaults to 1 and 0.02.
        init: ``"content"`` (start from the photo) or ``"noise"`` (uniform noise, as in the paper).
        style_weight, content_weight, tv_weight: weights of the loss terms (the ``"balanced"``
            convention of :mod:`nstlib.style`; convert others with
            :func:`nstlib.style.convert_weight`).
            ``style_weight`` defaults to the backbone's :attr:`Backbone.style_weight`; the total
            variation term is off by default, as in the paper.
        style_layers, content_layers: paper layer names; default: the backbone's (Gatys' layers).
        layer_weights: ``{style layer: relative importance}``, default 1 each; each multiplies
            that layer's relative Gram error (:func:`nstlib.style.balanced_layer_weights`).
        pooling: ``"max"`` or ``"avg"`` (the paper suggests average pooling).
        preserve_colour: ``None``, ``"luminance"`` or ``"histogram"`` (Gatys et al. 2017).
        scales: number of coarse-to-fine levels, each twice the previous size (1: off).
        backbone: a name for :func:`nstlib.backbones.load_backbone` or a loaded backbone (which is
            moved to ``device``; see :func:`nstlib.backbones.as_backbone`).
        device: ``"cpu"``, ``"cuda"``, ``"mps"``...; default :func:`nstlib.runtime.device`.
        precision: ``"auto"``, ``"bf16"``, ``"fp16"`` or ``"fp32"``
            (:func:`nstlib.precision.choose_precision`; ``"auto"`` is fp32 on CPUs without bf16 units).
        progress: show a tqdm progress bar.
        seed: seeds the noise initialisation.
    """
    for name, image in (("content", content), ("style", style)):
        check_image(image, name)
        check_unit_range(image, name)
    # Every argument is checked before the backbone is loaded: a NaN weight would otherwise cost
    # the whole optimisation and give a black picture, a negative one a loss that rewards ugliness.
    check_choice(optimizer, "optimizer", DEFAULT_LEARNING_RATES)
    check_choice(init, "init", ("content", "noise"))
    check_choice(preserve_colour, "preserve_colour", PRESERVE_COLOUR)
    check_choice(pooling, "pooling", ("max", "avg"))
    steps = check_int(steps, "steps", low=1)
    scales = check_int(scales, "scales", low=1)
    if size is not None:
        size = check_int(size, "size", low=1)  # the VGG minimum is checked with the scales
    if lr is not None:
        lr = check_finite(lr, "lr", low=0, low_open=True)
    for name, weight in (("content_weight", content_weight), ("tv_weight", tv_weight)):
        check_finite(weight, name, low=0)
    if style_weight is not None:
        check_finite(style_weight, "style_weight", low=0)
    for layer, weight in (layer_weights or {}).items():
        check_finite(weight, f"layer_weights[{layer!r}]", low=0)
    for name, layers in (("style_layers", style_layers), ("content_layers", content_layers)):
        if isinstance(layers, str):  # tuple("relu1_1") would be the letters 'r', 'e', 'l'...
            raise NstlibError(
                f"{name} must be a list of layer names, got the string {layers!r}; "
                f"write [{layers!r}]."
            )
    if size is None and scales > 1:
        raise NstlibError("scales > 1 needs a size (the longer side of the final image).")
    sizes = [max(content.shape[-2:])] if size is None else _pyramid(size, scales)
    run_device = resolve_device(device)
    arithmetic = choose_precision(run_device, precision)
    backbone = as_backbone(backbone, run_device)
    style_layers = tuple(style_layers or backbone.style_layers)
    content_layers = tuple(content_layers or backbone.content_layers)
    check_layer_names(style_layers, backbone.layers, "style_layers")
    check_layer_names(content_layers, backbone.layers, "content_layers")
    extractor = backbone.extractor(style_layers + content_layers, pooling=pooling).to(run_device)

    start = time.perf_counter()
    history = {**loss_history(), "size": []}
    rng = torch.Generator().manual_seed(seed)
    image = None
    bar = tqdm(total=steps * len(sizes), desc="stylize", disable=not progress)
    for level_size in sizes:
        photo, painting = content, style
        if size is not None:
            photo = resize_longer_side(content, level_size)
            painting = resize_longer_side(style, level_size)
        photo, painting = _prepare_colours(photo, painting, preserve_colour)
        if image is None:
            image = photo if init == "content" else torch.rand(photo.shape, generator=rng)
        else:
            image = F.interpolate(
                image, size=photo.shape[-2:], mode="bilinear", align_corners=False
            )
        objective = GatysLoss(
            extractor,
            photo.to(run_device),
            painting.to(run_device),
            content_layers=content_layers,
            style_layers=style_layers,
            layer_weights=layer_weights,
            precision=arithmetic,
            weights={
                "content": content_weight,
                "style": backbone.style_weight if style_weight is None else style_weight,
                "tv": tv_weight,
            },
        )
        starting_image = image.to(run_device)
        image = optimize_pixels(
            starting_image, objective, steps, history, optimizer=optimizer, lr=lr, bar=bar
        )
        history["size"] += [float(level_size)] * (steps + 1)
        start_layers = objective.style_layer_terms(starting_image)
    bar.close()
    end_layers = objective.style_layer_terms(image)
    image = image.detach().cpu()
    if preserve_colour == "luminance":
        image = colour.with_chrominance(image, content.cpu())
    return StylizeResult(
        image=image,
        history=history,
        backbone=backbone.name,
        device=str(run_device),
        seconds=time.perf_counter() - start,
        precision=arithmetic.name,
        style_layers={name: (start_layers[name], end_layers[name]) for name in style_layers},
    )


class GatysLoss:
    """The loss of Gatys et al. for one content photo and one style image.

    Calling it on an image ``[1, 3, H, W]`` in ``[0, 1]`` returns the weighted terms as
    :class:`nstlib.style.LossTerms` (scalar fp32 tensors; ``.total`` is their sum). The targets
    (content features and style Grams) are computed once, here. The style term of layer ``l`` is
    ``style_weight · w_l · mean((G_l − A_l)²) / mean(A_l²)`` (``w_l`` from ``layer_weights``,
    default 1): see :func:`nstlib.style.balanced_layer_weights`. ``precision`` is the autocast
    the network runs under; features are cast to fp32 before Grams and losses.
    """

    def __init__(
        self,
        extractor: FeatureExtractor,
        photo: torch.Tensor,
        painting: torch.Tensor,
        *,
        content_layers: Sequence[str],
        style_layers: Sequence[str],
        weights: Mapping[str, float],
        layer_weights: Mapping[str, float] | None = None,
        precision: Precision | None = None,
    ) -> None:
        self.extractor = extractor
        self.weights = dict(weights)
        self.precision = precision
        with torch.no_grad():
            photo_features = self._features(photo)
            painting_features = self._features(painting)
        self.content_targets = {name: photo_features[name] for name in content_layers}
        self.target_grams = {name: gram_matrix(painting_features[name]) for name in style_layers}
        self.layer_weights = balanced_layer_weights(self.target_grams, layer_weights)

    def _features(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.precision is None:
            return self.extractor(image)
        with self.precision.autocast():
            features = self.extractor(image)
        return {name: value.float() for name, value in features.items()}

    @torch.no_grad()
    def style_layer_terms(self, image: torch.Tensor) -> dict[str, float]:
        """``{layer: weighted style term}`` of ``image``; they sum to the style term of ``__call__``."""
        features = self._features(image)
        return {
            name: self.weights["style"]
            * style_loss(features, {name: target}, {name: self.layer_weights[name]}).item()
            for name, target in self.target_grams.items()
        }

    def __call__(self, image: torch.Tensor) -> LossTerms:
        features = self._features(image)
        return LossTerms(
            content=self.weights["content"] * content_loss(features, self.content_targets),
            style=self.weights["style"]
            * style_loss(features, self.target_grams, self.layer_weights),
            tv=self.weights["tv"] * total_variation_loss(image),
        )


def _pyramid(size: int, scales: int) -> list[int]:
    if scales < 1:
        raise NstlibError(f"scales must be at least 1, got {scales}.")
    sizes = [size // 2 ** (scales - 1 - level) for level in range(scales)]
    if sizes[0] < MIN_SIZE:
        raise NstlibError(
            f"size {size} with scales={scales} starts at {sizes[0]} px; VGG needs at least "
            f"{MIN_SIZE} px. Use a larger size or fewer scales."
        )
    return sizes


def _prepare_colours(
    photo: torch.Tensor, painting: torch.Tensor, preserve_colour: str | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The images the optimisation actually sees, for each colour-preservation mode."""
    if preserve_colour == "histogram":
        return photo, colour.match_colour(painting, photo)
    if preserve_colour == "luminance":
        photo_y, painting_y = colour.luminance(photo), colour.luminance(painting)
        # Match the style's luminance mean and spread to the photo's (Gatys et al. 2017, §5.1).
        painting_y = (painting_y - painting_y.mean()) * (
            photo_y.std() / painting_y.std().clamp_min(1e-6)
        )
        painting_y = (painting_y + photo_y.mean()).clamp(0, 1)
        return photo_y.repeat(1, 3, 1, 1), painting_y.repeat(1, 3, 1, 1)
    return photo, painting
