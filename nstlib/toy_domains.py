"""Unpaired toy domains for CycleGAN, with an analytic score for "which domain does this look like".

Real CycleGAN datasets take days on a GPU (horse2zebra: 1–2 days on a GTX 1080, per the reference
code's issue #1549); these take minutes on a CPU at 32 px. Each image shows one coloured object on a light-grey background.

* ``texture`` (horse ↔ zebra in miniature): A is a flat-filled ellipse, B is the *same kind* of
  ellipse striped in its own colour and a dark shade of it. Translation only has to change the
  texture; shape, position, size and hue are visible in both domains, so CycleGAN has no reason to
  hide them in an invisible signal. (Flat colour discs ↔ black-and-white stripes failed that way:
  the colour vanished from G(A) but came back in F(G(A)), "CycleGAN, a Master of Steganography",
  Chu et al. 2017.) Stripe angle, period and phase exist only in B, so the B → A → B cycle still has
  to invent or hide them.
* ``geometry`` (cat → dog in miniature): A is a flat disc, B a flat square of the same area, colour
  and fill at a random rotation. Only the outline differs, which CycleGAN's residual generators
  are known to be bad at changing (Zhu et al. 2017, limitations).

Both domains draw the same random numbers in the same order, so ``sample_domain(pair, "A", n,
rng=g0)`` and ``sample_domain(pair, "B", n, rng=g1)`` with equally seeded ``g0`` and ``g1``
show the *same* objects: a ground-truth pairing that training never sees but evaluation may use.

:func:`domain_score` is a hand-written measurement, not a network, so it cannot be fooled the way a
learned discriminator can. It finds the object (pixels far from the border's median colour) and

* ``texture``: the coefficient of variation of luminance inside the object (border pixels
  excluded), ``cv = std(L) / mean(L)``. A flat fill gives ≈ 0, stripes of a colour and its
  quarter-bright shade give ≈ 0.6. Score ``= clamp((cv - 0.1) / 0.3, 0, 1)``.
* ``geometry``: the 4-fold rotational moment ``q = |Σ m z⁴| / Σ m |z|⁴`` of a soft object mask
  ``m`` (taken after a 3×3 average, which tames generator noise), with ``z = (x - x̄) + i (y - ȳ)``
  around the mask's centroid. It is rotation invariant, 0 for a disc and 3/7 ≈ 0.43 for an ideal
  square (≈ 0.28–0.39 for the anti-aliased 32 px squares; a rounded square lands in between).
  Score ``= clamp((q - 0.05) / 0.2, 0, 1)``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from nstlib.colour import chromaticity, luminance
from nstlib.errors import NstlibError
from nstlib.images import check_image, check_same_shape, to_signed, to_unit

PAIRS: dict[str, str] = {
    "texture": "flat-filled ellipses (A) ↔ the same ellipses striped in their own colour (B)",
    "geometry": "flat discs (A) ↔ flat squares of the same area and colour (B)",
}
DOMAINS = ("A", "B")

SUPERSAMPLE = 4  # render at 4× and average, so edges are anti-aliased like a photo's
DARK_SHADE = 0.25  # brightness of the dark stripes relative to the object's colour
OBJECT_DISTANCE = 0.2  # RGB distance (in [0, 1] units) from the background that counts as object


def _check_pair(pair: str) -> None:
    if pair not in PAIRS:
        raise NstlibError(f"Unknown toy domain pair {pair!r}; choose one of {', '.join(PAIRS)}.")


def _hsv_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``[n]`` hue, saturation, value in [0, 1] → ``[n, 3]`` RGB in [0, 1]."""
    k = (torch.tensor([5.0, 3.0, 1.0]) + h[:, None] * 6) % 6
    return v[:, None] - v[:, None] * s[:, None] * (torch.minimum(k, 4 - k).clamp(0, 1))


