"""The 2-D ring of Gaussians: the smallest data set on which a GAN visibly succeeds or collapses.

Real samples come from a :class:`Ring`: ``n_modes`` tight Gaussians evenly spaced on a circle. A tiny
MLP generator
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


@dataclass(frozen=True)
class Ring:
    """The data set's shape: ``n_modes`` Gaussians of ``std`` evenly spaced on a circle of ``radius``.

    One value describes the whole data set, so the sampler, the coverage count and the demo that
    draws the mode markers can never disagree about it. :data:`RING` is the course's ring.
    """

    n_modes: int = 8
    radius: float = 2.0
    std: float = 0.05

    def __post_init__(self) -> None:
        if self.n_modes < 1 or self.radius <= 0 or self.std <= 0:
            raise NstlibError(
                "Ring needs n_modes >= 1, radius > 0 and std > 0; got "
                f"n_modes={self.n_modes}, radius={self.radius}, std={self.std}."
            )


RING = Ring()


def ring_modes(ring: Ring = RING) -> torch.Tensor:
    """The ``[n_modes, 2]`` mode centres on the circle, the first at ``(radius, 0)``."""
    angles = torch.arange(ring.n_modes, dtype=torch.float32) * (2 * math.pi / ring.n_modes)
    return ring.radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def sample_ring(n: int, ring: Ring = RING, *, rng: torch.Generator | None = None) -> torch.Tensor:
    """``n`` real samples ``[n, 2]``: a uniformly chosen mode centre plus Gaussian noise of ``std``.

    ``rng`` (a seeded CPU ``torch.Generator``) makes the draw repeatable; ``None`` uses torch's
    global random state.
    """
    if n < 1:
        raise NstlibError(f"n must be a positive number of samples; got {n}.")
    which = torch.randint(ring.n_modes, (n,), generator=rng)
    noise = torch.randn(n, 2, generator=rng) * ring.std
    return ring_modes(ring)[which] + noise


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
    samples: torch.Tensor, ring: Ring = RING, *, k: float = 3.0, min_share: float = 0.25
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
    distances = torch.cdist(samples, ring_modes(ring))  # [N, n_modes]
    nearest_distance, nearest = distances.min(dim=1)
    good = nearest_distance <= k * ring.std
    counts = torch.bincount(nearest[good], minlength=ring.n_modes)
    covered = int((counts >= min_share * len(samples) / ring.n_modes).sum())
    return ModeCoverage(
        modes_covered=covered,
        n_modes=ring.n_modes,
        high_quality=float(good.float().mean()),
        counts=tuple(int(c) for c in counts),
    )
