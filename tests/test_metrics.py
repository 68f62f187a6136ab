"""The image comparison numbers, on constructed cases whose answers are known by hand."""

import math

import pytest
import torch

from nstlib.errors import NstlibError
from nstlib.metrics import correlation, psnr, relative_change


def test_relative_change_is_the_size_of_the_change_over_the_size_of_x():
    x = torch.tensor([3.0, 4.0])  # ‖x‖ = 5
    assert relative_change(x, x) == 0.0
    assert relative_change(2 * x, x) == pytest.approx(1.0)
    assert relative_change(x + torch.tensor([0.0, 1.0]), x) == pytest.approx(0.2)
    assert relative_change(torch.zeros(2), x) == pytest.approx(1.0)


def test_correlation_ignores_positive_scale_and_shift():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert correlation(2 * x + 1, x) == pytest.approx(1.0)
    assert correlation(-x, x) == pytest.approx(-1.0)
    # y = (1, -1, -1, 1) is orthogonal to x - mean(x) = (-1.5, -0.5, 0.5, 1.5): no linear trace.
    assert correlation(torch.tensor([1.0, -1.0, -1.0, 1.0]), x) == pytest.approx(0.0, abs=1e-12)


def test_correlation_reads_every_element_of_an_image():
    x = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    assert correlation(x * 0.5 + 0.2, x) == pytest.approx(1.0)


def test_psnr_on_a_known_error():
    x = torch.zeros(1, 3, 4, 4)
    y = x + 0.1  # MSE = 0.01: 10·log10(1 / 0.01) = 20 dB
    assert psnr(y, x) == pytest.approx(20.0)
    assert psnr(y, x, data_range=2.0) == pytest.approx(20.0 + 10 * math.log10(4))
    assert psnr(x, x) == math.inf


@pytest.mark.parametrize("metric", [relative_change, correlation, psnr])
def test_shapes_must_match_instead_of_broadcasting(metric):
    with pytest.raises(NstlibError, match="same shape"):
        metric(torch.zeros(4, 3, 2, 2), torch.ones(1, 3, 2, 2))