def sample_domain(
    pair: str,
    domain: str,
    n: int,
    size: int = 32,
    rng: torch.Generator | None = None,
) -> torch.Tensor:
    """Draw ``n`` images of one domain as ``[n, 3, size, size]`` float in ``[-1, 1]``.

    Args:
        pair: ``"texture"`` or ``"geometry"`` (see :data:`PAIRS`).
        domain: ``"A"`` or ``"B"``.
        n: number of images.
        size: height and width in pixels (at least 16).
        rng: a seeded ``torch.Generator`` for repeatable draws; ``None`` uses torch's global
            random generator. Position, size, colour, background, rotation and stripes are random.
    """
    _check_pair(pair)
    if domain not in DOMAINS:
        raise NstlibError(f"domain must be 'A' or 'B'; got {domain!r}.")
    if n < 1:
        raise NstlibError(f"n must be at least 1; got {n}.")
    if size < 16:
        raise NstlibError(f"size={size} is too small for the toy domains; use at least 16.")

    def uniform(low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=rng)

    # Every quantity is drawn for both domains, in this order, so equal seeds give paired content.
    radius = uniform(0.15, 0.25) * size  # of the disc of equal area
    aspect = uniform(1.0, 1.8)  # texture pair: ellipse axis ratio
    rotation = uniform(0, math.pi)
    extent = radius * 1.35  # bounds the ellipse (√1.8 ≈ 1.34) and the square (√(π/2) ≈ 1.25)
    cx = extent + 1 + uniform(0, 1) * (size - 2 * extent - 2)
    cy = extent + 1 + uniform(0, 1) * (size - 2 * extent - 2)
    colour = _hsv_to_rgb(uniform(0, 1), uniform(0.6, 1.0), uniform(0.6, 1.0))
    background = uniform(0.75, 0.92)
    stripe_angle = uniform(0, math.pi)
    stripe_period = uniform(4, 6) * size / 32
    stripe_phase = uniform(0, 1)

    fine = size * SUPERSAMPLE
    coords = (torch.arange(fine, dtype=torch.float32) + 0.5) / SUPERSAMPLE
    y, x = coords.view(1, fine, 1), coords.view(1, 1, fine)
    dx, dy = x - cx.view(-1, 1, 1), y - cy.view(-1, 1, 1)
    cos, sin = torch.cos(rotation).view(-1, 1, 1), torch.sin(rotation).view(-1, 1, 1)
    u, v = dx * cos + dy * sin, -dx * sin + dy * cos  # object-aligned coordinates
    r = radius.view(-1, 1, 1)
    if pair == "texture":
        a = r * aspect.sqrt().view(-1, 1, 1)
        inside = (u / a) ** 2 + (v / (r * r / a)) ** 2 <= 1
    elif domain == "A":
        inside = dx**2 + dy**2 <= r**2
    else:
        half_side = r * math.sqrt(math.pi) / 2
        inside = (u.abs() <= half_side) & (v.abs() <= half_side)

    # Average the sub-pixel coverage first and colour afterwards: compositing is linear, so this
    # equals colouring at 4× and averaging, at a third of the cost.
    bright = inside
    if pair == "texture" and domain == "B":
        angle = stripe_angle.view(-1, 1, 1)
        along = dx * torch.cos(angle) + dy * torch.sin(angle)
        phase = along / stripe_period.view(-1, 1, 1) + stripe_phase.view(-1, 1, 1)
        bright = inside & (phase % 1 >= 0.5)
    coverage = F.avg_pool2d(torch.stack([inside, bright], 1).float(), SUPERSAMPLE)
    covered, lit = coverage[:, :1], coverage[:, 1:]
    object_rgb = colour.view(-1, 3, 1, 1) * (lit + DARK_SHADE * (covered - lit))
    image = background.view(-1, 1, 1, 1) * (1 - covered) + object_rgb
    return to_signed(image)


def _object_distance(images: torch.Tensor) -> torch.Tensor:
    """``[n, H, W]`` RGB distance (in [0, 1] units) of each pixel from the border's median colour."""
    unit = to_unit(images)
    border = torch.cat(
        [unit[..., 0, :], unit[..., -1, :], unit[..., :, 0], unit[..., :, -1]], dim=-1
    )  # [n, 3, 4·side]
    background = border.median(dim=-1).values
    return (unit - background[..., None, None]).norm(dim=1)


def object_mask(images: torch.Tensor) -> torch.Tensor:
    """``[n, H, W]`` bool: pixels that differ from the background (the border's median colour).

    Args:
        images: ``[n, 3, H, W]`` in ``[-1, 1]``, one object on a plain background.
    """
    check_image(images, "images")
    return _object_distance(images) > OBJECT_DISTANCE


def _interior(mask: torch.Tensor) -> torch.Tensor:
    """Erode a ``[n, H, W]`` bool mask by one pixel, dropping the anti-aliased rim."""
    return -F.max_pool2d(-mask.float().unsqueeze(1), 3, stride=1, padding=1).squeeze(1) > 0.5


def _ramp(value: torch.Tensor, low: float, high: float) -> torch.Tensor:
    return ((value - low) / (high - low)).clamp(0, 1)


