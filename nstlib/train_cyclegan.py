"""``python -m nstlib train-cyclegan``: train a CycleGAN on your own two folders of photos.

The command (and :func:`train_cyclegan`, the same thing as a Python function) does what the
reference code's ``train.py --model cycle_gan`` does, with its options and defaults, and writes
one *run folder*::

    RUN/options.json       every setting of the run, readable
    RUN/checkpoint.pt      everything the next step depends on (networks, Adam, schedule, pools,
                           RNGs: :mod:`nstlib.cyclegan_checkpoint`), rewritten atomically after
                           each epoch
    RUN/G_AB.pth, G_BA.pth the two generators, for ``translate --weights RUN/G_AB.pth``
    RUN/losses.csv         one row per step: step, epoch (from 1), lr and the eight losses
    RUN/samples/epoch_NNN.png   fixed held-out photos A, G_AB(A), G_BA(G_AB(A)), B, G_BA(B),
                           G_AB(G_BA(B)) after each epoch, so epochs can be compared

``--resume RUN`` continues from ``RUN/checkpoint.pt``: a run stopped and resumed writes the same
weights and the same ``losses.csv`` as one that never stopped (same machine, same thread count):
the data order is a function of (seed, epoch) and each sample's crop, flip and B partner of
(seed, epoch, index) (see :mod:`nstlib.unaligned`), so the step count alone says where in the
data the run continues.

Under ``torchrun`` every process trains on its share of each epoch; see :mod:`nstlib.distributed`.
``--batch-size`` is per process, so ``N`` processes train with an effective batch of ``N ×`` it.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from nstlib import distributed
from nstlib.cyclegan import ResnetGenerator, init_weights
from nstlib.cyclegan_checkpoint import load_checkpoint, save_checkpoint
from nstlib.cyclegan_train import LOSS_NAMES, CycleGANConfig, CycleGANTrainer
from nstlib.errors import NstlibError
from nstlib.gan_losses import LOSS_KINDS
from nstlib.generator_files import save_generator
from nstlib.image_grid import image_grid, to_uint8
from nstlib.patchgan import PatchDiscriminator
from nstlib.plumbing.atomic import atomic_write
from nstlib.plumbing.command import OneLineParser
from nstlib.precision import PRECISIONS, choose_precision
from nstlib.unaligned import UnalignedImages, epoch_order, fixed_images

CHECKPOINT = "checkpoint.pt"
OPTIONS = "options.json"
CSV_COLUMNS = ("step", "epoch", "lr", *LOSS_NAMES)


def default_workers() -> int:
    """Data-loading processes: the reference's 4, but at most one fewer than this machine's cores,
    so that loading never takes the cores the training step runs on."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


@dataclass
class TrainOptions:
    """Every setting of a run. Defaults are the reference's (its option names in brackets).

    Data: ``data`` is a folder with ``trainA/`` and ``trainB/`` [``--dataroot``]; or ``dataset``
    names one that :func:`nstlib.fetch.fetch_dataset` downloads (``"horse2zebra"``, ...).
    Networks: ``n_blocks`` 9 [``--netG resnet_9blocks``], ``ngf``/``ndf`` 64, ``n_layers_D`` 3.
    Images: ``load_size`` 286, ``crop_size`` 256, ``flip`` [not ``--no_flip``].
    Training: ``batch_size`` 1 per process, ``n_epochs`` 100 at ``lr`` 2e-4 then ``n_epochs_decay``
    100 decaying linearly, ``beta1`` 0.5, ``lambda_A``/``lambda_B`` 10, ``lambda_identity`` 0.5,
    ``pool_size`` 50, ``gan_mode`` ``"lsgan"`` (``"non_saturating"`` is the reference's
    ``vanilla``). ``seed`` fixes the initial weights, the data order and the augmentations.
    Run control (not part of the result): ``precision`` (``auto`` picks per machine, see
    :mod:`nstlib.precision`), ``device``, ``backend`` (torchrun), ``workers`` (data-loading
    processes [``--num_threads`` 4], see :func:`default_workers`), ``samples`` (photos per domain in the grid), ``stop_after``
    (stop after this many steps in all, with a checkpoint, to continue later with ``--resume``).
    """

    out: Path
    data: Path | None = None
    dataset: str | None = None
    n_blocks: int = 9
    ngf: int = 64
    ndf: int = 64
    n_layers_D: int = 3
    load_size: int = 286
    crop_size: int = 256
    flip: bool = True
    batch_size: int = 1
    n_epochs: int = 100
    n_epochs_decay: int = 100
    lr: float = 2e-4
    beta1: float = 0.5
    lambda_A: float = 10.0
    lambda_B: float = 10.0
    lambda_identity: float = 0.5
    pool_size: int = 50
    gan_mode: str = "lsgan"
    seed: int = 0
    precision: str = "auto"
    device: str | None = None
    backend: str = "auto"
    workers: int = field(default_factory=default_workers)
    samples: int = 4
    stop_after: int | None = None


