"""Lesson 03's toy task: blur, the checkerboard pattern, random crops and the half-and-half image."""

from __future__ import annotations

import pytest
import torch

from nstlib.errors import NstlibError
from nstlib.patch_task import blur, checkerboard, checkerboard_pattern, half_and_half, random_crops


@pytest.fixture(scope="module")
def image() -> torch.Tensor:
    return torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(0))


def test_blur_keeps_a_constant_image_and_smooths_noise(image):
    flat = torch.full((1, 3, 16, 16), 0.3)
    assert torch.allclose(blur(flat), flat)
    assert blur(image).std() < 0.5 * image.std()


def test_checkerboard_pattern_has_period_two_and_mean_one():
    pattern = checkerboard_pattern(4, 6)
    assert pattern.shape == (4, 6)
    assert torch.allclose(pattern[:2, :2], torch.tensor([[16, 8], [8, 4]]) / 9)
    assert torch.equal(pattern[:2, :2], pattern[2:, 4:])
    assert pattern.mean().item() == pytest.approx(1.0)


def test_checkerboard_strength_zero_is_identity_and_stays_in_range(image):
    assert torch.equal(checkerboard(image, 0.0), image)
    out = checkerboard(image, 1.0)
    assert out.min() >= 0 and out.max() <= 1
    grey = checkerboard(torch.full((1, 3, 4, 4), 0.45), 0.25)[0, 0]
    assert grey[0, 0] > grey[0, 1] > grey[1, 1]  # 4, 2, 1 taps


def test_random_crops_are_repeatable_crops(image):
    crops = random_crops(image, 32, 5, torch.Generator().manual_seed(1))
    again = random_crops(image, 32, 5, torch.Generator().manual_seed(1))
    assert crops.shape == (5, 3, 32, 32)
    assert torch.equal(crops, again)
    first = crops[0]
    found = any(
        torch.equal(image[0, :, t : t + 32, s : s + 32], first)
        for t in range(225)
        for s in range(225)
        if image[0, 0, t, s] == first[0, 0, 0]
    )
    assert found


def test_half_and_half_joins_left_real_and_right_degraded(image):
    degraded = blur(image)
    joined = half_and_half(image, degraded)
    assert torch.equal(joined[..., :128], image[..., :128])
    assert torch.equal(joined[..., 128:], degraded[..., 128:])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda x: blur(x[0]), "shape"),
        (lambda x: blur(x, sigma=0), "sigma"),
        (lambda x: blur(x[..., :4, :4]), "too small to blur"),
        (lambda x: checkerboard(x, 2.0), "strength"),
        (lambda x: random_crops(x, 300, 2, torch.Generator()), "size"),
        (lambda x: random_crops(x.repeat(2, 1, 1, 1), 32, 2, torch.Generator()), "one image"),
        (lambda x: half_and_half(x, x[..., :10]), "same shape"),
    ],
)
def test_bad_arguments_are_reported(image, call, message):
    with pytest.raises(NstlibError, match=message):
        call(image)
