"""Crisp picture grids of small images, for figures and slider demos.

Lesson 04's images are 32×32 pixels: shown as they are they are specks, and a smooth resize blurs
them. :func:`image_grid` therefore enlarges each image by repeating its pixels and tiles a table of
them with a white gap after each one. It works on ``uint8`` NumPy arrays (what
:func:`to_uint8` returns and what the snapshot file stores), ready for ``plt.imshow`` or a PNG.

``torchvision.utils.make_grid`` tiles only one list of tensors and frames every image on all
sides; here the rows are kept (one row per stage of a translation) and the gaps fall after each
image, so a row's labels can sit at multiples of one row height.
"""

from __future__ import annotations

import numpy as np
import torch

from nstlib.errors import NstlibError
from nstlib.images import to_unit


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """``[n, 3, H, W]`` in ``[-1, 1]`` → ``[n, H, W, 3]`` uint8 (values outside are clipped)."""
    unit = to_unit(images.detach().float().cpu()).clamp(0, 1)
    return (unit * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def image_grid(rows: np.ndarray, scale: int = 1, gap: int = 2) -> np.ndarray:
    """Tile ``[R, C, H, W, 3]`` uint8 images into one ``[R·(s·H+gap), C·(s·W+gap), 3]`` picture.

    Each image is enlarged ``scale`` (``s``) times by pixel repetition (no blur) and followed by a
    white gap of ``gap`` pixels, below and to the right.
    """
    if rows.ndim != 5 or rows.shape[-1] != 3:
        raise NstlibError(
            f"rows must be [R, C, H, W, 3] uint8 (R rows of C RGB images); got shape "
            f"{list(rows.shape)}. Stack a list of to_uint8 batches with np.stack."
        )
    big = rows.repeat(scale, axis=2).repeat(scale, axis=3)
    big = np.pad(big, ((0, 0), (0, 0), (0, gap), (0, gap), (0, 0)), constant_values=255)
    r, c, h, w, _ = big.shape
    return big.transpose(0, 2, 1, 3, 4).reshape(r * h, c * w, 3)
