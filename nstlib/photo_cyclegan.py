"""CycleGAN on real photos (photo ↔ painting), judged against the oracle answer.

The task is :mod:`nstlib.photo_domains`' photo ↔ painting pair; the networks are the reference's
ResNet generator and 70×70 PatchGAN, slimmed to fit a CPU (:data:`SHIPPED_OPTIONS`: ngf 32,
6 blocks, ndf 32, 96 px crops). Training is ``train-cyclegan`` itself
(:mod:`nstlib.train_cyclegan`); this module adds the judging and the shipped run:

* :func:`evaluate` scores a pair of generators on the held-out photos ``x`` and their paintings
  ``y = paint(x)``: the perceptual distance (:mod:`nstlib.perceptual`) of ``G(x)`` to its oracle
  ``paint(x)`` and of ``F(y)`` to ``x``, each beside the identity baseline (change nothing); the
  reconstructions' PSNR; and the colour spread of the outputs against the target domain's (a
  collapsed generator paints everything one colour).
* :func:`make_shipped_run` trains :data:`SHIPPED_OPTIONS` in segments, scores and pictures the
  held-out pairs between segments, and writes the files lesson 04 ships: both generators (in
  ``train-cyclegan``'s format, so ``translate --weights`` runs them), both discriminators, and a
  snapshot file for the lesson's slider. Regenerate them (about 80 minutes on 2 CPU cores)::

      python -m nstlib.photo_cyclegan
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from nstlib.cyclegan_checkpoint import read_checkpoint
from nstlib.errors import NstlibError
from nstlib.generator_files import load_generator, save_generator
from nstlib.image_grid import to_uint8
from nstlib.images import to_signed
from nstlib.metrics import psnr
from nstlib.patchgan import PatchDiscriminator
from nstlib.perceptual import perceptual_distance, perceptual_extractor
from nstlib.photo_domains import build_photo_painting, held_out_pairs
from nstlib.plumbing.atomic import atomic_write
from nstlib.plumbing.command import OneLineParser, run_command
from nstlib.plumbing.paths import REPO_ROOT, datasets_dir
from nstlib.plumbing.weights import load_strict, read_weights
from nstlib.pretrained import translate
from nstlib.snapshots import (
    LOSS_PAIRS,
    Snapshots,
    load_snapshots,
    save_snapshots,
    snapshot_schedule,
)
from nstlib.train_cyclegan import TrainOptions, build_networks, resume_cyclegan, train_cyclegan
from nstlib.unaligned import domain_images

SHIPPED_OPTIONS = TrainOptions(
    out=REPO_ROOT / "build" / "photo_painting_run",
    data=REPO_ROOT / "build" / "photo_painting",
    n_blocks=6,
    ngf=32,
    ndf=32,
    load_size=128,  # the tiles' own size: no resizing, then a random 96 px crop and a flip
    crop_size=96,
    n_epochs=10,  # 240 tiles per domain: 240 steps per epoch, 4,800 steps in all
    n_epochs_decay=10,
    workers=0,  # the tiles are tiny: loading them in the training process costs no time
    samples=3,
)
GENERATOR_FILES = {
    "G_AB": "pretrained/cyclegan_photo2painting.pth",
    "G_BA": "pretrained/cyclegan_painting2photo.pth",
}  # under datasets/
DISCRIMINATOR_FILE = "pretrained/cyclegan_photo_painting_D.pth"
SNAPSHOT_FILE = "snapshots/cyclegan_photo_painting.npz"
CURVE_NAMES = (
    "oracle_G", "identity_G", "oracle_F", "identity_F", "psnr_A", "psnr_B",
    "spread_G", "spread_B", "spread_F", "spread_A",
)  # fmt: skip
REGENERATE = "regenerate it with python -m nstlib.photo_cyclegan"


def colour_spread(images: torch.Tensor) -> float:
    """How varied the colours of ``[B, 3, H, W]`` (in ``[0, 1]``) are: the standard deviation of
    each channel over all pixels of all images, averaged over the three channels.

    A generator that has collapsed to one colour scores near 0; compare with the target domain's.
    """
    return images.detach().double().transpose(0, 1).flatten(1).std(dim=1).mean().item()


class PhotoScores(NamedTuple):
    """Held-out scores of ``G: photo → painting`` and ``F: painting → photo`` (see :func:`evaluate`).

    ``oracle_G``: perceptual distance of ``G(x)`` to the oracle ``paint(x)``; ``identity_G``: of
    ``x`` itself (the baseline ``G`` must beat). ``oracle_F``, ``identity_F``: the same for
    ``F(y)`` and ``y`` against ``x``. ``psnr_A``: PSNR of ``F(G(x))`` against ``x`` (dB);
    ``psnr_B``: of ``G(F(y))`` against ``y``. ``spread_G``, ``spread_B``: colour spread of
    ``G(x)`` and of the paintings; ``spread_F``, ``spread_A``: of ``F(y)`` and of the photos.
    """

    oracle_G: float
    identity_G: float
    oracle_F: float
    identity_F: float
    psnr_A: float
    psnr_B: float
    spread_G: float
    spread_B: float
    spread_F: float
    spread_A: float


def translations(
    G_AB: nn.Module, G_BA: nn.Module, photos: torch.Tensor, paintings: torch.Tensor
) -> list[torch.Tensor]:
    """``[G(x), F(G(x)), F(y), G(F(y))]``, each ``[n, 3, H, W]`` in ``[0, 1]``, for photos ``x`` and
    paintings ``y`` ``[n, 3, H, W]`` in ``[0, 1]``."""

    def run(generator: nn.Module, images: torch.Tensor) -> torch.Tensor:
        return torch.cat([translate(generator, image[None]) for image in images])

    fake_B, fake_A = run(G_AB, photos), run(G_BA, paintings)
    return [fake_B, run(G_BA, fake_B), fake_A, run(G_AB, fake_A)]


def evaluate(
    G_AB: nn.Module,
    G_BA: nn.Module,
    photos: torch.Tensor,
    paintings: torch.Tensor,
    extractor: nn.Module | None = None,
) -> PhotoScores:
    """Score ``G_AB`` (photo → painting) and ``G_BA`` on paired held-out ``photos`` and their
    oracle ``paintings`` (both ``[n, 3, H, W]`` in ``[0, 1]``, e.g. :func:`held_out_pairs`).

    ``extractor``: :func:`nstlib.perceptual.perceptual_extractor`'s, to share one between calls.
    Distances are means over the ``n`` pairs.
    """
    extractor = extractor or perceptual_extractor()
    fake_B, rec_A, fake_A, rec_B = translations(G_AB, G_BA, photos, paintings)

    def distance(x: torch.Tensor, y: torch.Tensor) -> float:
        return perceptual_distance(x, y, extractor).mean().item()

    return PhotoScores(
        oracle_G=distance(fake_B, paintings),
        identity_G=distance(photos, paintings),
        oracle_F=distance(fake_A, photos),
        identity_F=distance(paintings, photos),
        psnr_A=psnr(rec_A, photos),
        psnr_B=psnr(rec_B, paintings),
        spread_G=colour_spread(fake_B),
        spread_B=colour_spread(paintings),
        spread_F=colour_spread(fake_A),
        spread_A=colour_spread(photos),
    )


def photo_discriminators(
    ndf: int = 32, n_layers: int = 3
) -> tuple[PatchDiscriminator, PatchDiscriminator]:
    """``D_A`` (photos) and ``D_B`` (paintings): 70×70 PatchGANs as the shipped run trains them."""
    return tuple(PatchDiscriminator(ndf=ndf, n_layers=n_layers) for _ in "AB")


def load_shipped_generators(device: torch.device | str = "cpu") -> tuple[nn.Module, nn.Module]:
    """The shipped ``G_AB`` (photo → painting) and ``G_BA`` (painting → photo), in eval mode."""
    return tuple(
        _shipped(GENERATOR_FILES[name], load_generator, device) for name in ("G_AB", "G_BA")
    )


def load_shipped_discriminators(device: torch.device | str = "cpu") -> tuple[nn.Module, nn.Module]:
    """The shipped run's final ``D_A`` and ``D_B`` (raw PatchGAN scores; real ≈ 1, fake ≈ 0)."""

    def load(path: Path, device: torch.device | str) -> tuple[nn.Module, nn.Module]:
        state = read_weights(path, "the photo ↔ painting discriminators")
        if not {"D_A", "D_B"} <= state.keys():
            raise NstlibError(
                f"{path} should hold D_A and D_B; it holds {sorted(state)[:4]}; {REGENERATE}."
            )
        nets = photo_discriminators()
        for name, net in zip(("D_A", "D_B"), nets, strict=True):
            load_strict(net, state[name], path, f"the shipped {name}")
        return tuple(net.to(device).eval().requires_grad_(False) for net in nets)

    return _shipped(DISCRIMINATOR_FILE, load, device)


