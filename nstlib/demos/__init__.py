"""The instructors' live demos: one module per lesson topic, widgets only.

A demo is a plain-Python computation plus the ipywidgets that drive it. Networks, samplers and
metrics live in the concept modules (``nstlib.ring``, ``nstlib.metrics``, ...); a demo only calls
them and shows the answer. Every demo class speaks the same small interface:

================  ==================================================================
``demo.widget``   the ipywidgets container to display (the last line of a lesson cell)
``demo.update``   the callback, ``update(change=None)``: reads the controls, refreshes the
                  picture and the readout, and returns the new result
``demo.readout``  the text widget (``widgets.HTML``) with the numbers for the current result
``demo.picture``  the picture widget (``widgets.Image``, PNG bytes)
``demo.last``     the result ``update`` last returned
``demo.cache``    a dict of results already computed, so moving a control back is a lookup
================  ==================================================================

The result itself is a small object (or the PNG) that tests assert on: every slider is
unit-tested headlessly by setting ``slider.value`` (``observe`` fires synchronously) and reading
``demo.last``. Expensive results are precomputed or cached, so a slider answers within 0.5 s on
2 CPU cores (0.2 s for lesson 06).
"""

import ipywidgets as widgets
import torch
from torch.nn import functional as F

from nstlib.images import png_bytes


def natural_size_picture() -> widgets.Image:
    """An empty PNG picture widget that shows each picture at its own size.

    ipywidgets boxes are CSS flex boxes that stretch their children across (``align-items:
    stretch``): in a ``VBox`` a 288-px figure filled the 930-px output area, blurred and taller than
    the screen; in an ``HBox`` a picture was stretched to the row's height. ``align_self`` keeps the
    PNG's own size; ``max_width`` shrinks a picture wider than the output area instead of cutting
    it off.
    """
    return widgets.Image(
        format="png",
        layout=widgets.Layout(align_self="flex-start", max_width="100%", height="auto"),
    )


def zoomed_png(image: torch.Tensor, min_width: int) -> bytes:
    """PNG bytes of a ``[3, H, W]`` image in ``[0, 1]``, each pixel repeated to reach ``min_width``.

    A 128-px result is too small to see on a laptop, and letting the browser stretch it blurs
    it. An integer nearest-neighbour zoom keeps every pixel a sharp square, so the picture
    is shown at its natural size (see :func:`natural_size_picture`).
    """
    zoom = max(1, -(-min_width // image.shape[-1]))  # ceiling division
    return png_bytes(F.interpolate(image[None].float(), scale_factor=zoom, mode="nearest")[0])
