"""Lesson 04's demos: toy CycleGAN measures, the shipped snapshots and their slider, the blend."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from torch import nn

from nstlib.demos.cyclegan import (
    SNAPSHOT_ROWS,
    BlendDemo,
    LiveLossPlot,
    SnapshotDemo,
    colour_spread,
    default_snapshot_path,
    evaluate,
    held_out_batches,
    image_grid,
    input_correlation,
    load_snapshots,
    make_snapshots,
    object_colours,
    snapshot_schedule,
    toy_cyclegan,
)
from nstlib.errors import NstlibError


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A 40-step run of make_snapshots (a few seconds): the file format, end to end."""
    path = tmp_path_factory.mktemp("snap") / "run.npz"
    make_snapshots(path, steps=40, points=4, n_show=3, eval_every=20, progress=False)
    return path


def test_toy_nets_have_the_lesson_sizes():
    G_AB, G_BA, D_A, D_B = toy_cyclegan()
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(G_AB) == count(G_BA) == 346_371
    assert count(D_A) == count(D_B) == 42_865
    assert G_AB(torch.zeros(2, 3, 32, 32)).shape == (2, 3, 32, 32)
    assert D_A(torch.zeros(2, 3, 32, 32)).shape == (2, 1, 6, 6)


def test_held_out_batches_are_paired_and_repeatable():
    a, b = held_out_batches("texture", 8)
    a2, _ = held_out_batches("texture", 8)
    assert torch.equal(a, a2) and a.shape == b.shape == (8, 3, 32, 32)
    # Paired content: the same object colour in both domains.
    assert (object_colours(a) - object_colours(b)).abs().max() < 0.08


def test_colour_spread_and_input_correlation():
    a, b = held_out_batches("texture", 16)
    assert colour_spread(a) > 0.2
    assert colour_spread(a[:1].repeat(5, 1, 1, 1)) == pytest.approx(0.0, abs=1e-7)
    assert input_correlation(a, a) == pytest.approx(1.0)
    assert input_correlation(a, -a) == pytest.approx(-1.0)
    assert input_correlation(a, b) > 0.5  # paired content: same place, same colour
    with pytest.raises(NstlibError, match="at least 2"):
        colour_spread(a[:1])
    with pytest.raises(NstlibError, match="same shape"):
        input_correlation(a, b[:3])


def test_evaluate_scores_the_identity_as_no_translation():
    class Identity(nn.Module):
        def __init__(self):
            super().__init__()
            self.dummy = nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return x

    a, b = held_out_batches("texture", 16)
    scores = evaluate(Identity(), Identity(), "texture", a, b)
    assert scores.score_AB < 0.05 and scores.score_BA > 0.95  # nothing was translated
    assert scores.rec_A == scores.rec_B == 0.0
    assert scores.colour_shift == pytest.approx(0.0, abs=1e-6) and scores.mask_iou == 1.0


def test_image_grid_tiles_and_scales():
    rows = np.zeros((2, 3, 4, 5, 3), dtype=np.uint8)
    assert image_grid(rows, scale=2, gap=1).shape == (2 * 9, 3 * 11, 3)
    with pytest.raises(NstlibError, match="rows"):
        image_grid(rows[0])


def test_snapshot_schedule_is_dense_early():
    steps = snapshot_schedule(6000, 10)
    assert steps[0] == 0 and steps[-1] == 6000 and len(steps) == 11
    gaps = np.diff(steps)
    assert gaps[0] < gaps[-1]
    with pytest.raises(NstlibError):
        snapshot_schedule(5, 10)


def test_make_and_load_snapshots(tiny_run):
    s = load_snapshots(tiny_run)
    assert list(s.steps) == [0, 10, 20, 40]
    assert s.pictures.shape == (4, 4, 3, 32, 32, 3) and s.pictures.dtype == np.uint8
    assert s.rows(2).shape == (len(SNAPSHOT_ROWS), 3, 32, 32, 3)
    assert list(s.curve_steps) == [0, 20, 40]
    assert all(v.shape == (3,) for v in s.curves.values())
    assert np.isnan(s.losses["cycle"][0]) and s.losses["cycle"][-1] > 0
    assert s.config["steps"] == 40 and s.config["pair"] == "texture"


def test_load_snapshots_reports_bad_files(tmp_path):
    with pytest.raises(NstlibError, match="not found"):
        load_snapshots(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(NstlibError, match="not a snapshot file"):
        load_snapshots(bad)
    partial = tmp_path / "partial.npz"
    np.savez(partial, steps=np.arange(3))
    with pytest.raises(NstlibError, match="lacks"):
        load_snapshots(partial)


def test_shipped_snapshot_file_is_small_and_complete():
    path = default_snapshot_path()
    assert path.stat().st_size < 2 * 1024 * 1024
    s = load_snapshots(path)
    assert len(s.steps) >= 10 and s.steps[0] == 0
    assert s.pictures.shape[:2] == (len(s.steps), 4)
    # The longer run learned the texture translation and its cycle.
    assert s.curves["score_AB"][-1] > 0.8 and s.curves["score_BA"][-1] < 0.2
    assert s.curves["rec_A"][-1] < s.curves["rec_A"][0] / 2


def test_snapshot_slider_swaps_precomputed_pictures(tiny_run):
    demo = SnapshotDemo(load_snapshots(tiny_run))
    assert demo.index == 0 and "step <b>0</b>" in demo.readout.value
    start = time.perf_counter()
    demo.slider.value = 3
    assert time.perf_counter() - start < 0.5
    assert demo.index == 3 and "step <b>40</b>" in demo.readout.value
    assert demo.grid_image.value == demo.grids[3] and demo.grid_image.value[:4] == b"\x89PNG"
    assert demo.curve_image.value == demo.curves[3]


def test_snapshot_readout_shows_the_last_scores_measured_before_the_picture():
    demo = SnapshotDemo(load_snapshots())  # pictures at steps 0, 60, 240...; scores every 200
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
    assert demo.image.value[:4] == b"\x89PNG"
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
