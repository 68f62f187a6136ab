"""Colour maths: luminance, the YIQ colour space, chromaticity and colour matching.

Style transfer's colour controls (Gatys et al. 2017, "Controlling Perceptual Factors in Neural
Style Transfer", §5) and the CycleGAN colour metrics all reduce to a few linear maps on RGB:

* **luminance** ``Y = 0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601 luma, the first row of YIQ);
* **YIQ**: Y plus two chrominance channels I and Q, so "keep the photo's colours" is "take the
  stylised Y with the photo's I and Q";
* **chromaticity** ``(r, g, b) / (r + g + b)``: colour with brightness divided out;
* **colour matching**: an affine map that gives one image another's RGB mean and covariance.

All functions take ``[B, 3, H, W]`` RGB tensors in ``[0, 1]``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Rows: Y (luma, BT.601), I, Q. The Y row is the luma every module of nstlib uses.
RGB_TO_YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]]
)
LUMA = RGB_TO_YIQ[0]


def luminance(image: torch.Tensor) -> torch.Tensor:
    """The Y (luma) channel: ``[B, 3, H, W]`` RGB in ``[0, 1]`` → ``[B, 1, H, W]`` in ``[0, 1]``."""
    return torch.einsum("c,bchw->bhw", LUMA.to(image), image).unsqueeze(1)


def to_yiq(image: torch.Tensor) -> torch.Tensor:
    """RGB ``[B, 3, H, W]`` → YIQ: Y in ``[0, 1]`` is luminance, I and Q are chrominance."""
    return torch.einsum("dc,bchw->bdhw", RGB_TO_YIQ.to(image), image)


def from_yiq(image: torch.Tensor) -> torch.Tensor:
    """YIQ ``[B, 3, H, W]`` → RGB (not clamped; see :func:`to_yiq`)."""
    return torch.einsum("dc,bchw->bdhw", torch.linalg.inv(RGB_TO_YIQ).to(image), image)


def with_chrominance(stylized: torch.Tensor, photo: torch.Tensor) -> torch.Tensor:
    """``stylized``'s luminance with ``photo``'s chrominance, clamped back into the RGB cube.

    ``photo`` is resized to ``stylized``'s size first (bilinear), so the two may differ in size.
    """
    photo = F.interpolate(photo, size=stylized.shape[-2:], mode="bilinear", align_corners=False)
    yiq = torch.cat([luminance(stylized), to_yiq(photo)[:, 1:]], dim=1)
    return from_yiq(yiq).clamp(0, 1)


def chromaticity(image: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """``[B, 3]``: the mean ``(r, g, b) / (r + g + b)`` of each image, over ``mask`` if given.

    Args:
        image: ``[B, 3, H, W]`` in ``[0, 1]``.
        mask: ``[B, 1, H, W]`` or ``[B, H, W]`` weights (1 = count the pixel); ``None``: all pixels.

    The channel means are averaged first and then divided by their sum, so brightness cancels: a
    striped object and its flat twin of the same hue have the same chromaticity.
    """
    if mask is None:
        mean_rgb = image.mean(dim=(2, 3))
    else:
        mask = mask.unsqueeze(1) if mask.dim() == 3 else mask
        mean_rgb = (image * mask).sum(dim=(2, 3)) / mask.sum(dim=(2, 3)).clamp(min=1e-6)
    return mean_rgb / mean_rgb.sum(dim=1, keepdim=True).clamp(min=1e-6)


def match_colour(source: torch.Tensor, reference: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
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