# Settings that may change when a run is resumed: they do not change what is computed.
RUN_CONTROL = ("device", "backend", "workers", "stop_after")


@dataclass(frozen=True)
class RunSummary:
    """What a call to :func:`train_cyclegan` did: the folder, steps done in all, seconds here."""

    run_dir: Path
    steps: int
    total_steps: int
    seconds: float
    precision: str


def train_cyclegan(options: TrainOptions, *, progress: bool = True) -> RunSummary:
    """Train a CycleGAN from scratch into the run folder ``options.out`` (see the module docs)."""
    out = Path(options.out)
    if (out / OPTIONS).exists():
        raise NstlibError(
            f"--out {out} already holds a run; continue it with --resume {out}, or choose "
            "another folder."
        )
    if (options.data is None) == (options.dataset is None):
        raise NstlibError(
            "give exactly one of --data DIR (a folder with trainA/ and trainB/) or --dataset "
            "NAME (e.g. horse2zebra, fetched with nstlib.fetch)."
        )
    return _run(options, resuming=False, progress=progress)


def resume_cyclegan(
    run_dir: str | Path, *, progress: bool = True, **run_control: object
) -> RunSummary:
    """Continue the run in ``run_dir`` from its checkpoint, bit for bit.

    ``run_control`` may change only the settings in :data:`RUN_CONTROL` (e.g. ``stop_after``).
    """
    run_dir = Path(run_dir)
    if not (run_dir / OPTIONS).is_file() or not (run_dir / CHECKPOINT).is_file():
        raise NstlibError(
            f"--resume {run_dir}: not a train-cyclegan run folder with a checkpoint (it needs "
            f"{OPTIONS} and {CHECKPOINT}; a run writes its first checkpoint after one epoch or "
            "at --stop-after)."
        )
    saved = json.loads((run_dir / OPTIONS).read_text())
    other = set(run_control) - set(RUN_CONTROL)
    if other:
        raise NstlibError(
            f"--resume continues with the run's own settings; only {', '.join(RUN_CONTROL)} may "
            f"change, not {', '.join(sorted(other))}. Start a new run to change them."
        )
    saved["stop_after"] = None  # the saved run stopped there; continue to the end unless told
    saved.update(run_control, out=str(run_dir))
    options = _options_from_dict(saved)
    return _run(options, resuming=True, progress=progress)


def _options_from_dict(values: dict) -> TrainOptions:
    for key in ("out", "data"):
        if values.get(key) is not None:
            values[key] = Path(values[key])
    return TrainOptions(**values)


def _options_to_dict(options: TrainOptions) -> dict:
    return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(options).items()}


def build_networks(
    options: TrainOptions,
) -> tuple[ResnetGenerator, ResnetGenerator, PatchDiscriminator, PatchDiscriminator]:
    """``G_AB, G_BA, D_A, D_B`` with the reference's initialisation, seeded by ``options.seed``."""
    torch.manual_seed(options.seed)
    generators = [
        init_weights(ResnetGenerator(ngf=options.ngf, n_blocks=options.n_blocks)) for _ in "AB"
    ]
    discriminators = [
        init_weights(PatchDiscriminator(ndf=options.ndf, n_layers=options.n_layers_D)) for _ in "AB"
    ]
    return (*generators, *discriminators)


def _trainer_config(options: TrainOptions) -> CycleGANConfig:
    return CycleGANConfig(
        lr=options.lr,
        betas=(options.beta1, 0.999),
        lambda_A=options.lambda_A,
        lambda_B=options.lambda_B,
        lambda_identity=options.lambda_identity,
        gan_mode=options.gan_mode,
        pool_size=options.pool_size,
        n_epochs=options.n_epochs,
        n_epochs_decay=options.n_epochs_decay,
        seed=options.seed,
    )


