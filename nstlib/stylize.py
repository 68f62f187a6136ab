"""Gatys' style transfer: optimise the pixels of an image to match content and style features.

Gatys, Ecker & Bethge (2015), "A Neural Algorithm of Artistic Style": start from the content photo
(or noise) and run gradient descent *on the image* so that its deep VGG features match the content
photo's (content loss) and the Gram matrices of its intermediate features match the style image's
(style loss). Nothing is trained; the network is frozen. Losses are in :mod:`nstlib.style`.

Choices made here, all visible in :func:`stylize`'s arguments:

* The image is optimised directly in ``[0, 1]`` RGB and **clamped to [0, 1] after every step**
  (as the PyTorch tutorial does), so every intermediate image is a valid picture.
* L-BFGS (the paper's choice) runs one iteration per step with no line search, so one step is one
  forward + backward pass and the step count is the cost; Adam is there to compare.
* Content and style images may have different sizes: Gram matrices are ``C × C`` regardless.
* Colour preservation follows Gatys et al. (2017), "Controlling Perceptual Factors in Neural Style
  Transfer": ``"luminance"`` transfers style on the luminance only and keeps the photo's
  chrominance (YIQ); ``"histogram"`` first recolours the style image to the photo's colour
  mean and covariance.
* Coarse-to-fine (``scales > 1``) stylises at half size first and upsamples the result as the
  starting point, which gives larger-scale style structure at high resolution for less compute.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from nstlib.backbones import Backbone, FeatureExtractor, check_layer_names, load_backbone
from nstlib.data import resolve_image
from nstlib.errors import NstlibError
from nstlib.images import check_image, resize_longer_side, save_image
from nstlib.runtime import resolve_device
from nstlib.style import content_loss, gram_matrix, style_loss, total_variation_loss

DEFAULT_STEPS = 100  # at 256 px: about 25 s on 2 idle cores; 150 looks nearly the same
DEFAULT_LEARNING_RATES = {"lbfgs": 1.0, "adam": 0.02}
MIN_SIZE = 32  # relu5_1 is 1/16 of the image: 2×2 at 32 px
MAX_CPU_SIZE = 1024  # about 4 s per step on 2 cores (cost grows as size²); beyond, use a GPU
CPU_SECONDS_PER_STEP_AT_256 = 0.25  # measured on 2 cores (tests/benchmarks/bench_gatys.py)
PRESERVE_COLOR = (None, "luminance", "histogram")

# RGB → YIQ (NTSC), the colour space Gatys et al. (2017) use to separate luminance from colour.
_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


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
    """

    image: torch.Tensor
    history: dict[str, list[float]]
    backbone: str
    device: str
    seconds: float


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
    preserve_color: str | None = None,
    scales: int = 1,
    backbone: str | Backbone = "auto",
    device: str | torch.device | None = None,
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
        style_weight, content_weight, tv_weight: weights of the loss terms (nstlib convention, see
            :mod:`nstlib.style`; convert others with :func:`nstlib.style.convert_weight`).
            ``style_weight`` defaults to the backbone's :attr:`Backbone.style_weight`; the total
            variation term is off by default, as in the paper.
        style_layers, content_layers: paper layer names; default: the backbone's (Gatys' layers).
        layer_weights: ``{style layer: weight}``; default 1 each.
        pooling: ``"max"`` or ``"avg"`` (the paper suggests average pooling).
        preserve_color: ``None``, ``"luminance"`` or ``"histogram"`` (Gatys et al. 2017).
        scales: number of coarse-to-fine levels, each twice the previous size (1: off).
        backbone: a name for :func:`nstlib.backbones.load_backbone` or a loaded backbone (which is
            moved to ``device``).
        device: ``"cpu"``, ``"cuda"``, ``"mps"``...; default :func:`nstlib.runtime.device`.
        progress: show a tqdm progress bar.
        seed: seeds the noise initialisation.
    """
    check_image(content, "content")
    check_image(style, "style")
    for name, image in (("content", content), ("style", style)):
        lo, hi = image.min().item(), image.max().item()
        if lo < 0 or hi > 1:
            raise NstlibError(f"{name} must hold values in [0, 1]; got [{lo:.3f}, {hi:.3f}].")
    _check_choice("optimizer", optimizer, tuple(DEFAULT_LEARNING_RATES))
    _check_choice("init", init, ("content", "noise"))
    _check_choice("preserve_color", preserve_color, PRESERVE_COLOR)
    if steps < 1:
        raise NstlibError(f"steps must be at least 1, got {steps}.")
    if size is None and scales > 1:
        raise NstlibError("scales > 1 needs a size (the longer side of the final image).")
    sizes = [max(content.shape[-2:])] if size is None else _pyramid(size, scales)
    run_device = resolve_device(device)
    if isinstance(backbone, str):
        backbone = load_backbone(backbone, run_device)
    else:
        backbone.features.to(run_device)
    style_layers = tuple(style_layers or backbone.style_layers)
    content_layers = tuple(content_layers or backbone.content_layers)
    check_layer_names(style_layers, backbone.layers, "style_layers")
    check_layer_names(content_layers, backbone.layers, "content_layers")
    extractor = backbone.extractor(style_layers + content_layers, pooling=pooling).to(run_device)

    start = time.perf_counter()
    history: dict[str, list[float]] = {
        key: [] for key in ("total", "content", "style", "tv", "size")
    }
    generator = torch.Generator().manual_seed(seed)
    image = None
    bar = tqdm(total=steps * len(sizes), desc="stylize", disable=not progress)
    for level_size in sizes:
        photo, painting = content, style
        if size is not None:
            photo = resize_longer_side(content, level_size)
            painting = resize_longer_side(style, level_size)
        photo, painting = _prepare_colors(photo, painting, preserve_color)
        if image is None:
            image = photo if init == "content" else torch.rand(photo.shape, generator=generator)
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
            weights={
                "content": content_weight,
                "style": backbone.style_weight if style_weight is None else style_weight,
                "tv": tv_weight,
            },
        )
        image = _optimize(image.to(run_device), objective, steps, optimizer, lr, history, bar)
        history["size"] += [float(level_size)] * (steps + 1)
    bar.close()
    image = image.detach().cpu()
    if preserve_color == "luminance":
        image = _with_chrominance(image, content.cpu())
    return StylizeResult(
        image=image,
        history=history,
        backbone=backbone.name,
        device=str(run_device),
        seconds=time.perf_counter() - start,
    )


class GatysLoss:
    """The loss of Gatys et al. for one content photo and one style image.

    Calling it on an image ``[1, 3, H, W]`` in ``[0, 1]`` returns the weighted terms
    ``{"content", "style", "tv", "total"}`` (scalar tensors, ``total`` is their sum). The targets
    (content features and style Grams) are computed once, here.
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
    ) -> None:
        self.extractor = extractor
        self.weights = dict(weights)
        self.layer_weights = layer_weights
        with torch.no_grad():
            photo_features = extractor(photo)
            painting_features = extractor(painting)
        self.content_targets = {name: photo_features[name] for name in content_layers}
        self.target_grams = {name: gram_matrix(painting_features[name]) for name in style_layers}

    def __call__(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self.extractor(image)
        terms = {
            "content": self.weights["content"] * content_loss(features, self.content_targets),
            "style": self.weights["style"]
            * style_loss(features, self.target_grams, self.layer_weights),
            "tv": self.weights["tv"] * total_variation_loss(image),
        }
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        return terms


def _optimize(
    image: torch.Tensor,
    losses: GatysLoss,
    steps: int,
    optimizer: str,
    lr: float | None,
    history: dict[str, list[float]],
    bar: tqdm,
) -> torch.Tensor:
    """Run ``steps`` optimiser steps on a copy of ``image``, clamping to [0, 1] after each."""
    # contiguous: L-BFGS flattens the gradient with .view(-1); decoded photos are often HWC-strided.
    x = image.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    lr = DEFAULT_LEARNING_RATES[optimizer] if lr is None else lr
    if optimizer == "lbfgs":
        # No tolerances: we decide the number of steps (the defaults stop silently on small losses).
        opt = torch.optim.LBFGS(
            [x], lr=lr, max_iter=1, history_size=50, tolerance_grad=0, tolerance_change=0
        )
    else:
        opt = torch.optim.Adam([x], lr=lr)

    def record(terms: dict[str, torch.Tensor]) -> None:
        for key, value in terms.items():
            history[key].append(value.item())

    def closure() -> torch.Tensor:
        opt.zero_grad()
        terms = losses(x)
        terms["total"].backward()
        record(terms)
        return terms["total"]

    for _ in range(steps):
        opt.step(closure)
        with torch.no_grad():
            x.clamp_(0, 1)
        bar.update()
        bar.set_postfix(
            style=f"{history['style'][-1]:.3g}", content=f"{history['content'][-1]:.3g}"
        )
    with torch.no_grad():
        record(losses(x))  # the losses of the image actually returned
    return x.detach()


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


def _check_choice(argument: str, value, choices: tuple) -> None:
    if value not in choices:
        raise NstlibError(f"{argument}={value!r} is not one of {', '.join(map(repr, choices))}.")


def _prepare_colors(
    photo: torch.Tensor, painting: torch.Tensor, preserve_color: str | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The images the optimisation actually sees, for each colour-preservation mode."""
    if preserve_color == "histogram":
        return photo, match_color(painting, photo)
    if preserve_color == "luminance":
        photo_y, painting_y = luminance(photo), luminance(painting)
        # Match the style's luminance mean and spread to the photo's (Gatys et al. 2017, §5.1).
        painting_y = (painting_y - painting_y.mean()) * (
            photo_y.std() / painting_y.std().clamp_min(1e-6)
        )
        painting_y = (painting_y + photo_y.mean()).clamp(0, 1)
        return photo_y.repeat(1, 3, 1, 1), painting_y.repeat(1, 3, 1, 1)
    return photo, painting


def luminance(image: torch.Tensor) -> torch.Tensor:
    """The Y (luma) channel of ``[B, 3, H, W]`` RGB in ``[0, 1]`` → ``[B, 1, H, W]`` in ``[0, 1]``."""
    return torch.einsum("c,bchw->bhw", _RGB_TO_YIQ[0].to(image), image).unsqueeze(1)


def to_yiq(image: torch.Tensor) -> torch.Tensor:
    """RGB ``[B, 3, H, W]`` → YIQ: Y in ``[0, 1]`` is luminance, I and Q are chrominance."""
    return torch.einsum("dc,bchw->bdhw", _RGB_TO_YIQ.to(image), image)


def from_yiq(image: torch.Tensor) -> torch.Tensor:
    """YIQ ``[B, 3, H, W]`` → RGB (not clamped; see :func:`to_yiq`)."""
    return torch.einsum("dc,bchw->bdhw", torch.linalg.inv(_RGB_TO_YIQ).to(image), image)


def _with_chrominance(stylized: torch.Tensor, photo: torch.Tensor) -> torch.Tensor:
    """The stylised luminance with the photo's chrominance, clamped back into the RGB cube."""
    photo = F.interpolate(photo, size=stylized.shape[-2:], mode="bilinear", align_corners=False)
    yiq = torch.cat([luminance(stylized), to_yiq(photo)[:, 1:]], dim=1)
    return from_yiq(yiq).clamp(0, 1)


def match_color(source: torch.Tensor, reference: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Recolour ``source`` so its RGB mean and covariance equal ``reference``'s (both ``[1,3,H,W]``).

    The linear map ``x ↦ A (x − μ_s) + μ_r`` with ``A = Σ_r^½ Σ_s^-½`` (the "image analogies"
    variant of colour matching in Gatys et al. 2017, §5.2); the result is clamped to ``[0, 1]``.
    """

    def stats(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pixels = image.reshape(3, -1)
        mean = pixels.mean(dim=1, keepdim=True)
        return mean, torch.cov(pixels) + eps * torch.eye(3, device=image.device)

    def matrix_power(cov: torch.Tensor, power: float) -> torch.Tensor:
        values, vectors = torch.linalg.eigh(cov)
        return vectors @ torch.diag(values.clamp_min(eps) ** power) @ vectors.T

    mean_s, cov_s = stats(source)
    mean_r, cov_r = stats(reference)
    transform = matrix_power(cov_r, 0.5) @ matrix_power(cov_s, -0.5)
    recoloured = transform @ (source.reshape(3, -1) - mean_s) + mean_r
    return recoloured.reshape(source.shape).clamp(0, 1)


def stylize_file(
    content: str | Path,
    style: str | Path,
    out: str | Path,
    *,
    size: int = 256,
    steps: int | None = None,
    style_weight: float | None = None,
    preserve_color: str | None = None,
    backbone: str = "auto",
    device: str | None = None,
) -> dict[str, object]:
    """The ``python -m nstlib stylize`` command: names or files in, a PNG out, a summary back.

    ``content`` and ``style`` are bundled names (``chelsea``, ``swirl``...) or image files.
    Returns ``{backbone, device, image_size, steps, seconds, style_loss, content_loss, output}``
    where the losses read ``"initial → final"``.
    """
    run_device = resolve_device(device)
    if size < MIN_SIZE:
        raise NstlibError(f"--size {size} is too small; VGG needs at least {MIN_SIZE} pixels.")
    if run_device.type == "cpu" and size > MAX_CPU_SIZE:
        raise NstlibError(
            f"--size {size} is too large for the CPU (at most {MAX_CPU_SIZE}; each step would take "
            f"about {CPU_SECONDS_PER_STEP_AT_256 * (size / 256) ** 2:.0f} s); use --size "
            f"{MAX_CPU_SIZE} or less, or a GPU (--device cuda)."
        )
    out = Path(out)
    if not out.parent.exists():
        raise NstlibError(
            f"Folder {out.parent} does not exist; create it or choose another -o path."
        )
    result = stylize(
        resolve_image(content, size),
        resolve_image(style, size),
        size=size,
        steps=DEFAULT_STEPS if steps is None else steps,
        style_weight=style_weight,
        preserve_color=preserve_color,
        backbone=backbone,
        device=run_device,
    )
    save_image(result.image, out)
    history = result.history
    return {
        "backbone": result.backbone,
        "device": result.device,
        "image_size": "×".join(map(str, result.image.shape[-2:])),
        "steps": len(history["total"]) - 1,  # one scale: entries 0..steps
        "seconds": round(result.seconds, 1),
        "style_loss": f"{history['style'][0]:.4g} → {history['style'][-1]:.4g}",
        "content_loss": f"{history['content'][0]:.4g} → {history['content'][-1]:.4g}",
        "output": str(out),
    }
