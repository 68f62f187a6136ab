"""Instructor demo for lesson 02: scale the residual branch and watch what happens to a photo.

A stack of ``n`` untrained CycleGAN residual blocks works directly on the photo's 3 channels (in
``[-1, 1]``), each computing ``y ← y + α·F(y)``. At ``α = 0`` the stack is exactly the identity;
as ``α`` grows, the corrections swamp the photo. Next to it runs the *plain* stack ``y ← F(y)``
with the same weights: without the skip the photo is lost after the first block, whatever α.

The two sliders drive :meth:`BranchScaleDemo.update`. Every slider position is computed once when
the demo is built, so moving a slider only looks up a result and encodes one small PNG.

Reference: He et al. 2016, "Deep Residual Learning for Image Recognition"; Zhu et al. 2017
(CycleGAN's ``ResnetBlock``).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import torch
from torch.nn import functional as F
from torchvision.utils import make_grid

from nstlib.blocks import ResidualBlock
from nstlib.demos import natural_size_picture
from nstlib.errors import NstlibError
from nstlib.images import check_image, png_bytes, to_signed, to_unit
from nstlib.metrics import correlation, relative_change


@dataclass(frozen=True)
class StackResult:
    """One demo answer: the residual and plain stacks' outputs and how far each moved from x.

    ``residual`` and ``plain`` are ``[1, 3, H, W]`` in the signed image range (values beyond
    ``[-1, 1]`` are kept; only the displayed picture clips them). ``clipped`` is the fraction of
    the residual output's values outside ``[-1, 1]``.
    """

    residual: torch.Tensor
    plain: torch.Tensor
    residual_change: float
    plain_change: float
    residual_correlation: float
    plain_correlation: float
    clipped: float


class BranchScaleDemo:
    """Two sliders, branch scale α and number of blocks n, over a stack of untrained blocks.

    Args:
        image: ``[1, 3, H, W]`` photo in ``[0, 1]`` (e.g. ``nstlib.data.photo("chelsea", 96)``).
        max_blocks: the largest n the depth slider offers.
        max_alpha: the largest α the scale slider offers.
        seed: seeds the blocks' random weights.

    The demo interface (see :mod:`nstlib.demos`): ``widget`` is the box to display, ``picture``
    the input, residual and plain outputs side by side, ``readout`` their measures, and
    :meth:`update` the sliders' callback; ``last`` is the :class:`StackResult` shown and ``cache``
    holds every computed one by ``(α, n)``. :meth:`result` is the plain computation behind it,
    and ``computations`` counts the cache misses.
    """

    def __init__(
        self, image: torch.Tensor, max_blocks: int = 8, max_alpha: float = 3.0, seed: int = 0
    ) -> None:
        check_image(image, "image")
        if image.shape[0] != 1:
            raise NstlibError(
                f"image must be one photo [1, 3, H, W]; got a batch of {image.shape[0]}."
            )
        if min(image.shape[-2:]) < 2:
            raise NstlibError(f"image must be at least 2×2 pixels; got {list(image.shape)}.")
        if max_blocks < 1 or max_alpha <= 0:
            raise NstlibError(
                f"need max_blocks ≥ 1 and max_alpha > 0; got {max_blocks} and {max_alpha}."
            )
        self.x = to_signed(image.detach().float().cpu())
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.blocks = [ResidualBlock(3).eval() for _ in range(max_blocks)]
        self._plain: list[torch.Tensor] = []  # the plain stack ignores α: one output per depth
        y = self.x
        with torch.no_grad():
            for block in self.blocks:
                y = block.branch(y)
                self._plain.append(y)
        self.computations = 0
        self.cache: dict[tuple[float, int], StackResult] = {}

        wide_label = {"description_width": "initial"}
        self.alpha_slider = widgets.FloatSlider(
            value=1.0,
            min=0.0,
            max=max_alpha,
            step=0.1,
            description="α (branch scale)",
            style=wide_label,
        )
        self.blocks_slider = widgets.IntSlider(
            value=1, min=1, max=max_blocks, description="blocks n", style=wide_label
        )
        captions = widgets.HTML(
            "<b>left:</b> input x &nbsp;|&nbsp; <b>middle:</b> residual, y ← y + α·F(y) "
            "&nbsp;|&nbsp; <b>right:</b> plain, y ← F(y)"
        )
        # One PNG of three panels, small photos zoomed by an integer factor (nearest neighbour).
        self.picture = natural_size_picture()
        # The lesson's 128-px photo is doubled (sharp pixels); at most 2x, so a slider stays fast.
        self.zoom = min(2, max(1, -(-256 // self.x.shape[-1])))
        self.readout = widgets.HTML()
        self.widget = widgets.VBox(
            [self.alpha_slider, self.blocks_slider, captions, self.picture, self.readout]
        )
        # Precompute every slider position (a few hundred ms) so that moving a slider is a lookup.
        for step in range(round(max_alpha / self.alpha_slider.step) + 1):
            self.result(step * self.alpha_slider.step, 1)
        self.alpha_slider.observe(self.update, names="value")
        self.blocks_slider.observe(self.update, names="value")
        self.last: StackResult = self.update()

    def result(self, alpha: float, n_blocks: int) -> StackResult:
        """The stacks' outputs after ``n_blocks`` blocks with branch scale ``alpha`` (cached).

        The residual stack computes ``y ← y + α·F_k(y)`` for k = 1..n; the plain stack
        ``y ← F_k(y)`` with the same weights. α must be ≥ 0, n between 1 and ``max_blocks``.
        """
        if not 1 <= n_blocks <= len(self.blocks):
            raise NstlibError(f"n_blocks must be between 1 and {len(self.blocks)}; got {n_blocks}.")
        if alpha < 0:
            raise NstlibError(f"alpha must be ≥ 0; got {alpha}.")
        key = (round(float(alpha), 6), int(n_blocks))
        if key not in self.cache:
            self._run(key[0])
        return self.cache[key]

    def _run(self, alpha: float) -> None:
        """One pass through all the blocks at scale ``alpha``, caching every depth on the way."""
        self.computations += 1
        residual = self.x
        with torch.no_grad():
            for n, (block, plain) in enumerate(zip(self.blocks, self._plain, strict=True), start=1):
                residual = residual + alpha * block.branch(residual)
                self.cache[(alpha, n)] = StackResult(
                    residual=residual,
                    plain=plain,
                    residual_change=relative_change(residual, self.x),
                    plain_change=relative_change(plain, self.x),
                    residual_correlation=correlation(residual, self.x),
                    plain_correlation=correlation(plain, self.x),
                    clipped=(residual.abs() > 1).float().mean().item(),
                )

    def update(self, change: dict | None = None) -> StackResult:
        """Show the result for the sliders' current values in the picture and the readout.

        ``change`` is the event ipywidgets passes to an observer; the sliders' values are read
        directly, so calling ``update()`` by hand does the same. Returns the shown result.
        """
        r = self.result(self.alpha_slider.value, self.blocks_slider.value)
        panels = torch.cat([self.x, r.residual, r.plain]).cpu()
        # Clamp before the grid so values beyond [-1, 1] show as black/white, not as the gap colour.
        zoomed = F.interpolate(to_unit(panels).clamp(0, 1), scale_factor=self.zoom, mode="nearest")
        strip = make_grid(zoomed, nrow=3, padding=4, pad_value=1.0)
        self.picture.value = png_bytes(strip)
        self.readout.value = (
            f"relative change ‖y−x‖/‖x‖: residual <b>{r.residual_change:.2f}</b>, "
            f"plain <b>{r.plain_change:.2f}</b> &nbsp;|&nbsp; correlation with x: residual "
            f"<b>{r.residual_correlation:.2f}</b>, plain <b>{r.plain_correlation:.2f}</b>"
            f"<br>{100 * r.clipped:.0f}% of the residual output lies outside [−1, 1] "
            "(shown clipped to black/white)."
        )
        self.last = r
        return r