def _data_root(options: TrainOptions) -> Path:
    if options.data is not None:
        if not Path(options.data).is_dir():
            raise NstlibError(f"--data {options.data} is not a folder.")
        return Path(options.data)
    from nstlib.fetch import fetch_dataset  # imported here: only --dataset needs it

    return fetch_dataset(options.dataset)


def _run(options: TrainOptions, resuming: bool, progress: bool) -> RunSummary:
    start_time = time.perf_counter()
    if options.batch_size < 1 or options.workers < 0 or options.samples < 0:
        raise NstlibError("--batch-size must be ≥ 1, --workers and --samples ≥ 0.")
    if options.gan_mode not in LOSS_KINDS:
        raise NstlibError(f"--gan-mode {options.gan_mode!r} is not one of {', '.join(LOSS_KINDS)}.")
    processes = distributed.setup(options.device, options.backend)
    try:
        return _train(options, resuming, progress, processes, start_time)
    finally:
        distributed.teardown(processes)


def _train(
    options: TrainOptions,
    resuming: bool,
    progress: bool,
    processes: distributed.Processes,
    start_time: float,
) -> RunSummary:
    out = Path(options.out)
    root = _data_root(options)
    dataset = UnalignedImages(
        root, "train", options.load_size, options.crop_size, options.flip, options.seed
    )
    precision = choose_precision(processes.device, options.precision)
    trainer = CycleGANTrainer(
        *build_networks(options),
        _trainer_config(options),
        device=processes.device,
        precision=precision,
        distributed=processes.distributed,
    )
    if resuming:
        load_checkpoint(trainer, out / CHECKPOINT)
    if processes.distributed and not processes.is_main:
        # Each rank keeps its own pool of its own fakes; give each rank its own random stream.
        for k, pool in enumerate((trainer.pool_A, trainer.pool_B)):
            pool.rng.manual_seed(options.seed + 2 * processes.rank + k)

    # DistributedSampler gives each rank ceil(len / world_size) indices per epoch.
    steps_per_epoch = math.ceil(math.ceil(len(dataset) / processes.world_size) / options.batch_size)
    total_steps = steps_per_epoch * (options.n_epochs + options.n_epochs_decay)
    stop = total_steps if options.stop_after is None else min(options.stop_after, total_steps)
    show = options.samples > 0 and processes.is_main
    grid = fixed_images(root, options.samples, options.crop_size) if show else None
    if processes.is_main:
        _prepare_run_folder(options, trainer.step_count)
        print(
            f"train-cyclegan: {len(dataset.paths_A)} A and {len(dataset.paths_B)} B images from "
            f"{root}; {steps_per_epoch} steps per epoch × "
            f"{options.n_epochs + options.n_epochs_decay} epochs = {total_steps} steps; "
            f"{processes.world_size} process(es), batch {options.batch_size} each, on "
            f"{processes.device}, precision {precision.name}"
            + (f"; resuming at step {trainer.step_count}" if resuming else ""),
            flush=True,
        )
    distributed.barrier(processes)  # the other ranks start once the run folder exists

    bar = tqdm(
        total=stop,
        initial=trainer.step_count,
        desc="CycleGAN",
        unit="step",
        disable=not (progress and processes.is_main),
    )
    log = _LossLog(out / "losses.csv", fresh=trainer.step_count == 0) if processes.is_main else None
    try:
        while trainer.step_count < stop:
            epoch, done = divmod(trainer.step_count, steps_per_epoch)
            for batch in _epoch_batches(dataset, options, processes, epoch, done):
                lr = trainer.lr
                losses = trainer.step(batch["A"], batch["B"])
                # Every rank trained on its own images; log the mean over ranks, which is what
                # one process with the whole batch would report.
                values = distributed.average([losses[n] for n in LOSS_NAMES], processes)
                epoch_done = trainer.step_count % steps_per_epoch == 0
                if epoch_done:
                    trainer.end_epoch()
                if log:
                    log.write(trainer.step_count, epoch + 1, lr, values)
                    bar.set_postfix(epoch=epoch + 1, **_summary(values), refresh=False)
                bar.update()
                if epoch_done or trainer.step_count == stop:
                    if processes.is_main:
                        _save(trainer, options, out)
                        if epoch_done and grid is not None:
                            picture = out / "samples" / f"epoch_{epoch + 1:03d}.png"
                            _sample_grid(trainer, *grid, picture)
                    distributed.barrier(processes)
                if trainer.step_count == stop:
                    break
    finally:
        bar.close()
        if log:
            log.close()
    seconds = time.perf_counter() - start_time
    if processes.is_main:
        print(
            f"train-cyclegan: step {trainer.step_count} of {total_steps} in {seconds:.1f} s → {out}",
            flush=True,
        )
    return RunSummary(out, trainer.step_count, total_steps, seconds, precision.name)


