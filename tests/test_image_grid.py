"""Crisp grids of small images: uint8 conversion, pixel-repeat scaling and the white gaps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nstlib.errors import NstlibError
from nstlib.image_grid import image_grid, to_uint8


def test_to_uint8_maps_the_signed_range_and_clips():
    images = torch.tensor([-1.0, 0.0, 1.0, 3.0]).view(1, 1, 1, 4).expand(2, 3, 1, 4)
    pixels = to_uint8(images)
    assert pixels.shape == (2, 1, 4, 3) and pixels.dtype == np.uint8
    assert pixels[0, 0, :, 0].tolist() == [0, 128, 255, 255]


def test_image_grid_tiles_and_scales():
    rows = np.zeros((2, 3, 4, 5, 3), dtype=np.uint8)
    grid = image_grid(rows, scale=2, gap=1)
    assert grid.shape == (2 * 9, 3 * 11, 3)
    assert (grid[8, :, :] == 255).all() and (grid[:8, 10, :] == 255).all()  # the gaps are white
    assert (grid[:8, :10] == 0).all()  # the first image, enlarged twice
    with pytest.raises(NstlibError, match="rows"):
        image_grid(rows[0])
