"""Lesson 03's toy task and instructor demo: what each PatchGAN output cell sees and says.

The toy task. A PatchGAN learns *local* texture statistics, so we train one to tell a texture from
a degraded copy of it:

* :func:`blur`, a Gaussian blur (detail lost, as in an over-smoothed generator output);
* :func:`checkerboard`, the period-2 brightness pattern left by a stride-2 transposed
  convolution whose kernel size is not a multiple of its stride (Odena et al. 2016,
  "Deconvolution and Checkerboard Artifacts"): with kernel 3 and stride 2, along each axis every
  other output pixel receives two kernel taps instead of one.

:func:`random_crops` samples training patches and :func:`half_and_half` builds the test image:
real on the left, degraded on the right.

The demo. :class:`ReceptiveFieldDemo` has three sliders, ``n_layers`` and an output cell's row
and column; it outlines on the image the square patch that cell sees (16, 34, 70, 142 or 286
pixels for ``n_layers`` 1…5), over a grey margin that stands for the zero padding, and, for the
trained 3-layer net, shows the cell on the discriminator's score map. Moving a slider draws two
small pictures with Pillow: no network runs.

References: Isola et al. 2017 (pix2pix, the PatchGAN); Zhu et al. 2017 (CycleGAN).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib import colormaps
from PIL import Image, ImageDraw
from torchvision.transforms.v2 import functional as TF

from nstlib.errors import NstlibError
from nstlib.images import check_image, check_same_shape, png_bytes
from nstlib.patchgan import CellPatch, PatchDiscriminator, cell_patch, conv_layers, output_size

# Along one axis, a kernel-3 stride-2 transposed conv gives even outputs 2 taps and odd outputs 1.
TAPS = (2.0, 1.0)


def _check_batch(images: torch.Tensor, name: str) -> None:
    check_image(images, name)
    if min(images.shape[-2:]) < 2:
        raise NstlibError(f"{name} must be at least 2×2 pixels; got {list(images.shape)}.")


def blur(images: torch.Tensor, sigma: float = 1.5) -> torch.Tensor:
    """Gaussian blur of ``[B, 3, H, W]`` images (any range; kernel ``2·⌈3σ⌉ + 1``, reflect pad)."""
    _check_batch(images, "images")
    if sigma <= 0:
        raise NstlibError(f"sigma must be positive; got {sigma}.")
    size = 2 * int(np.ceil(3 * sigma)) + 1
    if min(images.shape[-2:]) <= size // 2:  # reflect padding needs more pixels than its width
        raise NstlibError(
            f"images of {images.shape[-2]}×{images.shape[-1]} px are too small to blur with "
            f"sigma={sigma} (kernel {size} px); use larger images or a smaller sigma."
        )
    return TF.gaussian_blur(images, [size, size], [sigma, sigma])


def checkerboard_pattern(height: int, width: int) -> torch.Tensor:
    """``[height, width]`` overlap counts of a k3 s2 transposed conv, divided by their mean.

    Rows and columns alternate 2, 1, 2, 1… taps; the 2-D count is their product (4, 2, 2, 1 in
    each 2×2 cell), so the pattern's values are 16/9, 8/9 and 4/9 (mean 1 on even sizes).
    """
    rows = torch.tensor(TAPS).repeat(height // 2 + 1)[:height]
    cols = torch.tensor(TAPS).repeat(width // 2 + 1)[:width]
    counts = torch.outer(rows, cols)
    return counts / (sum(TAPS) / 2) ** 2


def checkerboard(images: torch.Tensor, strength: float = 0.25) -> torch.Tensor:
    """Multiply ``[B, 3, H, W]`` images in ``[0, 1]`` by ``1 + strength·(pattern − 1)``, clipped.

    ``pattern`` is :func:`checkerboard_pattern`; ``strength = 0`` returns the images unchanged,
    ``strength = 1`` gives the full uneven-overlap brightness (up to ×1.78 and down to ×0.44).
    """
    _check_batch(images, "images")
    if not 0 <= strength <= 1:
        raise NstlibError(f"strength must be in [0, 1]; got {strength}.")
    pattern = checkerboard_pattern(*images.shape[-2:]).to(images.device, images.dtype)
    return (images * (1 + strength * (pattern - 1))).clamp(0, 1)


def random_crops(
    image: torch.Tensor, size: int, count: int, generator: torch.Generator
) -> torch.Tensor:
    """``count`` random ``size``×``size`` crops of a ``[1, 3, H, W]`` image: ``[count, 3, size, size]``.

    Positions are drawn from ``generator`` (a CPU ``torch.Generator``), so a seeded generator
    gives the same crops on every device.
    """
    _check_batch(image, "image")
    h, w = image.shape[-2:]
    if image.shape[0] != 1 or not 1 <= size <= min(h, w) or count < 1:
        raise NstlibError(
            f"need one image [1, 3, H, W], 1 ≤ size ≤ min(H, W) and count ≥ 1; got "
            f"{list(image.shape)}, size={size}, count={count}."
        )
    tops = torch.randint(h - size + 1, (count,), generator=generator).tolist()
    lefts = torch.randint(w - size + 1, (count,), generator=generator).tolist()
    return torch.cat(
        [image[..., t : t + size, s : s + size] for t, s in zip(tops, lefts, strict=True)]
    )


def half_and_half(real: torch.Tensor, degraded: torch.Tensor) -> torch.Tensor:
    """The left half of ``real`` next to the right half of ``degraded`` (same shape ``[B, 3, H, W]``)."""
    _check_batch(real, "real")
    check_same_shape(real, degraded, ("real", "degraded"))
    half = real.shape[-1] // 2
    return torch.cat([real[..., :half], degraded[..., half:]], dim=-1)


class ReceptiveFieldDemo:
    """Sliders ``n_layers``, row and column: the patch one PatchGAN output cell sees.

    Args:
        image: ``[1, 3, S, S]`` square image in ``[0, 1]`` (e.g. lesson 03's half-and-half test
            image at 256 px).
        scores: optional ``[S', S']`` map of the trained 3-layer discriminator's "how real"
            scores on ``image`` (0 = fake, 1 = real); shown next to the image when
            ``n_layers`` is 3.
        max_layers: the largest ``n_layers`` the slider offers (1…5 give RF 16…286).

    ``widget`` is the ipywidgets box to display; :meth:`show` is the callback behind it and
    returns the cell's :class:`~nstlib.patchgan.CellPatch`.
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
        self.picture = Image.fromarray(pixels.numpy())
        # The grey margin must hold the largest overhang of any cell's patch (the padding).
        first = [cell_patch(specs, (0, 0), size) for specs in self.layers.values()]
        last = [
            cell_patch(specs, (self.map_sizes[n] - 1,) * 2, size)
            for n, specs in self.layers.items()
        ]
        self.margin = max(0, *(-p.top for p in first), *(p.top + p.size - size for p in last))

        style = {"description_width": "initial"}
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
        self.image_view = widgets.Image(format="png")
        self.score_view = widgets.Image(format="png")
        self.readout = widgets.HTML()
        columns = [
            widgets.VBox([widgets.HTML("<b>image, the cell's patch in red</b>"), self.image_view]),
            widgets.VBox([widgets.HTML("<b>trained D's score map</b>"), self.score_view]),
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
        self.show()

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
        self.show()

    def _on_cell(self, change: dict) -> None:
        if not self._updating:
            self.show()

    def show(self) -> CellPatch:
        """Draw the current cell's patch (and score) for the sliders' values; return the patch."""
        n = self.layers_slider.value
        cell = (self.row_slider.value, self.col_slider.value)
        patch = cell_patch(self.layers[n], cell, self.size)
        m = self.margin
        canvas = Image.new("RGB", (self.size + 2 * m, self.size + 2 * m), (150, 150, 150))
        canvas.paste(self.picture, (m, m))
        draw = ImageDraw.Draw(canvas)
        top, left = patch.top + m, patch.left + m
        draw.rectangle(
            (left, top, left + patch.size - 1, top + patch.size - 1), outline=(230, 20, 20), width=3
        )
        self.image_view.value = png_bytes(canvas)
        map_size = self.map_sizes[n]
        text = (
            f"n_layers = {n}: receptive field <b>{patch.size}×{patch.size}</b> px, output map "
            f"<b>{map_size}×{map_size}</b>, neighbouring cells {self._jump(n)} px apart.<br>"
            f"cell {cell} sees rows {patch.top}…{patch.top + patch.size - 1} and columns "
            f"{patch.left}…{patch.left + patch.size - 1}; inside the image: "
            f"{patch.clipped.height}×{patch.clipped.width} px (the grey margin is zero padding)."
        )
        if self.scores is not None and n == 3:
            self.score_view.value = png_bytes(self._score_picture(cell))
            text += f"<br>trained D's score for this cell: <b>{self.scores[cell].item():.2f}</b>"
            text += " (1 = real texture, 0 = degraded)."
        else:
            self.score_view.value = png_bytes(Image.new("RGB", (1, 1), (255, 255, 255)))
            if self.scores is not None:
                text += (
                    "<br>(the trained D has n_layers = 3: set the slider to 3 to see its scores.)"
                )
        self.readout.value = text
        return patch

    def _jump(self, n_layers: int) -> int:
        return int(np.prod([stride for _, stride, _ in self.layers[n_layers]]))

    def _score_picture(self, cell: tuple[int, int]) -> Image.Image:
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
