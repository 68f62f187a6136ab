"""Snapshots of a longer toy CycleGAN run: made once, shipped, scrubbed through in lesson 04.

Lesson 04 can afford a few hundred training steps; the texture pair needs thousands before the
stripes and the cycle settle. :func:`make_snapshots` runs that longer training of lesson 04's
network (:func:`nstlib.toy_cyclegan.toy_cyclegan`) and stores uint8 pictures of six held-out pairs
at about ten points of training, plus the held-out score curves, in one small ``.npz`` file;
:func:`load_snapshots` reads it back as a :class:`Snapshots`, for
:class:`nstlib.demos.cyclegan.SnapshotDemo`'s slider.

Regenerate the shipped file (about 10 minutes on one CPU core)::

    python -m nstlib.snapshots                   # writes datasets/snapshots/cyclegan_texture.npz
    python -m nstlib.snapshots --pair geometry   # the control: discs ↔ squares, as long
    python -m nstlib.snapshots --help            # steps, output path, seed

The file is read with ``numpy.load(allow_pickle=False)``: it holds arrays only, no code.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from nstlib.cyclegan_train import LOSS_NAMES, CycleGANConfig, CycleGANTrainer, History, train
from nstlib.errors import NstlibError
from nstlib.image_grid import to_uint8
from nstlib.plumbing.atomic import atomic_write
from nstlib.plumbing.command import OneLineParser, run_command
from nstlib.plumbing.paths import datasets_dir
from nstlib.toy_cyclegan import domain_sampler, evaluate, held_out_batches, toy_cyclegan
from nstlib.validate import check_int, check_output_path

SNAPSHOT_FILES = {  # under datasets/, one per toy pair
    "texture": "snapshots/cyclegan_texture.npz",
    "geometry": "snapshots/cyclegan_geometry.npz",
}
SNAPSHOT_ROWS = ("a", "G(a)", "F(G(a))", "b", "F(b)", "G(F(b))")
CURVE_NAMES = ("score_AB", "score_BA", "rec_A", "rec_B", "colour_shift", "mask_iou")
# Optional curves (files made before they existed lack them): D_B's mean verdict on G(a) and on b.
VERDICT_NAMES = ("D_B_fake", "D_B_real")
# Each stored loss curve sums one loss over both directions (see cyclegan_train.LOSS_NAMES).
LOSS_PAIRS = {
    "G": ("G_A", "G_B"),
    "cycle": ("cycle_A", "cycle_B"),
    "idt": ("idt_A", "idt_B"),
    "D": ("D_A", "D_B"),
}
REGENERATE = "regenerate it with python -m nstlib.snapshots"


@dataclass(frozen=True)
class Snapshots:
    """A training run's pictures and scores, as stored by :func:`make_snapshots`.

    ``steps``: ``[K]`` training steps at which the pictures were taken (0 = untrained).
    ``real_A``, ``real_B``: ``[n, H, W, 3]`` uint8 held-out inputs (paired content).
    ``pictures``: ``[K, 4, n, H, W, 3]`` uint8; the 4 rows are G(a), F(G(a)), F(b), G(F(b)).
    ``curve_steps``: ``[M]`` steps of the score curves; ``curves[name]``: ``[M]`` for each name
    of :data:`CURVE_NAMES` (see :class:`nstlib.toy_cyclegan.ToyScores`). ``losses[name]``: ``[M]``
    mean losses over the steps since the previous point, for each name of :data:`LOSS_PAIRS`.
    ``config``: how the run was made (pair, sizes, steps, seconds, ...).
    """

    steps: np.ndarray
    real_A: np.ndarray
    real_B: np.ndarray
    pictures: np.ndarray
    curve_steps: np.ndarray
    curves: dict[str, np.ndarray]
    losses: dict[str, np.ndarray]
    config: dict

    def rows(self, index: int) -> np.ndarray:
        """The ``[6, n, H, W, 3]`` grid of snapshot ``index``, in :data:`SNAPSHOT_ROWS` order."""
        fake_B, rec_A, fake_A, rec_B = self.pictures[index]
        return np.stack([self.real_A, fake_B, rec_A, self.real_B, fake_A, rec_B])


@torch.no_grad()
def discriminator_verdict(
    trainer: CycleGANTrainer, a: torch.Tensor, b: torch.Tensor
) -> dict[str, float]:
    """``D_B``'s mean score on the translations ``G(a)`` and on the real ``b`` (LSGAN: real → 1,
    fake → 0): whether the discriminator still tells the translations from the target domain."""
    return {
        "D_B_fake": trainer.D_B(trainer.G_AB(a)).mean().item(),
        "D_B_real": trainer.D_B(b).mean().item(),
    }


def default_snapshot_path(pair: str = "texture") -> Path:
    """The shipped run of toy ``pair``: ``datasets/snapshots/cyclegan_<pair>.npz``."""
    return datasets_dir() / SNAPSHOT_FILES[pair]


def snapshot_schedule(steps: int, points: int = 10) -> list[int]:
    """``points + 1`` steps from 0 to ``steps``, denser early (where pictures change fastest).

    Spaced evenly in ``sqrt(step)``, rounded to multiples of 10 (except 0 and ``steps``).
    """
    if steps < points or points < 1:
        raise NstlibError(
            f"snapshot_schedule needs steps ≥ points ≥ 1; got steps={steps}, points={points}. "
            "Train for more steps or take fewer points."
        )
    grid = np.linspace(0, np.sqrt(steps), points + 1) ** 2
    chosen = [0, *(int(round(s / 10) * 10) for s in grid[1:-1]), steps]
    return sorted(set(chosen))


def make_snapshots(
    path: str | Path | None = None,
    pair: str = "texture",
    steps: int = 6000,
    points: int = 10,
    n_show: int = 6,
    eval_every: int = 200,
    batch_size: int = 4,
    seed: int = 0,
    progress: bool = True,
) -> Path:
    """Train the lesson's toy CycleGAN for ``steps`` steps and store snapshots in an ``.npz``.

    The networks are :func:`~nstlib.toy_cyclegan.toy_cyclegan`'s defaults (ngf 16, 4 blocks,
    2-layer PatchGANs) with the reference's losses and optimiser; the learning rate is constant for
    the first half and decays linearly to ~0 over the second half (the reference's schedule,
    10 + 10 "epochs"). Pictures of ``n_show`` held-out pairs are stored at
    :func:`snapshot_schedule` steps and the scores (:func:`~nstlib.toy_cyclegan.evaluate`, on 64
    held-out pairs) every ``eval_every`` steps. Runs on the CPU with one thread (fastest for these
    tiny nets). Returns the path written (default: :func:`default_snapshot_path`); the file is a
    few hundred KB and appears only once complete.
    """
    path = Path(path) if path is not None else default_snapshot_path(pair)
    epochs = 20
    if steps % epochs or eval_every < 1:
        raise NstlibError(
            f"make_snapshots needs steps a multiple of {epochs} (the lr schedule's epochs) and "
            f"eval_every ≥ 1; got steps={steps}, eval_every={eval_every}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        trainer = CycleGANTrainer(
            *toy_cyclegan(seed=seed),
            CycleGANConfig(n_epochs=epochs // 2, n_epochs_decay=epochs // 2, seed=seed),
            device="cpu",
        )
        a, b = held_out_batches(pair)
        show = list(range(n_show))
        schedule = snapshot_schedule(steps, points)
        pictures: list[np.ndarray] = []
        curve_steps: list[int] = []
        curves: dict[str, list[float]] = {name: [] for name in (*CURVE_NAMES, *VERDICT_NAMES)}
        losses: dict[str, list[float]] = {name: [] for name in LOSS_PAIRS}
        seen = 0  # how many entries of the history were already averaged into `losses`

        def record(trainer: CycleGANTrainer, history: History) -> None:
            nonlocal seen
            step = trainer.step_count
            if step in schedule:
                with torch.no_grad():
                    fake_B, fake_A = trainer.G_AB(a[show]), trainer.G_BA(b[show])
                    rec_A, rec_B = trainer.G_BA(fake_B), trainer.G_AB(fake_A)
                pictures.append(np.stack([to_uint8(x) for x in (fake_B, rec_A, fake_A, rec_B)]))
            if step % eval_every == 0 or step == steps:
                curve_steps.append(step)
                scores = evaluate(trainer.G_AB, trainer.G_BA, pair, a, b)
                for name, value in scores._asdict().items():
                    curves[name].append(value)
                for name, value in discriminator_verdict(trainer, a, b).items():
                    curves[name].append(value)
                recent = {k: np.array(v[seen:]) for k, v in history.items()}
                seen = len(history["G_A"])
                for name, (first, second) in LOSS_PAIRS.items():
                    # Step 0 has trained nothing yet: its mean loss is NaN (no steps to average).
                    total = recent[first] + recent[second]
                    losses[name].append(float(total.mean()) if total.size else float("nan"))

        start = time.perf_counter()
        record(trainer, {name: [] for name in LOSS_NAMES})  # step 0: the untrained networks
        train(
            trainer,
            domain_sampler(pair, "A", seed=seed + 1),
            domain_sampler(pair, "B", seed=seed + 2),
            steps,
            batch_size=batch_size,
            steps_per_epoch=steps // epochs,
            progress=progress,
            callback=record,
            every=1,  # record itself decides: pictures on the schedule, scores every eval_every
        )
        seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    config = {
        "pair": pair,
        "steps": steps,
        "batch_size": batch_size,
        "ngf": 16,
        "n_blocks": 4,
        "ndf": 16,
        "n_layers": 2,
        "size": int(a.shape[-1]),
        "lr": "2e-4, constant for half the steps, then linear decay to ~0",
        "seed": seed,
        "seconds": round(seconds, 1),
        "torch": torch.__version__,
    }
    save_snapshots(
        path,
        Snapshots(
            steps=np.array(schedule, dtype=np.int64),
            real_A=to_uint8(a[show]),
            real_B=to_uint8(b[show]),
            pictures=np.stack(pictures),
            curve_steps=np.array(curve_steps, dtype=np.int64),
            curves={k: np.array(v, dtype=np.float32) for k, v in curves.items()},
            losses={k: np.array(v, dtype=np.float32) for k, v in losses.items()},
            config=config,
        ),
    )
    return path


def save_snapshots(path: str | Path, snapshots: Snapshots) -> Path:
    """Write ``snapshots`` to one compressed ``.npz`` (arrays only), atomically; return ``path``."""
    s = snapshots
    with atomic_write(path) as tmp, open(tmp, "wb") as file:  # a file object: numpy adds no suffix
        np.savez_compressed(
            file,
            steps=s.steps,
            real_A=s.real_A,
            real_B=s.real_B,
            pictures=s.pictures,
            curve_steps=s.curve_steps,
            **{f"curve_{k}": v for k, v in s.curves.items()},
            **{f"loss_{k}": v for k, v in s.losses.items()},
            config=np.array(json.dumps(s.config)),
        )
    return Path(path)


def load_snapshots(
    path: str | Path | None = None, curve_names: tuple[str, ...] = CURVE_NAMES
) -> Snapshots:
    """Read a file written by :func:`save_snapshots` (default: the shipped toy run), arrays only.

    ``curve_names``: the score curves the file must hold (the toy run's by default).
    """
    path = Path(path) if path is not None else default_snapshot_path()
    if not path.is_file():
        raise NstlibError(f"Snapshot file {path} not found; {REGENERATE}.")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as exc:  # not an npz, truncated, or holding pickled objects
        raise NstlibError(
            f"{path} is not a snapshot file from make_snapshots ({exc}); {REGENERATE}."
        ) from exc
    required = {"steps", "real_A", "real_B", "pictures", "curve_steps", "config"}
    required |= {f"curve_{name}" for name in curve_names}
    if not required <= arrays.keys():
        raise NstlibError(f"{path} lacks {sorted(required - arrays.keys())}; {REGENERATE}.")
    return Snapshots(
        steps=arrays["steps"],
        real_A=arrays["real_A"],
        real_B=arrays["real_B"],
        pictures=arrays["pictures"],
        curve_steps=arrays["curve_steps"],
        curves={
            k.removeprefix("curve_"): v
            for k, v in arrays.items()
            if k.startswith("curve_") and k != "curve_steps"
        },
        losses={k.removeprefix("loss_"): v for k, v in arrays.items() if k.startswith("loss_")},
        config=json.loads(str(arrays["config"])),
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m nstlib.snapshots``: regenerate the shipped snapshot file; the exit status."""
    parser = OneLineParser(
        prog="python -m nstlib.snapshots",
        description="Train lesson 04's toy CycleGAN longer and store snapshots for its slider.",
    )
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        default=None,
        help="default: datasets/snapshots/cyclegan_<pair>.npz",
    )
    parser.add_argument("--steps", type=int, default=6000, help="training steps (default 6000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pair", choices=("texture", "geometry"), default="texture")
    args = parser.parse_args(argv)

    def run() -> None:
        if args.out is not None:
            check_output_path(args.out, suffixes=(".npz",))
        steps = check_int(args.steps, "--steps", low=1)
        path = make_snapshots(args.out, pair=args.pair, steps=steps, seed=args.seed)
        snapshots = load_snapshots(path)
        seconds = snapshots.config["seconds"]
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB) in {seconds} s")
        final = {name: round(float(v[-1]), 4) for name, v in snapshots.curves.items()}
        print("final held-out scores:", final)

    return run_command(run)


if __name__ == "__main__":
    sys.exit(main())
