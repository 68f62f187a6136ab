"""Photos ↔ paintings: a real-photo CycleGAN task whose every test photo has a known answer.

CycleGAN's own results (horse ↔ zebra, photo → Van Gogh) need data sets the course cannot
download. This module builds a photo ↔ painting task from what installs offline:

* **Domain A, photos:** colour photos from scikit-image, matplotlib and scikit-learn
  (:data:`nstlib.data.ALL_PHOTOS`).
* **Domain B, paintings:** *other* photos, painted by a network the course already ships: style
  :data:`PAINTING_STYLE` (blue and yellow strokes, Van Gogh-like) of the 26-style network of
  lesson 06 (:func:`nstlib.cin.load_multistyle26`).

The photos are split three ways (:data:`TRAIN_PHOTOS`, :data:`TRAIN_PAINTED`, :data:`HELD_OUT`),
so no photo appears in both training domains: training is truly *unpaired*, as with horses and
zebras. The held-out photos are in neither. Because the painter is a known function, each
held-out photo ``x`` has a **paired oracle answer**, its painting ``paint(x)``, that CycleGAN
never saw: :mod:`nstlib.photo_cyclegan` measures how close ``G(x)`` gets to it.

:func:`build_photo_painting` writes the task as a ``train-cyclegan`` data folder (``trainA/``,
``trainB/``, ``testA/``, ``testB/``), so the command line trains on it like on any other pair::

    python -m nstlib.photo_domains build/photo_painting      # about 20 s on a CPU
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from nstlib.cin import load_multistyle26, style_mix
from nstlib.data import photo
from nstlib.errors import NstlibError
from nstlib.image_grid import to_uint8
from nstlib.images import to_signed
from nstlib.plumbing.command import OneLineParser, run_command

PAINTING_STYLE = 19  # of the 26 (lesson 06's grid): keeps the shapes, repaints colour and texture
TRAIN_PHOTOS = ("astronaut", "rocket", "motorcycle_left", "retina", "immunohistochemistry")
TRAIN_PAINTED = ("coffee", "flower", "motorcycle_right", "hubble_deep_field")
HELD_OUT = ("chelsea", "grace_hopper", "china")
# Random zoom: each photo is used at these shorter sides (pixels) before tiles are cut from it.
SCALES = (128, 160, 208, 256)
TILE = 128  # training tiles are TILE × TILE; train-cyclegan then crops them further
TEST_SIZE = (
    128  # held-out photos: the central TEST_SIZE × TEST_SIZE square at shorter side TEST_SIZE
)

if set(TRAIN_PHOTOS) & set(TRAIN_PAINTED) or set(HELD_OUT) & {*TRAIN_PHOTOS, *TRAIN_PAINTED}:
    raise AssertionError("the photo sets must be disjoint")  # guards edits to the lists above


def shorter_side(image: torch.Tensor, size: int) -> torch.Tensor:
    """Resize ``[B, 3, H, W]`` so that min(H, W) == ``size``, keeping the aspect (antialiased)."""
    h, w = image.shape[-2:]
    scale = size / min(h, w)
    hw = [max(size, round(h * scale)), max(size, round(w * scale))]
    return torch.nn.functional.interpolate(image, size=hw, mode="bilinear", antialias=True)


def centre_square(image: torch.Tensor) -> torch.Tensor:
    """The central ``min(H, W)`` square of ``[B, C, H, W]``."""
    h, w = image.shape[-2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return image[..., top : top + side, left : left + side]


class Painter:
    """``painter(images)``: photos ``[B, 3, H, W]`` in ``[0, 1]`` → their paintings, same shape.

    Style :data:`PAINTING_STYLE` of the 26-style network; H and W must be divisible by 4.
    """

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.net = load_multistyle26(device)
        self.style = style_mix({PAINTING_STYLE: 1.0}).to(device)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images, self.style)


def held_out_pairs(painter: Painter | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The held-out photos and their oracle paintings, each ``[3, 3, 128, 128]`` in ``[0, 1]``.

    Row ``i`` of both is :data:`HELD_OUT` ``[i]``: its central square at :data:`TEST_SIZE` px, and
    that square painted. CycleGAN never trains on either.
    """
    photos = torch.cat([centre_square(shorter_side(photo(n), TEST_SIZE)) for n in HELD_OUT])
    return photos, (painter or Painter())(photos)


