"""Colour maths: luminance, YIQ round trips, keeping a photo's chrominance, colour matching."""

import torch

from nstlib.colour import (
    LUMA,
    chromaticity,
    from_yiq,
    luminance,
    match_colour,
    to_yiq,
    with_chrominance,
)


def test_luminance_is_the_bt601_luma_and_the_first_yiq_channel():
    rng = torch.Generator().manual_seed(0)
    image = torch.rand(2, 3, 5, 7, generator=rng)
    assert torch.allclose(LUMA, torch.tensor([0.299, 0.587, 0.114]))
    expected = 0.299 * image[:, 0] + 0.587 * image[:, 1] + 0.114 * image[:, 2]
    torch.testing.assert_close(luminance(image), expected.unsqueeze(1))
    torch.testing.assert_close(to_yiq(image)[:, :1], luminance(image))
    torch.testing.assert_close(from_yiq(to_yiq(image)), image, atol=1e-5, rtol=0)
    grey = torch.full((1, 3, 2, 2), 0.4)
    assert to_yiq(grey)[:, 1:].abs().max().item() < 1e-6  # grey has no chrominance


def test_with_chrominance_keeps_the_stylised_luminance_and_the_photos_colour():
    rng = torch.Generator().manual_seed(1)
    photo = 0.25 + 0.5 * torch.rand(1, 3, 16, 16, generator=rng)
    stylised = 0.25 + 0.5 * torch.rand(1, 3, 8, 8, generator=rng)  # sizes may differ
    out = with_chrominance(stylised, photo)
    assert out.shape == stylised.shape and 0 <= out.min() and out.max() <= 1
    torch.testing.assert_close(luminance(out), luminance(stylised), atol=1e-5, rtol=0)


def test_chromaticity_divides_brightness_out_and_respects_a_mask():
    image = torch.tensor([0.2, 0.4, 0.2]).view(1, 3, 1, 1).expand(1, 3, 4, 4).clone()
    torch.testing.assert_close(chromaticity(image), torch.tensor([[0.25, 0.5, 0.25]]))
    torch.testing.assert_close(chromaticity(image * 2), chromaticity(image))
    mask = torch.zeros(1, 4, 4)
    mask[:, :2] = 1
    image[:, :, 2:] = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)  # red, outside the mask
    torch.testing.assert_close(chromaticity(image, mask), torch.tensor([[0.25, 0.5, 0.25]]))


def test_match_colour_copies_mean_and_covariance():
    rng = torch.Generator().manual_seed(0)
    source = 0.5 + 0.1 * torch.randn(1, 3, 32, 32, generator=rng)
    reference = torch.rand(1, 3, 24, 40, generator=rng) * 0.3 + 0.35
    reference[:, 0] += 0.1 * reference[:, 1]  # correlated channels
    matched = match_colour(source, reference)
    flat, ref = matched.reshape(3, -1), reference.reshape(3, -1)
    assert torch.allclose(flat.mean(1), ref.mean(1), atol=1e-4)
    assert torch.allclose(torch.cov(flat), torch.cov(ref), atol=1e-4)
