"""Live demos for lesson 06: blend the 26 built-in styles, and dial an arbitrary style's strength.

* :class:`StyleBlendDemo`: one slider per chosen style of :class:`nstlib.cin.MultiStyleNet`;
  every release re-runs the network (one forward pass at 256 px, about 0.1–0.2 s on 2 cores).
* :class:`StrengthDemo`: a style drop-down and a strength slider for
  :class:`nstlib.arbitrary.ArbitraryStylizer`. Predicting a painting's style vector is the slow
  half, so every painting's vector is computed once when the demo is built; one stylisation from
  a known vector (about 50 ms at 384×384 on 2 cores) then runs on demand and is kept.

Both share the demos' vocabulary: ``widget`` is the box to display, ``update(change=None)`` the
callback (it returns the new result), ``picture`` the image widget, ``readout`` the text under it
and ``last`` the last result (``weights``/``strength``, ``image``, ``seconds``), which the unit
tests read after setting ``slider.value``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import torch

from nstlib.arbitrary import ArbitraryStylizer, blend_vectors
from nstlib.cin import MultiStyleNet, style_mix
from nstlib.demos import natural_size_picture
from nstlib.errors import NstlibError
from nstlib.images import png_bytes
from nstlib.transformer_net import stylize_with_network


class StyleBlendDemo:
    """Sliders that blend a few of the 26 built-in styles on one photo.

    Args:
        net: the pretrained :class:`MultiStyleNet` (:func:`nstlib.cin.load_multistyle26`).
        content: ``[1, 3, H, W]`` in ``[0, 1]``, already at display size (e.g. 256 px).
        styles: the style indices that get a slider (2 to 6 of them).
        initial: their starting weights (default: all on the first style).

    The weights are normalised to sum to 1 before they reach the network (a convex blend).
    ``last`` holds the last ``weights``, ``image`` and ``seconds``.
    """

    def __init__(
        self,
        net: MultiStyleNet,
        content: torch.Tensor,
        styles: Sequence[int],
        initial: Sequence[float] | None = None,
    ) -> None:
        if not 2 <= len(styles) <= 6:
            raise NstlibError(f"give 2 to 6 style indices to blend; got {len(styles)}.")
        if len(set(styles)) != len(styles):
            raise NstlibError(f"styles {list(styles)} repeats an index; give each style once.")
        initial = list(initial) if initial is not None else [1.0] + [0.0] * (len(styles) - 1)
        if len(initial) != len(styles):
            raise NstlibError(f"initial has {len(initial)} weights for {len(styles)} styles.")
        self.net, self.styles = net, list(styles)
        device = next(net.parameters()).device
        self.content = content.to(device)
        self.sliders = [
            widgets.FloatSlider(
                value=weight,
                min=0.0,
                max=1.0,
                step=0.05,
                description=f"style {index}",
                continuous_update=False,
            )
            for index, weight in zip(self.styles, initial, strict=True)
        ]
        self.picture = natural_size_picture()
        self.readout = widgets.Label()
        self.last: dict[str, object] = {}
        for slider in self.sliders:
            slider.observe(self.update, names="value")
        self.widget = widgets.VBox(
            [widgets.HBox([widgets.VBox(self.sliders), self.picture]), self.readout]
        )
        self.update()

    def update(self, change: object = None) -> dict[str, object]:
        """Re-run the network with the sliders' blend; show and return the result and its time.

        With every weight at 0 there is no blend: the readout says so and ``last`` is kept.
        """
        start = time.perf_counter()
        weights = {i: s.value for i, s in zip(self.styles, self.sliders, strict=True)}
        if sum(weights.values()) <= 0:
            self.readout.value = "All weights are 0: give at least one style a weight."
            return self.last
        mix = style_mix(weights).to(self.content.device)
        output = stylize_with_network(lambda x: self.net(x, mix), self.content)
        self.picture.value = png_bytes(output)
        seconds = time.perf_counter() - start
        shown = " + ".join(f"{mix[i].item():.2f}·style {i}" for i in self.styles if mix[i] > 0)
        self.readout.value = f"{shown}  ({seconds * 1000:.0f} ms)"
        self.last = {"weights": mix.cpu(), "image": output.cpu(), "seconds": seconds}
        return self.last


class StrengthDemo:
    """A style drop-down and a strength slider for the arbitrary-style network.

    Args:
        stylizer: an :class:`ArbitraryStylizer`.
        content: ``[1, 3, H, W]`` in ``[0, 1]``.
        styles: ``{name: style image [1, 3, H, W] in [0, 1]}`` offered in the drop-down.
        strength: the starting strength in ``[0, 1]`` (the slider moves in steps of 0.1).

    Building the demo predicts every painting's style vector; each (style, strength) picture is
    computed the first time it is shown and kept in ``cache``. ``last`` holds the last ``style``,
    ``strength``, ``image`` and ``seconds``.
    """

    def __init__(
        self,
        stylizer: ArbitraryStylizer,
        content: torch.Tensor,
        styles: Mapping[str, torch.Tensor],
        strength: float = 1.0,
    ) -> None:
        if not styles:
            raise NstlibError("styles is empty; give at least one {name: image}.")
        if not 0.0 <= strength <= 1.0:
            raise NstlibError(f"strength must be between 0 and 1; got {strength}.")
        self.stylizer, self.content = stylizer, content
        self.own_vector = stylizer.style_vector(content)
        self.vectors = {name: stylizer.style_vector(image) for name, image in styles.items()}
        self.cache: dict[tuple[str, float], tuple[torch.Tensor, bytes]] = {}
        self.dropdown = widgets.Dropdown(options=list(styles), description="style")
        self.slider = widgets.FloatSlider(
            value=strength,
            min=0.0,
            max=1.0,
            step=0.1,
            description="strength",
            continuous_update=False,
        )
        self.picture = natural_size_picture()
        self.readout = widgets.Label()
        self.last: dict[str, object] = {}
        self.dropdown.observe(self.update, names="value")
        self.slider.observe(self.update, names="value")
        self.widget = widgets.VBox(
            [widgets.HBox([self.dropdown, self.slider]), self.picture, self.readout]
        )
        self.update()

    def update(self, change: object = None) -> dict[str, object]:
        """Show and return the picture for the current style and strength (computed once)."""
        start = time.perf_counter()
        name, strength = self.dropdown.value, round(self.slider.value, 1)
        if (name, strength) not in self.cache:
            vector = blend_vectors(self.own_vector, self.vectors[name], strength)
            output = self.stylizer.stylize(self.content, vector)
            self.cache[name, strength] = (output, png_bytes(output))
        output, png = self.cache[name, strength]
        self.picture.value = png
        seconds = time.perf_counter() - start
        self.readout.value = (
            f"style vector = {strength:.1f}·v({name}) + {1 - strength:.1f}·v(photo)"
        )
        self.last = {"style": name, "strength": strength, "image": output, "seconds": seconds}
        return self.last