def random_tiles(image: torch.Tensor, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``count`` random ``TILE × TILE`` squares of ``[1, 3, H, W]``, as ``[TILE, TILE, 3]`` uint8."""
    h, w = image.shape[-2:]
    tiles = []
    for _ in range(count):
        top, left = int(rng.integers(0, h - TILE + 1)), int(rng.integers(0, w - TILE + 1))
        tiles.append(to_uint8(to_signed(image[..., top : top + TILE, left : left + TILE]))[0])
    return tiles


def domain_tiles(
    names: tuple[str, ...], count: int, seed: int, painter: Painter | None = None
) -> list[np.ndarray]:
    """``count`` tiles spread evenly over the photos ``names`` and :data:`SCALES`, painted if a
    ``painter`` is given (the whole resized photo is painted, then cut, as a painting would be)."""
    rng = np.random.default_rng(seed)
    jobs = [(name, scale) for name in names for scale in SCALES]
    tiles: list[np.ndarray] = []
    for k, (name, scale) in enumerate(jobs):
        image = shorter_side(photo(name), scale)
        image = image[..., : image.shape[-2] // 4 * 4, : image.shape[-1] // 4 * 4]
        if painter is not None:
            image = painter(image)
        # The first jobs take one tile more when count does not divide evenly.
        tiles += random_tiles(image, count // len(jobs) + (k < count % len(jobs)), rng)
    return tiles


def build_photo_painting(root: str | Path, tiles: int = 240, seed: int = 0) -> Path:
    """Write the photo ↔ painting task as a ``train-cyclegan`` data folder; return ``root``.

    ``trainA/``: ``tiles`` photo tiles of :data:`TRAIN_PHOTOS`; ``trainB/``: ``tiles`` painting
    tiles of :data:`TRAIN_PAINTED`; ``testA/`` and ``testB/``: the held-out photos and their oracle
    paintings, with the same file names (``chelsea.png``, ...), so row ``i`` of both is a pair.
    All PNGs, ``TILE`` or ``TEST_SIZE`` pixels square. Writing the same ``seed`` again gives the
    same files.
    """
    if tiles < len(TRAIN_PHOTOS) * len(SCALES):
        raise NstlibError(
            f"tiles={tiles} is fewer than one per photo and scale; use at least "
            f"{len(TRAIN_PHOTOS) * len(SCALES)}."
        )
    root = Path(root)
    painter = Painter()
    folders = {
        "trainA": dict(enumerate(domain_tiles(TRAIN_PHOTOS, tiles, seed))),
        "trainB": dict(enumerate(domain_tiles(TRAIN_PAINTED, tiles, seed + 1, painter))),
    }
    photos, paintings = held_out_pairs(painter)
    folders["testA"] = dict(zip(HELD_OUT, to_uint8(to_signed(photos)), strict=True))
    folders["testB"] = dict(zip(HELD_OUT, to_uint8(to_signed(paintings)), strict=True))
    for folder, images in folders.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for key, array in images.items():
            name = f"{key:04d}.png" if isinstance(key, int) else f"{key}.png"
            Image.fromarray(array).save(root / folder / name)
    return root


def main(argv: list[str] | None = None) -> int:
    """``python -m nstlib.photo_domains ROOT [--tiles N] [--seed S]``."""
    parser = OneLineParser(
        prog="python -m nstlib.photo_domains", description=__doc__.split("\n")[0]
    )
    parser.add_argument("root", type=Path, help="the data folder to write")
    parser.add_argument("--tiles", type=int, default=240, help="training tiles per domain")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    def run() -> None:
        root = build_photo_painting(args.root, args.tiles, args.seed)
        print(
            f"wrote {root}/trainA, trainB ({args.tiles} tiles each), testA, testB ({len(HELD_OUT)} pairs)"
        )

    return run_command(run)


if __name__ == "__main__":
    sys.exit(main())