def _texture_statistic(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Coefficient of variation of luminance inside the object, and the interior pixel count."""
    inside = _interior(object_mask(images)).float()
    luma = luminance(to_unit(images)).squeeze(1)
    count = inside.sum(dim=(1, 2))
    mean = (luma * inside).sum(dim=(1, 2)) / count.clamp(min=1)
    var = (((luma - mean[:, None, None]) ** 2) * inside).sum(dim=(1, 2)) / count.clamp(min=1)
    return var.sqrt() / mean.clamp(min=1e-3), count


def _geometry_statistic(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The 4-fold moment |Σ m z⁴| / Σ m |z|⁴ of the soft object mask, and the mask's area."""
    # A 3×3 average first: it smooths generator noise and keeps a square's corners (mostly).
    distance = _object_distance(
        F.avg_pool2d(images, 3, stride=1, padding=1, count_include_pad=False)
    )
    # The soft mask ramps between 30% and 70% of the object's own distance from the background (a
    # high percentile): faint noise far from the centre, which z⁴ would amplify, counts for nothing.
    scale = distance.flatten(1).quantile(0.98, dim=1).clamp(min=OBJECT_DISTANCE)[:, None, None]
    mask = ((distance - 0.3 * scale) / (0.4 * scale)).clamp(0, 1)
    h, w = mask.shape[-2:]
    y, x = torch.meshgrid(
        torch.arange(h, dtype=mask.dtype), torch.arange(w, dtype=mask.dtype), indexing="ij"
    )
    area = mask.sum(dim=(1, 2))
    cx = (mask * x).sum(dim=(1, 2)) / area.clamp(min=1e-6)
    cy = (mask * y).sum(dim=(1, 2)) / area.clamp(min=1e-6)
    z = torch.complex(x - cx[:, None, None], y - cy[:, None, None])
    moment = (mask * z**4).sum(dim=(1, 2)).abs()
    normaliser = (mask * z.abs() ** 4).sum(dim=(1, 2))
    return moment / normaliser.clamp(min=1e-6), area


def domain_score(images: torch.Tensor, pair: str) -> torch.Tensor:
    """How much each image looks like domain B: ``[n]`` in ``[0, 1]`` (0 = A, 1 = B).

    Args:
        images: ``[n, 3, H, W]`` in ``[-1, 1]`` (real samples or generator output).
        pair: ``"texture"`` or ``"geometry"``.

    The formulas are in the module docstring. An image with no visible object (fewer than 4
    object pixels) scores 0.5: it looks like neither domain.
    """
    _check_pair(pair)
    check_image(images, "images")
    images = images.detach().float().cpu()
    if pair == "texture":
        statistic, support = _texture_statistic(images)
        score = _ramp(statistic, 0.1, 0.4)
    else:
        statistic, support = _geometry_statistic(images)
        score = _ramp(statistic, 0.05, 0.25)
    return torch.where(support >= 4, score, torch.full_like(score, 0.5))


class ContentChange(NamedTuple):
    """How much a translation changed an object, per image (each ``[n]``)."""

    mask_iou: torch.Tensor
    """Intersection over union of the object masks: 1 = same place, shape and size."""
    colour_shift: torch.Tensor
    """Half the L1 distance between the objects' chromaticities (r, g, b) / (r + g + b): 0 = same
    hue and saturation, 1 = disjoint. Brightness cancels, so stripes of a colour and its dark shade
    match the flat colour."""


def content_change(source: torch.Tensor, translated: torch.Tensor) -> ContentChange:
    """Compare each object before and after translation (both ``[n, 3, H, W]`` in ``[-1, 1]``).

    A good texture translation keeps ``mask_iou`` near 1 and ``colour_shift`` near 0; the
    steganographic failure (colour hidden, not shown) has a large ``colour_shift``.
    """
    check_image(source, "source")
    check_image(translated, "translated")
    check_same_shape(source, translated, ("source", "translated"))
    source, translated = source.detach().float().cpu(), translated.detach().float().cpu()
    masks = object_mask(source), object_mask(translated)
    union = (masks[0] | masks[1]).sum(dim=(1, 2)).clamp(min=1)
    iou = (masks[0] & masks[1]).sum(dim=(1, 2)) / union
    # The objects' interiors only: the anti-aliased rim mixes in the background's colour.
    colours = [
        chromaticity(to_unit(images), _interior(mask).float())
        for images, mask in ((source, masks[0]), (translated, masks[1]))
    ]
    shift = (colours[0] - colours[1]).abs().sum(1) / 2
    return ContentChange(mask_iou=iou, colour_shift=shift)
