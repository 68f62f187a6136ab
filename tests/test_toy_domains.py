import math

import pytest
import torch
import torchvision.transforms.v2.functional as TF

from nstlib.errors import NstlibError
from nstlib.toy_domains import (
    PAIRS,
    content_change,
    domain_score,
    object_mask,
    sample_domain,
)


def seeded(seed=0):
    return torch.Generator().manual_seed(seed)


def auc(score_a, score_b):
    """Probability that a random B scores above a random A (ties count half)."""
    above = (score_a[:, None] < score_b[None, :]).float().mean()
    return (above + 0.5 * (score_a[:, None] == score_b[None, :]).float().mean()).item()


@pytest.mark.parametrize("pair", list(PAIRS))
@pytest.mark.parametrize("size", [32, 64])
def test_samples_shape_range_and_determinism(pair, size):
    for domain in "AB":
        images = sample_domain(pair, domain, 6, size, rng=seeded(1))
        assert images.shape == (6, 3, size, size) and images.dtype == torch.float32
        assert -1 <= images.min() and images.max() <= 1
        assert torch.equal(images, sample_domain(pair, domain, 6, size, rng=seeded(1)))
        assert not torch.equal(images, sample_domain(pair, domain, 6, size, rng=seeded(2)))


@pytest.mark.parametrize("pair", list(PAIRS))
def test_scores_separate_real_domains(pair):
    a = domain_score(sample_domain(pair, "A", 200, rng=seeded(3)), pair)
    b = domain_score(sample_domain(pair, "B", 200, rng=seeded(4)), pair)
    assert a.shape == (200,) and 0 <= a.min() and b.max() <= 1
    assert a.mean() < 0.1 and b.mean() > 0.9
    assert auc(a, b) > 0.99


@pytest.mark.parametrize("pair", list(PAIRS))
def test_scores_survive_generator_like_blur_and_noise(pair):
    def degrade(images):
        noise = torch.randn(images.shape, generator=seeded(9))
        return (TF.gaussian_blur(images, [5, 5], [0.7, 0.7]) + 0.05 * noise).clamp(-1, 1)

    a = domain_score(degrade(sample_domain(pair, "A", 100, rng=seeded(5))), pair)
    b = domain_score(degrade(sample_domain(pair, "B", 100, rng=seeded(6))), pair)
    assert a.mean() < 0.1 and b.mean() > 0.7 and auc(a, b) > 0.98


def test_geometry_score_grows_as_a_disc_becomes_a_square():
    # Superellipses |x|^p + |y|^p <= 1 go from a disc (p = 2) to a square (p -> infinity).
    fine = (torch.arange(128) + 0.5) / 4 - 16
    y, x = fine.view(-1, 1), fine.view(1, -1)
    scores = []
    for p in (2, 3, 4, 20):
        inside = ((x.abs() / 9) ** p + (y.abs() / 9) ** p <= 1).float()[None, None]
        cover = torch.nn.functional.avg_pool2d(inside, 4)
        image = 0.8 * (1 - cover) + cover * torch.tensor([0.2, 0.3, 0.9]).view(1, 3, 1, 1)
        scores.append(domain_score(image * 2 - 1, "geometry").item())
    assert scores[0] < 0.05 and scores[-1] > 0.95
    assert scores == sorted(scores) and 0.2 < scores[1] < 0.8


def test_same_seed_pairs_the_content_across_domains():
    a = sample_domain("texture", "A", 50, rng=seeded(7))
    b = sample_domain("texture", "B", 50, rng=seeded(7))
    change = content_change(a, b)
    assert change.mask_iou.min() > 0.9  # same ellipse; only the rim's anti-aliasing differs
    assert change.colour_shift.max() < 0.02  # stripes are the object's own colour, darkened


def test_content_change_flags_lost_colour_and_moved_objects():
    a = sample_domain("texture", "A", 20, rng=seeded(8))
    grey = a.mean(dim=1, keepdim=True).expand_as(a)  # the steganographic failure: colour gone
    assert content_change(a, grey).colour_shift.mean() > 0.1
    moved = torch.roll(a, shifts=(8, 8), dims=(2, 3))
    assert content_change(a, moved).mask_iou.mean() < 0.5
    assert content_change(a, a).mask_iou.min() == 1 and content_change(a, a).colour_shift.max() == 0


def test_object_mask_finds_the_object():
    images = sample_domain("geometry", "A", 10, rng=seeded(0))
    area = object_mask(images).float().sum(dim=(1, 2))
    expected = math.pi * (32 * torch.tensor([0.15, 0.25])) ** 2
    assert (area > 0.8 * expected[0]).all() and (area < 1.2 * expected[1]).all()


def test_blank_image_scores_one_half():
    blank = torch.full((2, 3, 32, 32), 0.5)
    for pair in PAIRS:
        assert torch.equal(domain_score(blank, pair), torch.full((2,), 0.5))


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(NstlibError, match="texture, geometry"):
        sample_domain("horse2zebra", "A", 4)
    with pytest.raises(NstlibError, match="texture, geometry"):
        domain_score(torch.zeros(1, 3, 32, 32), "shapes")
    with pytest.raises(NstlibError, match="'A' or 'B'"):
        sample_domain("texture", "C", 4)
    with pytest.raises(NstlibError, match="n must"):
        sample_domain("texture", "A", 0)
    with pytest.raises(NstlibError, match="size"):
        sample_domain("geometry", "B", 4, size=8)
    with pytest.raises(NstlibError, match="3 \\(RGB\\) channels"):
        domain_score(torch.zeros(2, 1, 32, 32), "texture")
    with pytest.raises(NstlibError, match="same shape"):
        content_change(torch.zeros(2, 3, 32, 32), torch.zeros(1, 3, 32, 32))
