"""Each number the lessons print as a diagnostic, on a case built so that its answer is known.

A diagnostic that nothing checks can drift silently (a wrong denominator, a forgotten centring)
while every lesson still runs. Each test builds an input whose right answer follows from the
definition alone.
"""

from __future__ import annotations

import math

import pytest
import torch

from nstlib.metrics import correlation, psnr, relative_change
from nstlib.ring import RING, mode_coverage, ring_modes


def test_relative_change_divides_by_the_original():
    x = torch.tensor([3.0, 4.0])  # ‖x‖ = 5
    assert relative_change(x, x) == 0.0
    assert relative_change(3 * x, x) == pytest.approx(2.0)  # ‖3x − x‖ / ‖x‖, not / ‖3x‖
    assert relative_change(x + torch.tensor([0.0, 5.0]), x) == pytest.approx(1.0)


def test_correlation_ignores_scale_and_shift_and_keeps_the_sign():
    x = torch.tensor([1.0, 2.0, 4.0, 7.0])
    assert correlation(2 * x + 10, x) == pytest.approx(1.0)
    assert correlation(-3 * x + 1, x) == pytest.approx(-1.0)
    centred = x - x.mean()
    orthogonal = torch.tensor([1.0, -1.0, -1.0, 1.0])  # zero mean, orthogonal to x − mean(x)
    orthogonal = orthogonal - (orthogonal @ centred) / (centred @ centred) * centred
    assert correlation(orthogonal + 5, x) == pytest.approx(0.0, abs=1e-6)


def test_psnr_of_a_constant_error():
    x = torch.zeros(1, 3, 4, 4)
    assert psnr(x + 0.1, x) == pytest.approx(20.0)  # 10·log10(1 / 0.01)
    assert psnr(x + 0.1, x, data_range=2.0) == pytest.approx(20 + 20 * math.log10(2))
    assert psnr(x, x) == math.inf


def test_mode_coverage_counts_only_samples_near_a_mode():
    assert (RING.n_modes, RING.radius) == (8, 2.0)
    modes = ring_modes()
    on_modes = modes[[0, 2, 5]].repeat_interleave(10, dim=0)  # 10 samples on each of 3 modes
    far_out = modes[[4]].repeat(5, 1) * 1.5  # 5 samples well off mode 4 (1 away from it)
    coverage = mode_coverage(torch.cat([on_modes, far_out]))
    assert coverage.modes_covered == 3
    assert coverage.high_quality == pytest.approx(30 / 35)
    assert coverage.counts == (10, 0, 10, 0, 0, 10, 0, 0)
