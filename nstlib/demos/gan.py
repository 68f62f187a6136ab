"""Instructor demo for lesson 01: scrub through a GAN's saved training snapshots.

:func:`nstlib.gan_train.train_gan` records what the generator draws from one fixed batch of noise
every few steps. :class:`SnapshotScrubber` puts one slider over those snapshots and shows one
panel per run, side by side, so that two runs (a healthy one and a collapsed one) can be watched
at the same step. Points in the plane (the 2-D ring) are drawn as a scatter plot over the ring's
mode centres, with the mode coverage in the panel's title; images (the DCGAN) as a grid.

Nothing is trained or drawn when the slider moves: every snapshot is drawn once, when the demo is
built, and cached as a PNG, so the slider answers within 0.5 s on 2 CPU cores.
"""

from __future__ import annotations

import ipywidgets as widgets
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torchvision.utils import make_grid

from nstlib.demos import natural_size_picture
from nstlib.errors import NstlibError
from nstlib.gan_train import GANHistory
from nstlib.images import figure_png
from nstlib.ring import RING, ModeCoverage, Ring, mode_coverage, ring_modes


def _is_points(samples: torch.Tensor) -> bool:
    return samples.dim() == 2 and samples.shape[1] == 2


class SnapshotScrubber:
    """A slider over the snapshots of one or more GAN runs, one panel per run.

    Args:
        runs: ``{name: history}``; every history must hold snapshots at the same steps, all
            ``[N, 2]`` points (ring runs) or all ``[N, C, H, W]`` images in ``[-1, 1]``.
        ring: the ring the points were trained on (for the mode markers and the coverage
            count); ignored for images.
        images_per_row: columns of each image grid; ignored for points.
        max_images: at most this many images of each snapshot are shown.

    The demo interface (see :mod:`nstlib.demos`): ``widget`` is the box to display, ``picture``
    the panels, ``readout`` the step and modes covered, and :meth:`update` the slider's callback;
    ``last`` is the PNG shown and ``cache`` holds every snapshot's PNG by index. :meth:`frame` is
    the plain computation behind it and ``renders`` counts the cache misses.
    """

    def __init__(
        self,
        runs: dict[str, GANHistory],
        *,
        ring: Ring = RING,
        images_per_row: int = 8,
        max_images: int = 32,
    ) -> None:
        if not runs:
            raise NstlibError("runs is empty; pass {name: history} for at least one GAN run.")
        steps = [[s.step for s in h.snapshots] for h in runs.values()]
        if not steps[0] or any(s != steps[0] for s in steps):
            raise NstlibError(
                f"every run must have snapshots at the same steps; got {dict(zip(runs, steps, strict=True))}. "
                "Train them with the same steps and snapshot_every."
            )
        kinds = {_is_points(h.snapshots[0].samples) for h in runs.values()}
        if len(kinds) != 1:
            raise NstlibError("runs mix 2-D points and images; show them in two scrubbers.")
        self.runs = runs
        self.steps: list[int] = steps[0]
        self.points = kinds.pop()
        self.ring = ring
        self.images_per_row, self.max_images = images_per_row, max_images
        self.renders = 0
        self.cache: dict[int, bytes] = {}

        self.slider = widgets.IntSlider(
            value=len(self.steps) - 1,
            min=0,
            max=len(self.steps) - 1,
            description="snapshot",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="480px"),
        )
        self.picture = natural_size_picture()
        self.readout = widgets.HTML()
        self.widget = widgets.VBox([self.slider, self.readout, self.picture])
        # Draw every snapshot now (about 0.1 s each) so that moving the slider is a lookup.
        for index in range(len(self.steps)):
            self.frame(index)
        self.slider.observe(self.update, names="value")
        self.last: bytes = self.update()

    def frame(self, index: int) -> bytes:
        """The PNG of snapshot ``index`` (0 = before training), one panel per run (cached)."""
        if not 0 <= index < len(self.steps):
            raise NstlibError(f"index must be between 0 and {len(self.steps) - 1}; got {index}.")
        if index not in self.cache:
            self.renders += 1
            self.cache[index] = self._render(index)
        return self.cache[index]

    def coverage_line(self, index: int) -> str:
        """The readout for snapshot ``index``: its step and, for ring runs, each run's covered modes."""
        step = self.steps[index]
        if not self.points:
            return f"step {step} of {self.steps[-1]}"
        parts = [
            f"{name}: {self._coverage(h, index).modes_covered}/{self.ring.n_modes} modes"
            for name, h in self.runs.items()
        ]
        return f"step {step} of {self.steps[-1]} | " + ", ".join(parts)

    def _coverage(self, history: GANHistory, index: int) -> ModeCoverage:
        return mode_coverage(history.snapshots[index].samples, self.ring)

    def _render(self, index: int) -> bytes:
        n = len(self.runs)
        # dpi 100: 10-pt text is 14 px, readable on a projector at the picture's natural size.
        fig = Figure(figsize=(4.2 * n, 4.4) if self.points else (6.4 * n, 4.2), dpi=100)
        axes = fig.subplots(1, n, squeeze=False)[0]
        step = self.steps[index]
        for ax, (name, history) in zip(axes, self.runs.items(), strict=True):
            samples = history.snapshots[index].samples
            if self.points:
                self._scatter(ax, samples, name, history, index)
            else:
                shown = samples[: self.max_images].float()
                grid = make_grid(
                    shown, nrow=self.images_per_row, normalize=True, value_range=(-1, 1)
                )
                ax.imshow(grid.permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
                ax.set_title(f"{name}: samples at step {step}", fontsize=10)
                ax.set_xlabel("each row: generated images, fixed noise")
                ax.set_xticks([])
                ax.set_yticks([])
        fig.suptitle(f"Generator samples from a fixed batch of noise, step {step}")
        fig.tight_layout()
        return figure_png(fig)

    def _scatter(
        self, ax: Axes, samples: torch.Tensor, name: str, history: GANHistory, index: int
    ) -> None:
        modes, samples = ring_modes(self.ring).numpy(), samples.float().numpy()
        limit = 1.6 * self.ring.radius
        ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.3, label="generated")
        ax.scatter(modes[:, 0], modes[:, 1], marker="x", c="red", s=40, label="mode centres")
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        coverage = self._coverage(history, index)
        ax.set_title(
            f"{name}: {coverage.modes_covered}/{self.ring.n_modes} modes, "
            f"{coverage.high_quality:.0%} high-quality",
            fontsize=10,
        )
        ax.legend(loc="upper right", fontsize=9, markerscale=2)

    def update(self, change: dict | None = None) -> bytes:
        """Show the slider's current snapshot and its readout; return its PNG.

        ``change`` is the event ipywidgets passes to an observer; the slider's value is read
        directly, so calling ``update()`` by hand does the same.
        """
        self.last = self.frame(self.slider.value)
        self.picture.value = self.last
        self.readout.value = self.coverage_line(self.slider.value)
        return self.last
