"""The photo ↔ painting task, its perceptual judge and the shipped real-photo CycleGAN."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from nstlib import data
from nstlib.cyclegan import ResnetGenerator
from nstlib.demos.cyclegan import PhotoSnapshotDemo
from nstlib.errors import NstlibError
from nstlib.metrics import psnr
from nstlib.patchgan import PatchDiscriminator
from nstlib.perceptual import perceptual_distance, perceptual_extractor
from nstlib.photo_cyclegan import (
    CURVE_NAMES,
    SHIPPED_OPTIONS,
    SNAPSHOT_FILE,
    colour_spread,
    evaluate,
    load_shipped_discriminators,
    load_shipped_generators,
    load_shipped_snapshots,
    make_shipped_run,
)
from nstlib.photo_domains import (
    HELD_OUT,
    TRAIN_PAINTED,
    TRAIN_PHOTOS,
    Painter,
    build_photo_painting,
    held_out_pairs,
)
from nstlib.snapshots import load_snapshots

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def extractor():
    return perceptual_extractor()


@pytest.fixture(scope="module")
def pairs():
    return held_out_pairs()


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    """A small photo ↔ painting folder: 20 tiles per domain."""
    return build_photo_painting(tmp_path_factory.mktemp("task") / "data", tiles=20)


def test_the_three_photo_sets_are_disjoint_bundled_photos():
    sets = [set(TRAIN_PHOTOS), set(TRAIN_PAINTED), set(HELD_OUT)]
    assert all(s <= set(data.ALL_PHOTOS) for s in sets)
    assert sum(map(len, sets)) == len(set().union(*sets))


def test_the_folder_holds_unpaired_tiles_and_the_paired_oracles(task, pairs):
    for folder in ("trainA", "trainB"):
        files = sorted((task / folder).iterdir())
        assert len(files) == 20 and Image.open(files[0]).size == (128, 128)
    names = [p.stem for p in sorted((task / "testA").iterdir())]
    assert names == sorted(HELD_OUT) == [p.stem for p in sorted((task / "testB").iterdir())]
    photos, paintings = pairs
    k = HELD_OUT.index("chelsea")
    stored = np.asarray(Image.open(task / "testB" / "chelsea.png"), dtype=np.float32) / 255
    painted = paintings[k].permute(1, 2, 0).numpy()
    assert np.abs(stored - painted).max() <= 1 / 255 + 1e-6  # the oracle is the painter's output
    assert not torch.allclose(photos, paintings, atol=0.1)


def test_the_same_seed_writes_the_same_tiles(task, tmp_path):
    again = build_photo_painting(tmp_path / "again", tiles=20)
    for folder in ("trainA", "trainB"):
        first, second = (sorted((root / folder).iterdir()) for root in (task, again))
        assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    with pytest.raises(NstlibError, match="fewer than one per photo and scale"):
        build_photo_painting(tmp_path / "few", tiles=3)


def test_the_painter_keeps_the_shape_and_range():
    image = torch.rand(2, 3, 32, 48)
    out = Painter()(image)
    assert out.shape == image.shape and 0 <= out.min() and out.max() <= 1


def test_perceptual_distance_orders_small_and_large_changes(pairs, extractor):
    photos, paintings = pairs
    blurred = torch.nn.functional.avg_pool2d(photos, 3, 1, 1, count_include_pad=False)
    same = perceptual_distance(photos, photos, extractor)
    blur = perceptual_distance(photos, blurred, extractor)
    painted = perceptual_distance(photos, paintings, extractor)
    assert same.shape == (3,) and torch.all(same.abs() < 1e-6)
    assert torch.all(blur < painted / 2)
    torch.testing.assert_close(perceptual_distance(paintings, photos, extractor), painted)
    with pytest.raises(NstlibError, match="same shape"):
        perceptual_distance(photos, photos[..., :64], extractor)


class Unchanged(nn.Module):
    """A 'generator' that returns its input: the identity baseline."""

    def __init__(self) -> None:
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def test_the_identity_generator_scores_exactly_the_baseline(pairs, extractor):
    photos, paintings = pairs
    s = evaluate(Unchanged(), Unchanged(), photos, paintings, extractor)
    assert s.oracle_G == pytest.approx(s.identity_G, abs=1e-4)
    assert s.oracle_F == pytest.approx(s.identity_F, abs=1e-4)
    assert s.psnr_A > 100 and s.psnr_B > 100  # identical up to float rounding in translate()
    assert s.spread_G == pytest.approx(s.spread_A) and s.spread_B == pytest.approx(
        colour_spread(paintings)
    )


def test_colour_spread_is_zero_for_one_colour_and_grows_with_variety():
    flat = torch.full((4, 3, 8, 8), 0.3)
    assert colour_spread(flat) == 0
    assert colour_spread(torch.rand(4, 3, 8, 8)) > 0.25


def test_the_shipped_run_translates_both_ways_without_collapse(pairs, extractor):
    G, F = load_shipped_generators()
    assert isinstance(G, ResnetGenerator) and len(G.blocks) == SHIPPED_OPTIONS.n_blocks
    s = evaluate(G, F, *pairs, extractor)
    # What lesson 04 shows: closer to the oracle than the photo is, both ways, and no collapse.
    assert s.oracle_G < 0.8 * s.identity_G and s.oracle_F < s.identity_F
    assert abs(s.spread_G / s.spread_B - 1) < 0.3
    # The round trip lands closer to the photo than the painting is (far from "identical", though).
    photos, paintings = pairs
    assert s.psnr_A > psnr(paintings, photos) and s.psnr_B > psnr(photos, paintings)
    D_A, D_B = load_shipped_discriminators()
    assert isinstance(D_B, PatchDiscriminator) and not any(
        p.requires_grad for p in D_B.parameters()
    )
    snapshots = load_shipped_snapshots()
    assert snapshots.steps[0] == 0 and snapshots.steps[-1] == snapshots.config["steps"]
    # The snapshot file's last scores are these weights' (up to their fp16 rounding).
    assert snapshots.curves["oracle_G"][-1] == pytest.approx(s.oracle_G, rel=0.02)


def test_the_shipped_slider_shows_pictures_and_oracle_distances():
    demo = PhotoSnapshotDemo(load_shipped_snapshots())
    demo.slider.value = len(demo.grids) - 1
    assert demo.picture.value == demo.grids[-1] and "distance to the oracle" in demo.readout.value
    assert "PSNR F(G(x))" in demo.readout.value


def test_make_shipped_run_writes_every_file_in_segments(task, tmp_path):
    for folder in ("pretrained", "snapshots"):
        (tmp_path / "ds" / folder).mkdir(parents=True)
    options = dataclasses.replace(
        SHIPPED_OPTIONS, out=tmp_path / "run", data=task, ngf=4, n_blocks=1, ndf=4,
        n_epochs=1, n_epochs_decay=1,
    )  # fmt: skip
    config = make_shipped_run(options, points=2, progress=False, datasets=tmp_path / "ds")
    assert config["steps"] == 40 and config["ngf"] == 4
    snapshots = load_snapshots(tmp_path / "ds" / SNAPSHOT_FILE, CURVE_NAMES)
    assert list(snapshots.steps) == [0, 10, 40]
    assert snapshots.pictures.shape == (3, 4, len(HELD_OUT), 128, 128, 3)
    assert np.isnan(snapshots.losses["G"][0]) and snapshots.losses["G"][-1] > 0
    G = torch.load(
        tmp_path / "ds" / "pretrained" / "cyclegan_photo2painting.pth", weights_only=True
    )
    assert all(t.dtype == torch.float16 for t in G["state_dict"].values())
