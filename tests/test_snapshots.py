"""The snapshot file of a longer toy CycleGAN run: schedule, writing, reading, the shipped file."""

from __future__ import annotations

import numpy as np
import pytest

from nstlib.errors import NstlibError
from nstlib.snapshots import (
    CURVE_NAMES,
    LOSS_PAIRS,
    SNAPSHOT_ROWS,
    default_snapshot_path,
    load_snapshots,
    make_snapshots,
    snapshot_schedule,
)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A 40-step run of make_snapshots (a few seconds): the file format, end to end."""
    path = tmp_path_factory.mktemp("snap") / "run.npz"
    make_snapshots(path, steps=40, points=4, n_show=3, eval_every=20, progress=False)
    return path


def test_snapshot_schedule_is_dense_early():
    steps = snapshot_schedule(6000, 10)
    assert steps[0] == 0 and steps[-1] == 6000 and len(steps) == 11
    gaps = np.diff(steps)
    assert gaps[0] < gaps[-1]
    with pytest.raises(NstlibError, match="steps ≥ points"):
        snapshot_schedule(5, 10)


def test_make_and_load_snapshots(tiny_run):
    s = load_snapshots(tiny_run)
    assert list(s.steps) == [0, 10, 20, 40]
    assert s.pictures.shape == (4, 4, 3, 32, 32, 3) and s.pictures.dtype == np.uint8
    assert s.rows(2).shape == (len(SNAPSHOT_ROWS), 3, 32, 32, 3)
    assert list(s.curve_steps) == [0, 20, 40]
    assert all(v.shape == (3,) for v in s.curves.values())
    assert set(s.losses) == set(LOSS_PAIRS)
    assert np.isnan(s.losses["cycle"][0]) and s.losses["cycle"][-1] > 0
    assert s.config["steps"] == 40 and s.config["pair"] == "texture"
    assert [p.name for p in tiny_run.parent.iterdir()] == ["run.npz"]  # no temporary file left


def test_make_snapshots_refuses_steps_off_the_schedule(tmp_path):
    with pytest.raises(NstlibError, match="multiple of 20"):
        make_snapshots(tmp_path / "x.npz", steps=30, progress=False)
    assert not (tmp_path / "x.npz").exists()


def test_load_snapshots_reports_bad_files(tmp_path):
    with pytest.raises(NstlibError, match="not found.*python -m nstlib.snapshots"):
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
    assert set(s.losses) == set(LOSS_PAIRS)
    # The longer run learned the texture translation and its cycle.
    assert s.curves["score_AB"][-1] > 0.8 and s.curves["score_BA"][-1] < 0.2
    assert s.curves["rec_A"][-1] < s.curves["rec_A"][0] / 2


def test_the_discriminators_verdict_is_recorded_with_the_scores(tiny_run):
    s = load_snapshots(tiny_run)
    assert set(s.curves) == {*CURVE_NAMES, "D_B_fake", "D_B_real"}
    assert s.curves["D_B_fake"].shape == s.curves["D_B_real"].shape == (3,)
    assert np.isfinite(s.curves["D_B_fake"]).all()


def test_shipped_geometry_run_is_as_long_as_the_texture_run_and_still_loses_to_its_discriminator():
    texture, geometry = (
        load_snapshots(default_snapshot_path(pair)) for pair in ("texture", "geometry")
    )
    assert geometry.config["pair"] == "geometry"
    assert geometry.config["steps"] == texture.config["steps"] == 6000
    # What lesson 04 states: no squares at lesson length, some by the end, and D_B tells them apart.
    score, steps = geometry.curves["score_AB"], geometry.curve_steps
    assert score[steps == 1400][0] < 0.2 < 0.5 < score[-1]
    assert geometry.curves["D_B_fake"][-1] < geometry.curves["D_B_real"][-1] - 0.2
