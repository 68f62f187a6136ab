"""Lesson 03's toy task: real texture patches against blurred and checkerboarded copies.

A PatchGAN learns *local* texture statistics, so lesson 03 trains one to tell a texture from a
degraded copy of it:

* :func:`blur`, a Gaussian blur (detail lost, as in an over-smoothed generator output);
* :func:`checkerboard`, the period-2 brightness pattern left by a stride-2 transposed
  convolution whose kernel size is not a multiple of its stride (Odena et al. 2016,
  "Deconvolution and Checkerboard Artifacts"): with kernel 3 and stride 2, along each axis every
  other output pixel receives two kernel taps instead of one.

:func:`random_crops` samples training patches and :func:`half_and_half` builds the test image:
real on the left, degraded on the right. Images are ``[B, 3, H, W]`` in ``[0, 1]``.

References: Isola et al. 2017 (pix2pix, the PatchGAN); Zhu et al. 2017 (CycleGAN).
"""

from __future__ import annotations

import numpy as np
import torch
from torchvision.transforms.v2 import functional as TF

from nstlib.errors import NstlibError
from nstlib.images import check_image, check_same_shape

# Along one axis, a kernel-3 stride-2 transposed conv gives even outputs 2 taps and odd outputs 1.
TAPS = (2.0, 1.0)


def _check_batch(images: torch.Tensor, name: str) -> None:
    check_image(images, name)
    if min(images.shape[-2:]) < 2:
        raise NstlibError(
            f"{name} must be at least 2×2 pixels; got {list(images.shape)}. Pass larger images."
        )


def blur(images: torch.Tensor, sigma: float = 1.5) -> torch.Tensor:
    """Gaussian blur of ``[B, 3, H, W]`` images (any range; kernel ``2·⌈3σ⌉ + 1``, reflect pad)."""
    _check_batch(images, "images")
    if sigma <= 0:
        raise NstlibError(
            f"sigma must be positive (the Gaussian's standard deviation in pixels); got {sigma}."
        )
    size = 2 * int(np.ceil(3 * sigma)) + 1
    if min(images.shape[-2:]) <= size // 2:  # reflect padding needs more pixels than its width
        raise NstlibError(
            f"images of {images.shape[-2]}×{images.shape[-1]} px are too small to blur with "
            f"sigma={sigma} (kernel {size} px); use larger images or a smaller sigma."
        )
    return TF.gaussian_blur(images, [size, size], [sigma, sigma])


def checkerboard_pattern(height: int, width: int) -> torch.Tensor:
    """``[height, width]`` overlap counts of a k3 s2 transposed conv, divided by their mean.

    Rows and columns alternate 2, 1, 2, 1… taps; the 2-D count is their product (4, 2, 2, 1 in
    each 2×2 cell), so the pattern's values are 16/9, 8/9 and 4/9 (mean 1 on even sizes).
    """
    rows = torch.tensor(TAPS).repeat(height // 2 + 1)[:height]
    cols = torch.tensor(TAPS).repeat(width // 2 + 1)[:width]
    counts = torch.outer(rows, cols)
    return counts / (sum(TAPS) / 2) ** 2


def checkerboard(images: torch.Tensor, strength: float = 0.25) -> torch.Tensor:
    """Multiply ``[B, 3, H, W]`` images in ``[0, 1]`` by ``1 + strength·(pattern − 1)``, clipped.

    ``pattern`` is :func:`checkerboard_pattern`; ``strength = 0`` returns the images unchanged,
    ``strength = 1`` gives the full uneven-overlap brightness (up to ×1.78 and down to ×0.44).
    """
    _check_batch(images, "images")
    if not 0 <= strength <= 1:
        raise NstlibError(
            f"strength must be in [0, 1] (0: no pattern, 1: the full overlap counts); "
            f"got {strength}."
        )
    pattern = checkerboard_pattern(*images.shape[-2:]).to(images.device, images.dtype)
    return (images * (1 + strength * (pattern - 1))).clamp(0, 1)


def random_crops(image: torch.Tensor, size: int, count: int, rng: torch.Generator) -> torch.Tensor:
    """``count`` random square crops of one ``[1, 3, H, W]`` image: ``[count, 3, size, size]``.

    Positions are drawn from ``rng`` (a CPU ``torch.Generator``), so a seeded ``rng`` gives the
    same crops on every device. Values are copied as they are (any range).
    """
    _check_batch(image, "image")
    h, w = image.shape[-2:]
    if image.shape[0] != 1 or not 1 <= size <= min(h, w) or count < 1:
        raise NstlibError(
            f"random_crops needs one image [1, 3, H, W], 1 ≤ size ≤ min(H, W) and count ≥ 1; got "
            f"image {list(image.shape)}, size={size}, count={count}. Crop a smaller size or pass "
            "a larger image."
        )
    tops = torch.randint(h - size + 1, (count,), generator=rng).tolist()
    lefts = torch.randint(w - size + 1, (count,), generator=rng).tolist()
    return torch.cat(
        [image[..., t : t + size, s : s + size] for t, s in zip(tops, lefts, strict=True)]
    )


def half_and_half(real: torch.Tensor, degraded: torch.Tensor) -> torch.Tensor:
    """The left half of ``real`` next to the right half of ``degraded`` (same shape ``[B, 3, H, W]``)."""
    _check_batch(real, "real")
    check_same_shape(real, degraded, ("real", "degraded"))
    half = real.shape[-1] // 2
    return torch.cat([real[..., :half], degraded[..., half:]], dim=-1)
