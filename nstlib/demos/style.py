"""Instructor demo for lesson 05: Gatys' style weight (log scale) and style-layer set on one photo.

Gatys' optimisation takes seconds per picture even at 128 px, far too long for a slider. So
:class:`StyleGridDemo` computes a small grid once (a few style weights, a few layer sets) with
:func:`nstlib.stylize.stylize`, and the sliders then only look pictures up. The weight slider moves
in finer steps than the grid: a position that was not computed shows the nearest computed weight
and says so, and the "run" button computes it (and keeps it, so going back is instant).

Reference: Gatys, Ecker & Bethge (2015), "A Neural Algorithm of Artistic Style".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import torch
from tqdm.auto import tqdm

from nstlib.backbones import Backbone, check_layer_names
from nstlib.demos import natural_size_picture, zoomed_png
from nstlib.errors import NstlibError
from nstlib.images import check_image
from nstlib.stylize import stylize


@dataclass(frozen=True)
class GridResult:
    """One stylised picture of the grid.

    Attributes:
        image: ``[1, 3, H, W]`` in ``[0, 1]`` on the CPU.
        style_weight: the style weight it ran with (content weight 1, nstlib's convention).
        layers: the name of the style-layer set.
        style_loss, content_loss: the weighted loss terms of the returned image.
        seconds: the wall time of its optimisation.
    """

    image: torch.Tensor
    style_weight: float
    layers: str
    style_loss: float
    content_loss: float
    seconds: float


class StyleGridDemo:
    """A log-scale style-weight slider and a style-layer-set selector over precomputed pictures.

    Args:
        content, style: ``[1, 3, H, W]`` images in ``[0, 1]`` (any sizes: both are resized).
        backbone: a loaded :class:`nstlib.backbones.Backbone`, shared with the rest of the lesson.
        layer_sets: ``{label: style layer names}``, e.g. ``{"paper": ("relu1_1", ..., "relu5_1")}``.
        exponents: the grid's style weights as powers of ten, evenly spaced and increasing,
            e.g. ``(7, 8, 9, 10)`` for weights 1e7 to 1e10.
        size: the pictures' longer side in pixels.
        steps: L-BFGS steps per picture.
        device: where to run (default: :func:`nstlib.runtime.device`).

    Nothing is computed until :meth:`precompute` (or a look-up) asks for it. ``widget`` is the box
    to display, :meth:`update` the slider callback, ``picture`` the image widget, ``readout`` the
    text under it, ``last`` the result shown and ``cache`` the computed pictures by
    ``(exponent, label)``; ``computations`` counts optimisation runs.
    """

    def __init__(
        self,
        content: torch.Tensor,
        style: torch.Tensor,
        backbone: Backbone,
        *,
        layer_sets: Mapping[str, Sequence[str]],
        exponents: Sequence[float],
        size: int = 128,
        steps: int = 40,
        device: str | torch.device | None = None,
    ) -> None:
        check_image(content, "content")
        check_image(style, "style")
        if not layer_sets:
            raise NstlibError("layer_sets is empty; give at least one {label: [layer names]}.")
        for label, layers in layer_sets.items():
            check_layer_names(layers, backbone.layers, f"layer_sets[{label!r}]")
        exponents = [float(e) for e in exponents]
        if not exponents:
            raise NstlibError("exponents is empty; give the grid's weights as powers of ten.")
        gaps = {round(b - a, 6) for a, b in zip(exponents, exponents[1:], strict=False)}
        if len(gaps) > 1 or any(gap <= 0 for gap in gaps):
            raise NstlibError(
                f"exponents must be evenly spaced and increasing, e.g. (7, 8, 9); got {exponents}."
            )
        if steps < 1:
            raise NstlibError(f"steps must be at least 1, got {steps}.")
        self.content, self.style, self.backbone = content, style, backbone
        self.layer_sets = {label: tuple(layers) for label, layers in layer_sets.items()}
        self.exponents = exponents
        self.size, self.steps, self.device = size, steps, device
        self.computations = 0
        self.cache: dict[tuple[float, str], GridResult] = {}

        grid_step = gaps.pop() if gaps else 1.0
        self.weight_slider = widgets.FloatLogSlider(
            value=10 ** exponents[len(exponents) // 2],
            base=10,
            min=exponents[0],
            max=exponents[-1],
            step=grid_step / 2,  # every other position is off the grid: the "run" button's job
            description="style weight",
            readout_format=".1e",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.layers_buttons = widgets.ToggleButtons(
            options=list(self.layer_sets), description="style layers"
        )
        self.run_button = widgets.Button(description="run this setting", icon="play")
        self.picture = natural_size_picture()
        self.readout = widgets.HTML()
        self.widget = widgets.VBox(
            [
                self.weight_slider,
                self.layers_buttons,
                self.run_button,
                self.picture,
                self.readout,
            ]
        )
        self.weight_slider.observe(self.update, names="value")
        self.layers_buttons.observe(self.update, names="value")
        self.run_button.on_click(self._on_run)
        self.last: GridResult | None = None

    @property
    def grid(self) -> list[tuple[float, str]]:
        """Every (exponent, layer-set label) of the precomputed grid, in computing order."""
        return [(e, label) for label in self.layer_sets for e in self.exponents]

    def precompute(self, progress: bool = True) -> None:
        """Compute every picture of the grid (with a tqdm bar), then show the sliders' setting."""
        for exponent, label in tqdm(self.grid, desc="style grid", disable=not progress):
            self.result(exponent, label)
        self.update()

    def cached(self, exponent: float, label: str) -> GridResult | None:
        """The picture for ``10**exponent`` and ``label`` if it was computed, else ``None``."""
        return self.cache.get((round(exponent, 3), label))

    def result(self, exponent: float, label: str) -> GridResult:
        """The picture for style weight ``10**exponent`` and layer set ``label`` (computed once)."""
        if label not in self.layer_sets:
            raise NstlibError(
                f"label={label!r} is not a layer set; use one of {list(self.layer_sets)}."
            )
        key = (round(exponent, 3), label)
        if key not in self.cache:
            self.computations += 1
            run = stylize(
                self.content,
                self.style,
                size=self.size,
                steps=self.steps,
                style_weight=10 ** key[0],
                style_layers=self.layer_sets[label],
                backbone=self.backbone,
                device=self.device,
                progress=False,
            )
            self.cache[key] = GridResult(
                image=run.image,
                style_weight=10 ** key[0],
                layers=label,
                style_loss=run.history["style"][-1],
                content_loss=run.history["content"][-1],
                seconds=run.seconds,
            )
        return self.cache[key]

    def update(self, change: dict | None = None) -> GridResult | None:
        """The slider callback: show the sliders' setting, or the nearest computed weight.

        Never runs an optimisation: a setting that was not computed shows the nearest computed
        weight of the same layer set and a note to press "run this setting". With nothing at all
        computed for the layer set, the picture is cleared and ``None`` returned.
        """
        exponent = math.log10(self.weight_slider.value)
        label = self.layers_buttons.value
        found = self.cached(exponent, label)
        note = ""
        if found is None:
            done = [e for (e, lab) in self.cache if lab == label]
            if not done:
                self.picture.value = b""  # never leave another layer set's picture on screen
                self.readout.value = (
                    f"Nothing computed yet for the layer set <b>{label}</b>: press "
                    "<i>run this setting</i>."
                )
                self.last = None
                return None
            nearest = min(done, key=lambda e: abs(e - exponent))
            found = self.cache[(nearest, label)]
            note = (
                f"<br><b>Not computed:</b> weight {10**exponent:.1e}. Showing the nearest computed "
                f"weight, {found.style_weight:.1e}; press <i>run this setting</i> to compute it."
            )
        self.picture.value = zoomed_png(found.image[0], 384)  # 3x at 128 px, sharp pixels
        self.readout.value = (
            f"style weight <b>{found.style_weight:.1e}</b>, style layers <b>{label}</b> "
            f"({', '.join(self.layer_sets[label])}) &nbsp;|&nbsp; final losses: style "
            f"{found.style_loss:.3g}, content {found.content_loss:.3g} &nbsp;|&nbsp; "
            f"{self.size} px, {self.steps} L-BFGS steps in {found.seconds:.1f} s{note}"
        )
        self.last = found
        return found

    def run(self) -> GridResult:
        """Compute the sliders' current setting (seconds), keep it, and show it.

        A setting computed before is only shown again, with a line that says so: the press
        always changes what is on screen.
        """
        exponent, label = math.log10(self.weight_slider.value), self.layers_buttons.value
        known = self.cached(exponent, label) is not None
        self.run_button.disabled = True
        self.readout.value = "Running..."
        try:
            self.result(exponent, label)
        finally:
            self.run_button.disabled = False
        found = self.update()
        if known:
            self.readout.value += "<br><b>Already computed:</b> this is the stored result."
        return found

    def _on_run(self, button: widgets.Button) -> None:
        self.run()
