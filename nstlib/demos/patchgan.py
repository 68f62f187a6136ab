"""Lesson 03's instructor demo: what each PatchGAN output cell sees and says.

:class:`ReceptiveFieldDemo` has three sliders, ``n_layers`` and an output cell's row and column; it
outlines on the image the square patch that cell sees (16, 34, 70, 142 or 286 pixels for
``n_layers`` 1…5), over a grey margin that stands for the zero padding, and, for the trained
3-layer net of lesson 03's toy task (:mod:`nstlib.patch_task`), shows the cell on the
discriminator's score map. Moving a slider draws two small pictures with Pillow: no network runs.

References: Isola et al. 2017 (pix2pix, the PatchGAN); Zhu et al. 2017 (CycleGAN).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib import colormaps
from PIL import Image, ImageDraw

from nstlib.demos import natural_size_picture
from nstlib.errors import NstlibError
from nstlib.images import check_image, png_bytes
from nstlib.patchgan import CellPatch, PatchDiscriminator, cell_patch, conv_layers, output_size


class ReceptiveFieldDemo:
    """Sliders ``n_layers``, row and column: the patch one PatchGAN output cell sees.

    Args:
        image: ``[1, 3, S, S]`` square image in ``[0, 1]`` (e.g. lesson 03's half-and-half test
            image at 256 px).
        scores: optional ``[S', S']`` map of the trained 3-layer discriminator's "how real"
            scores on ``image`` (0 = fake, 1 = real); shown next to the image when
            ``n_layers`` is 3.
        max_layers: the largest ``n_layers`` the slider offers (1…5 give RF 16…286).

    ``widget`` is the ipywidgets box to display; :meth:`update` is the callback behind it and
    returns the cell's :class:`~nstlib.patchgan.CellPatch`, also kept as ``last``. ``picture``
    shows the image with the patch, ``score_picture`` the score map, ``readout`` the numbers.
    """

    def __init__(
        self, image: torch.Tensor, scores: torch.Tensor | None = None, max_layers: int = 5
    ) -> None:
        check_image(image, "image")
        size = image.shape[-1]
        if image.shape[0] != 1 or image.shape[-2] != size:
            raise NstlibError(
                f"image must be one square image [1, 3, S, S]; got {list(image.shape)}."
            )
        if max_layers < 1:
            raise NstlibError(f"max_layers must be at least 1; got {max_layers}.")
        # The convs' kernels, strides and paddings do not depend on the width: ndf=1 is enough.
        self.layers = {
            n: conv_layers(PatchDiscriminator(ndf=1, n_layers=n, norm="none"))
            for n in range(1, max_layers + 1)
        }
        self.map_sizes = {n: output_size(specs, size) for n, specs in self.layers.items()}
        if min(self.map_sizes.values()) < 1:
            raise NstlibError(
                f"a {size}² image is too small for n_layers up to {max_layers}; use a larger "
                "image or a smaller max_layers."
            )
        if scores is not None and max_layers < 3:
            raise NstlibError(
                f"scores come from the 3-layer PatchGAN; use max_layers ≥ 3 (got {max_layers})."
            )
        if scores is not None and tuple(scores.shape) != (self.map_sizes[3],) * 2:
            raise NstlibError(
                f"scores must be the 3-layer PatchGAN's [{self.map_sizes[3]}, "
                f"{self.map_sizes[3]}] map for this image; got {list(scores.shape)}."
            )
        self.size = size
        self.scores = None if scores is None else scores.detach().float().cpu()
        pixels = (image[0].detach().cpu().clamp(0, 1).permute(1, 2, 0) * 255).to(torch.uint8)
        self.source = Image.fromarray(pixels.numpy())
        # The grey margin must hold the largest overhang of any cell's patch (the padding).
        first = [cell_patch(specs, (0, 0), size) for specs in self.layers.values()]
        last = [
            cell_patch(specs, (self.map_sizes[n] - 1,) * 2, size)
            for n, specs in self.layers.items()
        ]
        self.margin = max(0, *(-p.top for p in first), *(p.top + p.size - size for p in last))

        style = {"description_width": "90px"}  # one label width, so the three tracks line up
        start_layers = min(3, max_layers)
        last, middle = self.map_sizes[start_layers] - 1, self.map_sizes[start_layers] // 2
        self.layers_slider = widgets.IntSlider(
            value=start_layers, min=1, max=max_layers, description="n_layers", style=style
        )
        # max first: an IntSlider's default max of 100 would clamp a larger starting value.
        self.row_slider = widgets.IntSlider(
            value=middle, min=0, max=last, description="cell row", style=style
        )
        self.col_slider = widgets.IntSlider(
            value=middle, min=0, max=last, description="cell column", style=style
        )
        self._set_ranges()
        self.picture = natural_size_picture()
        self.score_picture = natural_size_picture()
        self.readout = widgets.HTML()
        columns = [
            widgets.VBox([widgets.HTML("<b>image, the cell's patch in red</b>"), self.picture]),
            widgets.VBox([widgets.HTML("<b>trained D's score map</b>"), self.score_picture]),
        ]
        self.widget = widgets.VBox(
            [
                self.layers_slider,
                self.row_slider,
                self.col_slider,
                widgets.HBox(columns),
                self.readout,
            ]
        )
        self._updating = False
        self.layers_slider.observe(self._on_layers, names="value")
        self.row_slider.observe(self._on_cell, names="value")
        self.col_slider.observe(self._on_cell, names="value")
        self.update()

    def _set_ranges(self) -> None:
        last = self.map_sizes[self.layers_slider.value] - 1
        for slider in (self.row_slider, self.col_slider):
            slider.value = min(slider.value, last)
            slider.max = last

    def _on_layers(self, change: dict) -> None:
        self._updating = True  # the row/column sliders may move while their ranges change
        try:
            self._set_ranges()
        finally:
            self._updating = False
        self.update()

    def _on_cell(self, change: dict) -> None:
        if not self._updating:
            self.update()

    def update(self, change: dict | None = None) -> CellPatch:
        """Draw the current cell's patch (and score) for the sliders' values; return the patch."""
        n = self.layers_slider.value
        cell = (self.row_slider.value, self.col_slider.value)
        patch = cell_patch(self.layers[n], cell, self.size)
        m = self.margin
        canvas = Image.new("RGB", (self.size + 2 * m, self.size + 2 * m), (150, 150, 150))
        canvas.paste(self.source, (m, m))
        draw = ImageDraw.Draw(canvas)
        top, left = patch.top + m, patch.left + m
        draw.rectangle(
            (left, top, left + patch.size - 1, top + patch.size - 1), outline=(230, 20, 20), width=3
        )
        self.picture.value = png_bytes(canvas)
        map_size = self.map_sizes[n]
        text = (
            f"n_layers = {n}: receptive field <b>{patch.size}×{patch.size}</b> px, output map "
            f"<b>{map_size}×{map_size}</b>, neighbouring cells {self._jump(n)} px apart.<br>"
            f"cell {cell} sees rows {patch.top}…{patch.top + patch.size - 1} and columns "
            f"{patch.left}…{patch.left + patch.size - 1}; inside the image: "
            f"{patch.clipped.height}×{patch.clipped.width} px (the grey margin is zero padding)."
        )
        if self.scores is not None and n == 3:
            self.score_picture.value = png_bytes(self._score_map(cell))
            text += f"<br>trained D's score for this cell: <b>{self.scores[cell].item():.2f}</b>"
            text += " (1 = real texture, 0 = degraded)."
        else:
            self.score_picture.value = png_bytes(Image.new("RGB", (1, 1), (255, 255, 255)))
            if self.scores is not None:
                text += (
                    "<br>(the trained D has n_layers = 3: set the slider to 3 to see its scores.)"
                )
        self.readout.value = text
        self.last = patch
        return patch

    def _jump(self, n_layers: int) -> int:
        return int(np.prod([stride for _, stride, _ in self.layers[n_layers]]))

    def _score_map(self, cell: tuple[int, int]) -> Image.Image:
        """The score map in the viridis colours, 8 px per cell, the chosen cell outlined in red."""
        scale = 8
        rgb = colormaps["viridis"](self.scores.clamp(0, 1).numpy())[..., :3]
        picture = Image.fromarray((rgb * 255).astype(np.uint8)).resize(
            (self.scores.shape[1] * scale, self.scores.shape[0] * scale), Image.Resampling.NEAREST
        )
        row, col = cell
        ImageDraw.Draw(picture).rectangle(
            (col * scale, row * scale, (col + 1) * scale - 1, (row + 1) * scale - 1),
            outline=(230, 20, 20),
            width=2,
        )
        return picture
