"""Lesson 04's widgets: a live loss plot, a slider over training snapshots, a pretrained blend.

* :class:`LiveLossPlot` is a :func:`nstlib.cyclegan_train.train` callback that redraws the loss
  curves in place while the lesson's toy CycleGAN (:mod:`nstlib.toy_cyclegan`) trains.
* :class:`SnapshotDemo` scrubs with a slider through the pictures and score curves of a longer
  run (:mod:`nstlib.snapshots`), instantly: everything is rendered once, up front.
* :class:`BlendDemo` blends a photo with its translation by the pretrained modern → vintage
  generator (:mod:`nstlib.pretrained`): ``(1 − α)·x + α·G(x)``.

Reference: Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks".
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch
from IPython.display import display
from matplotlib.figure import Figure
from PIL import Image
from torch import nn

from nstlib.cyclegan_train import CycleGANTrainer, History
from nstlib.demos import natural_size_picture
from nstlib.errors import NstlibError
from nstlib.image_grid import image_grid
from nstlib.images import check_image, figure_png, png_bytes
from nstlib.pretrained import translate
from nstlib.snapshots import SNAPSHOT_ROWS, Snapshots


class LiveLossPlot:
    """A :func:`nstlib.cyclegan_train.train` callback that redraws the loss curves in place.

    Each call draws the summed losses of both directions (adversarial ``G``, ``cycle``,
    ``identity`` and the discriminators' ``D``), smoothed over ``window`` steps, and replaces the
    previous drawing in the notebook (an IPython display handle), so the cell shows one live plot.
    """

    def __init__(self, title: str, window: int = 25) -> None:
        self.title, self.window = title, window
        self.handle = None
        self.draws = 0

    def figure(self, history: History) -> Figure:
        """The loss plot of ``history`` (lists of per-step losses, as ``train`` returns them)."""
        fig = Figure(figsize=(7, 3.4), dpi=100)
        ax = fig.add_subplot()
        curves = {
            "adversarial G_AB + G_BA": ("G_A", "G_B"),
            "cycle (λ = 10, both ways)": ("cycle_A", "cycle_B"),
            "identity (weight 5, both)": ("idt_A", "idt_B"),
            "discriminators D_A + D_B": ("D_A", "D_B"),
        }
        for label, (first, second) in curves.items():
            values = np.add(history[first], history[second])
            if values.size >= 1:
                width = max(1, min(self.window, values.size))
                smooth = np.convolve(values, np.ones(width) / width, mode="valid")
                ax.plot(np.arange(width, values.size + 1), smooth, label=label)
        ax.set_xlabel("training step (this run)")
        ax.set_ylabel(f"loss ({self.window}-step mean)")
        ax.set_title(self.title)
        ax.legend(fontsize=9, loc="upper right")
        fig.tight_layout()
        return fig

    def __call__(self, trainer: CycleGANTrainer, history: History) -> None:
        fig = self.figure(history)
        if self.handle is None:
            self.handle = display(fig, display_id=True)
        else:
            self.handle.update(fig)
        self.draws += 1


class SnapshotDemo:
    """A slider over the snapshots of a longer run: pictures and score curves at each point.

    Args:
        snapshots: what :func:`nstlib.snapshots.load_snapshots` returns.
        scale: how many times to enlarge the 32 px pictures.

    Every picture and curve is rendered once here (``grids``, ``curves``: PNG bytes per
    snapshot), so moving the slider only swaps two PNGs. ``widget`` is the box to display,
    :meth:`update` the slider's callback; ``picture`` shows the grid, ``curve_picture`` the
    curves, ``readout`` the scores, and ``last`` is the index of the snapshot shown.
    """

    # What the grid's rows and the curve plot show (a subclass for another run changes these).
    row_labels = SNAPSHOT_ROWS
    curves_shown = (
        ("score_AB", "domain score of G(a) (want 1)"),
        ("score_BA", "domain score of F(b) (want 0)"),
        ("rec_A", "|F(G(a)) − a| (want 0)"),
        ("colour_shift", "colour shift a → G(a) (want 0)"),
    )
    curve_marker, curve_ylim, curve_ylabel = None, (-0.02, 1.02), "score / error"
    curve_title, legend_loc = "Held-out scores during the shipped run", "center right"

    def __init__(self, snapshots: Snapshots, scale: int = 3) -> None:
        self.snapshots = snapshots
        self.grids = [
            png_bytes(Image.fromarray(image_grid(snapshots.rows(i), scale)))
            for i in range(len(snapshots.steps))
        ]
        self.curves = [self._curve_png(i) for i in range(len(snapshots.steps))]
        self.slider = widgets.SelectionSlider(
            options=[(f"{int(s):,}", i) for i, s in enumerate(snapshots.steps)],
            value=0,
            description="training step",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="520px"),
        )
        self.picture = natural_size_picture()
        self.curve_picture = natural_size_picture()
        self.readout = widgets.HTML()
        # One label per grid row, each as tall as a row of enlarged pictures plus its gap.
        size = snapshots.real_A.shape[1] * scale
        labels = "".join(
            f"<div style='height:{size + 2}px;line-height:{size}px'>{row}</div>"
            for row in self.row_labels
        )
        self.widget = widgets.VBox(
            [
                self.slider,
                # Wraps: the curves go below the grid when both do not fit beside each other.
                widgets.HBox(
                    [widgets.HTML(labels), self.picture, self.curve_picture],
                    layout=widgets.Layout(flex_flow="row wrap"),
                ),
                self.readout,
            ]
        )
        self.slider.observe(self.update, names="value")
        self.update()

    def _curve_png(self, index: int) -> bytes:
        s = self.snapshots
        fig = Figure(figsize=(5.2, 3.9), dpi=100)
        ax = fig.add_subplot()
        for name, label in self.curves_shown:
            ax.plot(s.curve_steps, s.curves[name], marker=self.curve_marker, label=label)
        ax.axvline(s.steps[index], color="black", linestyle="--", linewidth=1)
        if self.curve_ylim is not None:
            ax.set_ylim(*self.curve_ylim)
        ax.set_xlabel("training step")
        ax.set_ylabel(self.curve_ylabel)
        ax.set_title(self.curve_title)
        ax.legend(fontsize=9, loc=self.legend_loc)
        fig.tight_layout()
        return figure_png(fig)

    def scores_html(self, step: int, c: dict[str, float]) -> str:
        """The readout's scores, as measured at ``step`` (``c``: curve name → value)."""
        return (
            f"scores measured at step {step:,}: domain score "
            f"G(a) <b>{c['score_AB']:.2f}</b>, F(b) <b>{c['score_BA']:.2f}</b> &nbsp;|&nbsp; "
            f"reconstruction |F(G(a)) − a| <b>{c['rec_A']:.3f}</b>, |G(F(b)) − b| "
            f"<b>{c['rec_B']:.3f}</b> &nbsp;|&nbsp; colour shift <b>{c['colour_shift']:.2f}</b>"
        )

    def update(self, change: dict | None = None) -> int:
        """Display the snapshot the slider points at; return its index."""
        i = self.last = self.slider.value
        s = self.snapshots
        self.picture.value = self.grids[i]
        self.curve_picture.value = self.curves[i]
        # Scores were measured every few hundred steps: show the last measurement at or before
        # this snapshot, and say when it was taken (never a later, better one).
        at = max(int(np.searchsorted(s.curve_steps, s.steps[i], side="right")) - 1, 0)
        c = {name: float(values[at]) for name, values in s.curves.items()}
        self.readout.value = (
            f"step <b>{int(s.steps[i]):,}</b> of {int(s.steps[-1]):,} &nbsp;|&nbsp; "
            + self.scores_html(int(s.curve_steps[at]), c)
        )
        return i


class PhotoSnapshotDemo(SnapshotDemo):
    """:class:`SnapshotDemo` for the photo ↔ painting run (:mod:`nstlib.photo_cyclegan`): the
    held-out photos ``x`` and paintings ``y`` at 128 px, and the oracle distances and PSNRs."""

    row_labels = ("photo x", "G(x)", "F(G(x))", "painting y", "F(y)", "G(F(y))")
    curves_shown = (
        ("oracle_G", "G(x) to its oracle paint(x)"),
        ("oracle_F", "F(y) to its oracle, the photo x"),
        ("identity_G", "x to paint(x): the identity baseline"),
    )
    curve_marker, curve_ylim, curve_ylabel = "o", None, "perceptual distance (lower: closer)"
    curve_title, legend_loc = "Held-out photos: distance to the known answer", "lower left"

    def __init__(self, snapshots: Snapshots, scale: int = 1) -> None:
        super().__init__(snapshots, scale)

    def scores_html(self, step: int, c: dict[str, float]) -> str:
        return (
            f"distance to the oracle: G(x) <b>{c['oracle_G']:.2f}</b>, F(y) <b>{c['oracle_F']:.2f}</b> "
            f"(identity {c['identity_G']:.2f}) &nbsp;|&nbsp; PSNR F(G(x)) <b>{c['psnr_A']:.1f} dB</b>, "
            f"G(F(y)) <b>{c['psnr_B']:.1f} dB</b> &nbsp;|&nbsp; colour spread G(x) "
            f"<b>{c['spread_G']:.3f}</b> (paintings {c['spread_B']:.3f})"
        )


class BlendDemo:
    """Blend photos with their translation by a generator: ``(1 − α)·x + α·G(x)``.

    Args:
        generator: e.g. :func:`nstlib.pretrained.load_vintage_generator`'s.
        photos: name → ``[1, 3, H, W]`` photo in ``[0, 1]``.

    Each photo is translated once here (``outputs``: name → ``G(x)``, about a second per 256 px
    photo on a CPU); moving the slider or choosing another photo only blends two stored images
    and encodes one PNG. ``widget`` is the box to display, :meth:`update` the callback; ``picture``
    shows the photo beside its blend, ``readout`` the change, and ``last`` is the blend shown.
    """

    def __init__(self, generator: nn.Module, photos: dict[str, torch.Tensor]) -> None:
        if not photos:
            raise NstlibError(
                "photos is empty; pass a dict with at least one name → [1, 3, H, W] image."
            )
        for name, image in photos.items():
            check_image(image, f"photo {name!r}")
        self.inputs = {name: image.detach().float().cpu() for name, image in photos.items()}
        self.outputs = {name: translate(generator, image) for name, image in self.inputs.items()}
        self.alpha_slider = widgets.FloatSlider(
            value=1.0,
            min=0.0,
            max=1.0,
            step=0.05,
            description="α (blend)",
            style={"description_width": "initial"},
        )
        self.photo_menu = widgets.Dropdown(options=list(photos), description="photo")
        self.picture = natural_size_picture()
        self.readout = widgets.HTML()
        self.widget = widgets.VBox(
            [widgets.HBox([self.photo_menu, self.alpha_slider]), self.picture, self.readout]
        )
        self.alpha_slider.observe(self.update, names="value")
        self.photo_menu.observe(self.update, names="value")
        self.update()

    def blend(self, name: str, alpha: float) -> torch.Tensor:
        """``[1, 3, H, W]`` in ``[0, 1]``: the photo ``name`` moved a fraction ``alpha`` to G(x)."""
        if name not in self.inputs:
            raise NstlibError(
                f"Unknown photo {name!r} for name; choose one of {', '.join(self.inputs)}."
            )
        if not 0.0 <= alpha <= 1.0:
            raise NstlibError(
                f"alpha must be between 0 (the photo) and 1 (its translation); got {alpha}."
            )
        return (1 - alpha) * self.inputs[name] + alpha * self.outputs[name]

    def update(self, change: dict | None = None) -> torch.Tensor:
        """Display the blend for the current photo and α; return it."""
        name, alpha = self.photo_menu.value, self.alpha_slider.value
        blended = self.blend(name, alpha)
        side_by_side = torch.cat([self.inputs[name], blended], dim=-1)[0]
        self.picture.value = png_bytes(side_by_side)
        change = (blended - self.inputs[name]).abs().mean().item()
        self.readout.value = (
            f"left: the photo; right: (1 − α)·x + α·G(x) with α = <b>{alpha:.2f}</b> "
            f"&nbsp;|&nbsp; mean |change| = <b>{change:.3f}</b> (in [0, 1] units)"
        )
        self.last = blended
        return blended