def load_shipped_snapshots() -> Snapshots:
    """The shipped run's snapshots: held-out pictures and :class:`PhotoScores` curves."""
    return _shipped(SNAPSHOT_FILE, lambda path, _: load_snapshots(path, CURVE_NAMES), None)


def _shipped(relative: str, load, device):
    path = datasets_dir() / relative
    if not path.is_file():
        raise NstlibError(f"{path} is missing; {REGENERATE}.")
    return load(path, device)


def _half(module: nn.Module) -> dict[str, torch.Tensor]:
    # fp16 halves the files; the weights are read back into fp32 networks (error ~1e-3 relative).
    return {k: v.detach().cpu().half() for k, v in module.state_dict().items()}


def make_shipped_run(
    options: TrainOptions = SHIPPED_OPTIONS,
    points: int = 8,
    progress: bool = True,
    datasets: Path | None = None,
) -> dict:
    """Train ``options`` from scratch in ``points`` segments and write the shipped files.

    Between segments (at :func:`nstlib.snapshots.snapshot_schedule` steps) the held-out pairs are
    translated and scored. Writes :data:`GENERATOR_FILES`, :data:`DISCRIMINATOR_FILE` (fp16) and
    :data:`SNAPSHOT_FILE` under ``datasets`` (default: the repository's ``datasets/``); returns the
    run's config as stored in the snapshots.
    """
    start = time.perf_counter()
    datasets = datasets or datasets_dir()
    if not (Path(options.data) / "trainA").is_dir():
        build_photo_painting(options.data)
    run = Path(options.out)
    tiles = max(len(domain_images(Path(options.data), f"train{d}")) for d in "AB")
    total = tiles * (
        options.n_epochs + options.n_epochs_decay
    )  # batch 1: a step per tile and epoch
    schedule = snapshot_schedule(total, points)
    photos, paintings = held_out_pairs()
    extractor = perceptual_extractor()
    pictures, curves = [], {name: [] for name in CURVE_NAMES}

    def record(G_AB: nn.Module, G_BA: nn.Module) -> None:
        pictures.append(
            np.stack([to_uint8(to_signed(x)) for x in translations(G_AB, G_BA, photos, paintings)])
        )
        for name, value in evaluate(G_AB, G_BA, photos, paintings, extractor)._asdict().items():
            curves[name].append(value)

    G_AB, G_BA, _, _ = build_networks(options)
    record(G_AB.eval(), G_BA.eval())  # step 0: the initial weights
    for step in schedule[1:]:
        if (run / "checkpoint.pt").exists():
            resume_cyclegan(run, stop_after=step, progress=progress)
        else:
            train_cyclegan(dataclasses.replace(options, stop_after=step), progress=progress)
        record(load_generator(run / "G_AB.pth"), load_generator(run / "G_BA.pth"))
        print(
            f"step {step}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in curves.items()), flush=True
        )
    seconds = time.perf_counter() - start

    config = {"ngf": options.ngf, "n_blocks": options.n_blocks}
    for name, relative in GENERATOR_FILES.items():
        generator = load_generator(run / f"{name}.pth")
        save_generator(generator.half(), config, datasets / relative)
    state = read_checkpoint(run / "checkpoint.pt")
    discriminators = photo_discriminators(options.ndf, options.n_layers_D)
    for name, net in zip(("D_A", "D_B"), discriminators, strict=True):
        net.load_state_dict(state["models"][name])
    with atomic_write(datasets / DISCRIMINATOR_FILE) as tmp, open(tmp, "wb") as file:
        torch.save(
            {name: _half(net) for name, net in zip(("D_A", "D_B"), discriminators, strict=True)},
            file,
        )

    losses = _segment_losses(run / "losses.csv", schedule)
    run_config = {
        "task": "photo <-> painting (nstlib.photo_domains)",
        "command": "python -m nstlib.photo_cyclegan",
        "steps": total,
        "seconds": round(seconds, 1),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        **{
            k: v
            for k, v in dataclasses.asdict(options).items()
            if k
            in (
                "ngf",
                "n_blocks",
                "ndf",
                "n_layers_D",
                "crop_size",
                "batch_size",
                "n_epochs",
                "n_epochs_decay",
                "lr",
                "seed",
            )
        },
    }
    save_snapshots(
        datasets / SNAPSHOT_FILE,
        Snapshots(
            steps=np.array(schedule, dtype=np.int64),
            real_A=to_uint8(to_signed(photos)),
            real_B=to_uint8(to_signed(paintings)),
            pictures=np.stack(pictures),
            curve_steps=np.array(schedule, dtype=np.int64),
            curves={k: np.array(v, dtype=np.float32) for k, v in curves.items()},
            losses=losses,
            config=run_config,
        ),
    )
    return run_config


def _segment_losses(path: Path, schedule: list[int]) -> dict[str, np.ndarray]:
    """Mean of each summed loss (G, cycle, idt, D) over the steps since the previous snapshot."""
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    out = {name: [float("nan")] for name in LOSS_PAIRS}  # step 0 has trained nothing
    for before, step in itertools.pairwise(schedule):
        chosen = [r for r in rows if before < int(r["step"]) <= step]
        for name, (first, second) in LOSS_PAIRS.items():
            out[name].append(float(np.mean([float(r[first]) + float(r[second]) for r in chosen])))
    return {k: np.array(v, dtype=np.float32) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    """``python -m nstlib.photo_cyclegan``: regenerate the shipped photo ↔ painting run."""
    parser = OneLineParser(
        prog="python -m nstlib.photo_cyclegan", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--out", type=Path, default=SHIPPED_OPTIONS.out, help="the run folder (must not hold a run)"
    )
    args = parser.parse_args(argv)

    def run() -> None:
        config = make_shipped_run(dataclasses.replace(SHIPPED_OPTIONS, out=args.out))
        print(f"wrote datasets/{SNAPSHOT_FILE} and the weights in {config['seconds']} s")

    return run_command(run)


if __name__ == "__main__":
    sys.exit(main())
