"""Lesson 04's widgets: the snapshot slider, the pretrained blend and the live loss plot."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from torch import nn

from nstlib.demos.cyclegan import BlendDemo, LiveLossPlot, SnapshotDemo
from nstlib.errors import NstlibError
from nstlib.snapshots import load_snapshots


@pytest.fixture(scope="module")
def snapshot_demo() -> SnapshotDemo:
    return SnapshotDemo(load_snapshots())  # pictures at steps 0, 60, 240, ...; scores every 200


def test_snapshot_slider_swaps_precomputed_pictures(snapshot_demo):
    demo = snapshot_demo
    assert demo.last == 0 and "step <b>0</b>" in demo.readout.value
    start = time.perf_counter()
    demo.slider.value = 3
    assert time.perf_counter() - start < 0.5
    assert demo.last == 3 and "step <b>540</b>" in demo.readout.value
    assert demo.picture.value == demo.grids[3] and demo.picture.value[:4] == b"\x89PNG"
    assert demo.curve_picture.value == demo.curves[3]
    assert demo.update() == 3


def test_snapshot_readout_shows_the_last_scores_measured_before_the_picture(snapshot_demo):
    demo = snapshot_demo
    demo.slider.value = 1
    step_0 = demo.snapshots.curves["score_AB"][0]
    assert "step <b>60</b>" in demo.readout.value and "measured at step 0:" in demo.readout.value
    assert f"G(a) <b>{step_0:.2f}</b>" in demo.readout.value


class Darken(nn.Module):
    """A stand-in generator: [-1, 1] → halfway to black."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return (x - 1) / 2


def test_blend_slider_mixes_photo_and_translation():
    photos = {"grey": torch.full((1, 3, 10, 14), 0.8), "dark": torch.full((1, 3, 8, 8), 0.2)}
    demo = BlendDemo(Darken(), photos)
    assert demo.outputs["grey"].shape == (1, 3, 10, 14)
    assert torch.allclose(demo.last, demo.outputs["grey"])  # starts at α = 1
    start = time.perf_counter()
    demo.alpha_slider.value = 0.0
    assert time.perf_counter() - start < 0.5
    assert torch.equal(demo.last, photos["grey"])
    demo.alpha_slider.value = 0.5
    assert torch.allclose(demo.last, (photos["grey"] + demo.outputs["grey"]) / 2)
    demo.photo_menu.value = "dark"
    assert demo.last.shape == (1, 3, 8, 8) and "α = <b>0.50</b>" in demo.readout.value
    assert demo.picture.value[:4] == b"\x89PNG"
    assert torch.equal(demo.update(), demo.last)
    with pytest.raises(NstlibError, match="alpha"):
        demo.blend("grey", 1.5)
    with pytest.raises(NstlibError, match="Unknown photo"):
        demo.blend("cat", 0.5)
    with pytest.raises(NstlibError, match="empty"):
        BlendDemo(Darken(), {})


def test_live_loss_plot_draws_every_loss():
    history = {
        name: list(np.linspace(1, 0.5, 30))
        for name in ("G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "D_A", "D_B")
    }
    fig = LiveLossPlot("test", window=10).figure(history)
    ax = fig.axes[0]
    assert len(ax.lines) == 4 and ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "test"
    assert len(ax.lines[0].get_xdata()) == 21
