"""The 2-D ring of Gaussians: the smallest data set on which a GAN visibly succeeds or collapses.

Real samples come from ``n_modes`` tight Gaussians evenly spaced on a circle. A tiny MLP generator
maps noise to points in the plane and a tiny MLP discriminator scores points. Because we know the
true modes, we can *count* what the generator learned (:func:`mode_coverage`): a healthy GAN puts
samples on all eight modes, a collapsed one piles them onto one or two and hops between them.

The defaults (radius 2, std 0.05) are a little wider than Metz et al.'s std 0.02, so that a CPU
run of 1,500 steps can land on the modes. References: Metz et al. 2017 ("Unrolled GANs", the
8-Gaussian ring); Srivastava et al. 2017 (VEEGAN, the "modes covered / high-quality samples"
counts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from nstlib.errors import NstlibError


def ring_modes(n_modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """The ``[n_modes, 2]`` centres, evenly spaced on a circle of ``radius``, the first at (radius, 0)."""
    if n_modes < 1:
        raise NstlibError(f"n_modes must be at least 1; got {n_modes}.")
    angles = torch.arange(n_modes, dtype=torch.float32) * (2 * math.pi / n_modes)
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def sample_ring(
    n: int,
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.05,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``n`` real samples ``[n, 2]``: a uniformly chosen mode centre plus Gaussian noise of ``std``.

    ``generator`` (a CPU ``torch.Generator``) makes the draw repeatable.
    """
    if n < 1:
        raise NstlibError(f"n must be a positive number of samples; got {n}.")
    if std <= 0:
        raise NstlibError(f"std must be positive; got {std}.")
    which = torch.randint(n_modes, (n,), generator=generator)
    noise = torch.randn(n, 2, generator=generator) * std
    return ring_modes(n_modes, radius)[which] + noise


class RingGenerator(nn.Module):
    """An MLP from noise to the plane: ``[B, z_dim] → [B, 2]`` (unbounded, no tanh).

    Three hidden layers of ``hidden`` units with ReLU. ``z_dim`` is stored so the training loop
    knows what noise to draw.
    """

    def __init__(self, z_dim: int = 8, hidden: int = 128) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.net = nn.Sequential(
            nn.Linear(z_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class RingDiscriminator(nn.Module):
    """An MLP from a point to one logit: ``[B, 2] → [B, 1]`` (no sigmoid; see ``gan_losses``).

    Three hidden layers of ``hidden`` units with LeakyReLU(0.2), as in DCGAN's discriminator, so
    the gradient reaching G is never exactly zero.
    """

    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@dataclass(frozen=True)
class ModeCoverage:
    """How well a set of samples covers the ring.

    Attributes:
        modes_covered: how many modes received at least ``min_share`` of their fair share.
        n_modes: the number of modes of the ring.
        high_quality: fraction of samples within ``k·std`` of their nearest mode, in ``[0, 1]``.
        counts: high-quality samples per mode, ``n_modes`` integers.
    """

    modes_covered: int
    n_modes: int
    high_quality: float
    counts: tuple[int, ...]

    def __str__(self) -> str:
        return (
            f"{self.modes_covered}/{self.n_modes} modes covered, "
            f"{self.high_quality:.0%} high-quality samples, per mode {list(self.counts)}"
        )


def mode_coverage(
    samples: torch.Tensor,
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.05,
    *,
    k: float = 3.0,
    min_share: float = 0.25,
) -> ModeCoverage:
    """Count the modes a generator covers, from its ``[N, 2]`` samples.

    The rule: a sample is *high-quality* if it lies within ``k·std`` of its nearest mode centre
    (``k = 3`` keeps 99% of real samples). A mode is *covered* if it holds at least ``min_share``
    of the samples a perfect generator would give it, i.e. ``min_share · N / n_modes``
    high-quality samples. Real data scores ``n_modes`` covered and about 99% high-quality;
    a collapsed generator covers one or two modes.
    """
    if not isinstance(samples, torch.Tensor) or samples.dim() != 2 or samples.shape[1] != 2:
        shape = list(samples.shape) if isinstance(samples, torch.Tensor) else type(samples).__name__
        raise NstlibError(f"samples must be an [N, 2] tensor of points; got {shape}.")
    samples = samples.detach().float().cpu()
    distances = torch.cdist(samples, ring_modes(n_modes, radius))  # [N, n_modes]
    nearest_distance, nearest = distances.min(dim=1)
    good = nearest_distance <= k * std
    counts = torch.bincount(nearest[good], minlength=n_modes)
    covered = int((counts >= min_share * len(samples) / n_modes).sum())
    return ModeCoverage(
        modes_covered=covered,
        n_modes=n_modes,
        high_quality=float(good.float().mean()),
        counts=tuple(int(c) for c in counts),
    )