def _epoch_batches(
    dataset: UnalignedImages,
    options: TrainOptions,
    processes: distributed.Processes,
    epoch: int,
    done: int,
) -> DataLoader:
    """This rank's batches of ``epoch``, skipping the first ``done`` (trained before a resume).

    The skipped samples are dropped from the index list, so no image is loaded for nothing.
    """
    dataset.set_epoch(epoch)
    order = epoch_order(dataset, epoch, options.seed, processes.rank, processes.world_size)
    return DataLoader(
        dataset,
        batch_size=options.batch_size,
        sampler=order[done * options.batch_size :],
        num_workers=options.workers,
        pin_memory=processes.device.type == "cuda",
    )


def _summary(values: list[float]) -> dict[str, str]:
    """The progress bar's short readout: total G adversarial, cycle and D losses."""
    loss = dict(zip(LOSS_NAMES, values, strict=True))
    return {
        "G": f"{loss['G_A'] + loss['G_B']:.3f}",
        "cyc": f"{loss['cycle_A'] + loss['cycle_B']:.3f}",
        "D": f"{loss['D_A'] + loss['D_B']:.3f}",
    }


def _prepare_run_folder(options: TrainOptions, step: int) -> None:
    """Create the run folder, write ``options.json``, and cut ``losses.csv`` back to ``step``."""
    out = Path(options.out)
    (out / "samples").mkdir(parents=True, exist_ok=True)
    with atomic_write(out / OPTIONS) as tmp:
        tmp.write_text(json.dumps(_options_to_dict(options), indent=2) + "\n")
    _trim_losses(out / "losses.csv", step)


class _LossLog:
    """``losses.csv``, one row per step, flushed at once (a crash loses no logged step)."""

    def __init__(self, path: Path, fresh: bool) -> None:
        self.file = open(path, "w" if fresh else "a", newline="")
        self.writer = csv.writer(self.file)
        if fresh:
            self.writer.writerow(CSV_COLUMNS)

    def write(self, step: int, epoch: int, lr: float, values: list[float]) -> None:
        # repr keeps every digit, so two runs' files can be compared exactly.
        self.writer.writerow([step, epoch, repr(lr), *map(repr, values)])
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def _save(trainer: CycleGANTrainer, options: TrainOptions, out: Path) -> None:
    """The checkpoint and both generator files, each written atomically."""
    save_checkpoint(trainer, out / CHECKPOINT)
    config = {"ngf": options.ngf, "n_blocks": options.n_blocks}
    save_generator(trainer.G_AB, config, out / "G_AB.pth")
    save_generator(trainer.G_BA, config, out / "G_BA.pth")


def _trim_losses(path: Path, step: int) -> None:
    """Drop the rows after ``step`` (logged after the checkpoint a resumed run starts from)."""
    if not path.exists():
        return
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    kept = rows[:1] + [row for row in rows[1:] if int(row[0]) <= step]
    with atomic_write(path) as tmp, open(tmp, "w", newline="") as file:
        csv.writer(file).writerows(kept)


@torch.no_grad()
def _sample_grid(
    trainer: CycleGANTrainer, real_A: torch.Tensor, real_B: torch.Tensor, path: Path
) -> None:
    """One row per fixed photo: A, G_AB(A), G_BA(G_AB(A)), B, G_BA(B), G_AB(G_BA(B))."""
    device, n = trainer.device, min(len(real_A), len(real_B))
    a, b = real_A[:n].to(device), real_B[:n].to(device)
    with trainer.precision.autocast():
        fake_B, fake_A = trainer.G_AB(a), trainer.G_BA(b)
        columns = [a, fake_B, trainer.G_BA(fake_B), b, fake_A, trainer.G_AB(fake_A)]
    rows = np.stack([to_uint8(c) for c in columns], axis=1)  # [n, 6, H, W, 3]
    with atomic_write(path) as tmp:
        Image.fromarray(image_grid(rows)).save(tmp, format="PNG")


