"""Tests for nstlib.ring: the 8-Gaussian ring, its MLPs and the mode-coverage count."""

import math

import pytest
import torch

from nstlib.errors import NstlibError
from nstlib.ring import (
    RING,
    Ring,
    RingDiscriminator,
    RingGenerator,
    mode_coverage,
    ring_modes,
    sample_ring,
)


def test_modes_lie_evenly_on_the_circle():
    modes = ring_modes(Ring(8, radius=2.0))
    assert modes.shape == (8, 2)
    assert torch.allclose(modes[0], torch.tensor([2.0, 0.0]))
    assert torch.allclose(modes.norm(dim=1), torch.full((8,), 2.0))
    assert torch.allclose(modes[2], torch.tensor([0.0, 2.0]), atol=1e-6)
    gaps = (modes - modes.roll(1, 0)).norm(dim=1)
    assert torch.allclose(gaps, torch.full((8,), 4 * math.sin(math.pi / 8)))


def test_samples_are_repeatable_and_near_modes():
    tight = Ring(std=0.02)
    a = sample_ring(500, tight, rng=torch.Generator().manual_seed(3))
    b = sample_ring(500, tight, rng=torch.Generator().manual_seed(3))
    assert a.shape == (500, 2) and torch.equal(a, b)
    assert (a.norm(dim=1) - 2.0).abs().max() < 0.15  # 7σ
    assert 0.017 < (a - ring_modes()[(a @ ring_modes().T).argmax(1)]).std() < 0.023


def test_real_data_covers_every_mode():
    real = sample_ring(4000, rng=torch.Generator().manual_seed(0))
    cov = mode_coverage(real)
    assert cov.modes_covered == 8 and cov.n_modes == 8
    assert cov.high_quality > 0.97  # 1 - exp(-9/2) ≈ 0.989 lie within 3σ
    assert sum(cov.counts) == pytest.approx(cov.high_quality * 4000)
    assert min(cov.counts) > 400  # about 500 each


def test_collapsed_samples_cover_one_mode():
    modes = ring_modes()
    samples = torch.cat([modes[2].expand(990, 2), modes[5].expand(10, 2)])
    cov = mode_coverage(samples)
    assert cov.modes_covered == 1  # mode 5 holds 10 < 0.25 · 1000/8 samples
    assert cov.counts == (0, 0, 990, 0, 0, 10, 0, 0)
    assert cov.high_quality == 1.0
    assert "1/8 modes covered" in str(cov)


def test_points_between_modes_are_not_high_quality():
    samples = torch.zeros(100, 2)  # the centre of the ring
    cov = mode_coverage(samples)
    assert cov.modes_covered == 0 and cov.high_quality == 0.0


def test_one_ring_value_drives_modes_samples_and_coverage():
    assert RING == Ring(n_modes=8, radius=2.0, std=0.05)  # the course's ring
    small = Ring(n_modes=3, radius=1.0, std=0.01)
    assert ring_modes(small).shape == (3, 2)
    samples = sample_ring(300, small, rng=torch.Generator().manual_seed(0))
    cov = mode_coverage(samples, small)
    assert cov.n_modes == 3 and cov.modes_covered == 3
    assert mode_coverage(samples).modes_covered == 0  # judged against the default ring: all miss


def test_networks_shapes():
    g, d = RingGenerator(z_dim=4, hidden=16), RingDiscriminator(hidden=16)
    x = g(torch.randn(10, 4))
    assert g.z_dim == 4 and x.shape == (10, 2)
    assert d(x).shape == (10, 1)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(NstlibError, match=r"\[N, 2\]"):
        mode_coverage(torch.zeros(10, 3))
    with pytest.raises(NstlibError, match="std=0.0"):
        Ring(std=0.0)
    with pytest.raises(NstlibError, match="n_modes=0"):
        Ring(n_modes=0)
    with pytest.raises(NstlibError, match="n must be"):
        sample_ring(0)
