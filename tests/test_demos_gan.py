"""The lesson 01 slider: scrub through GAN snapshots, tested headlessly."""

from __future__ import annotations

import time

import pytest
import torch

from nstlib.demos.gan import SnapshotScrubber
from nstlib.errors import NstlibError
from nstlib.gan_train import GANHistory, Snapshot
from nstlib.ring import ring_modes, sample_ring

PNG = b"\x89PNG\r\n\x1a\n"


def history(snapshots: list[torch.Tensor], every: int = 100) -> GANHistory:
    steps = len(snapshots) - 1
    zeros = torch.zeros(steps * every)
    return GANHistory(
        zeros,
        zeros,
        zeros,
        zeros,
        [Snapshot(i * every, s) for i, s in enumerate(snapshots)],
    )


@pytest.fixture(scope="module")
def ring_demo() -> SnapshotScrubber:
    data = torch.Generator().manual_seed(0)
    healthy = [torch.zeros(400, 2), sample_ring(400, rng=data)]  # a blob, then every mode
    collapsed = [torch.zeros(400, 2), ring_modes()[3].expand(400, 2).clone()]  # then one mode
    return SnapshotScrubber({"healthy": history(healthy), "collapsed": history(collapsed)})


def test_starts_on_the_last_snapshot_and_counts_modes(ring_demo):
    assert ring_demo.slider.value == 1 and ring_demo.steps == [0, 100]
    assert ring_demo.readout.value == "step 100 of 100 | healthy: 8/8 modes, collapsed: 1/8 modes"
    assert bytes(ring_demo.picture.value).startswith(PNG)


def test_moving_the_slider_updates_picture_and_readout(ring_demo):
    last = ring_demo.picture.value
    ring_demo.slider.value = 0
    assert ring_demo.readout.value.startswith("step 0 of 100")
    assert "healthy: 0/8 modes" in ring_demo.readout.value
    shown = bytes(ring_demo.picture.value)
    assert shown.startswith(PNG) and shown != bytes(last)


def test_every_frame_is_drawn_when_built(ring_demo):
    assert ring_demo.renders == 2
    ring_demo.slider.value = 1
    ring_demo.slider.value = 0
    assert ring_demo.renders == 2


def test_slider_answers_fast():
    demo = SnapshotScrubber({"run": history([torch.randn(2000, 2)] * 3)})
    start = time.perf_counter()
    demo.slider.value = 0
    demo.slider.value = 2
    assert time.perf_counter() - start < 0.5
    assert demo.renders == 3


def test_images_are_shown_as_grids():
    images = [torch.rand(40, 1, 16, 16) * 2 - 1 for _ in range(3)]
    demo = SnapshotScrubber({"faces": history(images)}, max_images=16)
    assert demo.readout.value == "step 200 of 200"
    demo.slider.value = 1
    assert bytes(demo.picture.value).startswith(PNG)


def test_bad_runs_are_reported():
    points = history([torch.zeros(4, 2)] * 2)
    with pytest.raises(NstlibError, match="empty"):
        SnapshotScrubber({})
    with pytest.raises(NstlibError, match="same steps"):
        SnapshotScrubber({"a": points, "b": history([torch.zeros(4, 2)] * 3)})
    with pytest.raises(NstlibError, match="mix"):
        SnapshotScrubber({"a": points, "b": history([torch.zeros(4, 1, 8, 8)] * 2)})
    with pytest.raises(NstlibError, match="index"):
        SnapshotScrubber({"a": points}).frame(2)


def test_demo_interface_update_last_and_cache(ring_demo):
    ring_demo.slider.value = 1
    assert ring_demo.update() == ring_demo.last == ring_demo.cache[1] == ring_demo.picture.value