# -- command line ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m nstlib train-cyclegan``.

    Options are spelled with dashes (``--n-epochs``); the reference's spellings (``--n_epochs``,
    ``--dataroot``, ``--lambda_A``, ...) are accepted too, so its command lines carry over.
    """
    d = TrainOptions(out=Path("."))
    p = OneLineParser(prog="python -m nstlib train-cyclegan", description=__doc__.splitlines()[0])
    where = p.add_argument_group("data and run folder")
    where.add_argument("--data", "--dataroot", type=Path, help="folder with trainA/ and trainB/")
    where.add_argument("--dataset", help="a dataset for nstlib.fetch, e.g. horse2zebra")
    where.add_argument("--out", type=Path, help="the run folder to create")
    where.add_argument("--resume", type=Path, metavar="RUN", help="continue the run in RUN")

    def option(group, name: str, kind=None, help: str = "", **extra) -> None:
        dest = name.replace("-", "_")
        flags = [f"--{name}"] + ([f"--{dest}"] if dest != name else [])
        default = getattr(d, dest)
        group.add_argument(
            *flags, dest=dest, type=kind, default=default, help=f"{help} ({default})", **extra
        )

    nets = p.add_argument_group("networks")
    option(nets, "n-blocks", int, "residual blocks in each generator")
    option(nets, "ngf", int, "generator width")
    option(nets, "ndf", int, "discriminator width")
    option(nets, "n-layers-D", int, "stride-2 convs of the PatchGAN")
    images = p.add_argument_group("images")
    option(images, "load-size", int, "resize to this square first")
    option(images, "crop-size", int, "then crop a random square of this size")
    images.add_argument(
        "--no-flip", "--no_flip", dest="flip", action="store_false", help="no random flips"
    )
    train = p.add_argument_group("training")
    option(train, "batch-size", int, "images per step and process")
    option(train, "n-epochs", int, "epochs at the initial learning rate")
    option(train, "n-epochs-decay", int, "epochs of linear decay to 0")
    option(train, "lr", float, "Adam learning rate")
    option(train, "beta1", float, "Adam beta1")
    option(train, "lambda-A", float, "cycle loss weight A→B→A")
    option(train, "lambda-B", float, "cycle loss weight B→A→B")
    option(train, "lambda-identity", float, "identity loss, as a fraction of the lambdas")
    option(train, "pool-size", int, "past fakes shown to each D (0: none)")
    option(train, "gan-mode", str, "adversarial loss", choices=LOSS_KINDS)
    option(train, "seed", int, "initial weights, data order, augmentations")
    run = p.add_argument_group("run control")
    option(run, "precision", str, "arithmetic", choices=PRECISIONS)
    option(run, "device", str, "cpu, cuda or mps; default: best")
    option(run, "backend", str, "torchrun backend", choices=distributed.BACKENDS)
    option(run, "workers", int, "data-loading processes")
    option(run, "samples", int, "fixed photos per domain in each epoch's grid")
    option(run, "stop-after", int, "stop after this many steps in all, with a checkpoint")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    return p


def main(argv: list[str]) -> None:
    """Parse ``argv`` (the arguments after ``train-cyclegan``), then train or resume."""
    parser = build_parser()
    args = parser.parse_args(argv)
    given = {
        k: v
        for k, v in vars(args).items()
        if k in {f.name for f in dataclasses.fields(TrainOptions)}
    }
    if args.resume is not None:
        changed = [
            k
            for k, v in given.items()
            if k not in RUN_CONTROL and k != "out" and v != parser.get_default(k)
        ]
        if changed:
            raise NstlibError(
                f"--resume {args.resume} continues with the run's own settings; drop "
                + ", ".join("--" + k.replace("_", "-") for k in changed)
                + f" (only {', '.join('--' + k.replace('_', '-') for k in RUN_CONTROL)} may change)."
            )
        control = {k: given[k] for k in RUN_CONTROL if given[k] != parser.get_default(k)}
        resume_cyclegan(args.resume, progress=args.progress, **control)
    else:
        if given["out"] is None:
            raise NstlibError(
                "train-cyclegan needs --out RUN_DIR (the run folder to create), or --resume RUN_DIR."
            )
        train_cyclegan(TrainOptions(**given), progress=args.progress)
