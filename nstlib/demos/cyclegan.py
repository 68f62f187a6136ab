"""Lesson 04 demos: CycleGAN on the toy domains, shipped training snapshots, a pretrained blend.

* :func:`toy_cyclegan`, :func:`domain_sampler` and :func:`evaluate` are the small CycleGAN the
  lesson trains on 32 px toy domains (:mod:`nstlib.toy_domains`) and the numbers it reports.
* :func:`colour_spread` and :func:`input_correlation` measure the collapse of a generator
  trained with an adversarial loss only.
* :func:`make_snapshots` runs a longer training of the same network on the texture pair and stores
  uint8 image grids at about ten points of training plus the score curves in one small ``.npz``;
  :class:`SnapshotDemo` scrubs through them with a slider, instantly.
* :class:`BlendDemo` blends a photo with its translation by the pretrained modern → vintage
  generator (:mod:`nstlib.pretrained`): ``(1 − α)·x + α·G(x)``.

Regenerate the shipped snapshot file (about 10 minutes on one CPU core)::

    python -m nstlib.demos.cyclegan            # writes datasets/snapshots/cyclegan_texture.npz
    python -m nstlib.demos.cyclegan --help     # steps, output path, seed

The file is read with ``numpy.load(allow_pickle=False)``: it holds arrays only, no code.

Reference: Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks".
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import ipywidgets as widgets
import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image
from torch import nn

from nstlib.cyclegan import ResnetGenerator, init_weights
from nstlib.cyclegan_train import LOSS_NAMES, CycleGANConfig, CycleGANTrainer, History, train
from nstlib.data import datasets_dir
from nstlib.errors import NstlibError
from nstlib.images import check_image, check_same_shape, png_bytes, to_unit
from nstlib.patchgan import PatchDiscriminator
from nstlib.pretrained import translate
from nstlib.toy_domains import content_change, domain_score, object_mask, sample_domain

SNAPSHOT_FILE = "snapshots/cyclegan_texture.npz"  # under datasets/
SNAPSHOT_ROWS = ("a", "G(a)", "F(G(a))", "b", "F(b)", "G(F(b))")
CURVE_NAMES = ("score_AB", "score_BA", "rec_A", "rec_B", "colour_shift", "mask_iou")


def toy_cyclegan(
    ngf: int = 16, n_blocks: int = 4, ndf: int = 16, n_layers: int = 2, seed: int = 0
) -> tuple[ResnetGenerator, ResnetGenerator, PatchDiscriminator, PatchDiscriminator]:
    """CycleGAN's four networks, shrunk for 32 px images on a CPU: ``G_AB, G_BA, D_A, D_B``.

    The generators are :class:`ResnetGenerator` with ``ngf`` channels and ``n_blocks`` blocks
    (the reference: 64 and 9). The discriminators are PatchGANs with ``n_layers`` stride-2 convs:
    2 gives a 34×34 receptive field and a 6×6 output map on 32 px images (the reference's 3 layers
    and 70×70 patches would see the whole image). All weights are initialised as in the reference
    (N(0, 0.02²)), from ``seed``.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        generators = [init_weights(ResnetGenerator(ngf=ngf, n_blocks=n_blocks)) for _ in range(2)]
        discriminators = [
            init_weights(PatchDiscriminator(ndf=ndf, n_layers=n_layers)) for _ in range(2)
        ]
    return generators[0], generators[1], discriminators[0], discriminators[1]


def domain_sampler(
    pair: str, domain: str, seed: int, size: int = 32, device: torch.device | str = "cpu"
) -> Callable[[int], torch.Tensor]:
    """``sample(n)``: ``n`` fresh images ``[n, 3, size, size]`` in ``[-1, 1]`` of one toy domain.

    Each sampler owns a generator seeded with ``seed``; give the two domains different seeds so
    that training never sees matching A and B objects (the data are *unpaired*).
    """
    generator = torch.Generator().manual_seed(seed)

    def sample(n: int) -> torch.Tensor:
        return sample_domain(pair, domain, n, size, generator=generator).to(device)

    return sample


def held_out_batches(pair: str, n: int = 64, size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Held-out ``(a, b)``, each ``[n, 3, size, size]``, drawn with the same seed: paired content.

    Equal seeds give the same objects in both domains (see :mod:`nstlib.toy_domains`), so
    evaluation could compare G(a) with "the right answer"; training never sees this pairing.
    """
    return (
        sample_domain(pair, "A", n, size, generator=torch.Generator().manual_seed(1234)),
        sample_domain(pair, "B", n, size, generator=torch.Generator().manual_seed(1234)),
    )


def object_colours(images: torch.Tensor) -> torch.Tensor:
    """``[n, 3]``: the chromaticity ``(r, g, b) / (r + g + b)`` of each image's object.

    The object is :func:`nstlib.toy_domains.object_mask` (pixels far from the background);
    brightness cancels, so a striped object and its flat twin have the same chromaticity. An image
    with no object pixels gets the background's chromaticity.
    """
    check_image(images, "images")
    unit = to_unit(images.detach().float().cpu())
    mask = object_mask(images.detach().float().cpu()).unsqueeze(1).float()
    mask = torch.where(mask.sum(dim=(2, 3), keepdim=True) > 0, mask, torch.ones_like(mask))
    mean_rgb = (unit * mask).sum(dim=(2, 3)) / mask.sum(dim=(2, 3))
    return mean_rgb / mean_rgb.sum(dim=1, keepdim=True).clamp(min=1e-6)


def colour_spread(images: torch.Tensor) -> float:
    """How different the objects' colours are across a batch ``[n, 3, H, W]`` (n ≥ 2).

    The mean over all pairs of half the L1 distance between their :func:`object_colours` (the
    units of ``content_change``'s colour shift): 0 when every object has the same hue, about 0.3
    for the toy domains' random hues. A generator that maps every input to one output scores ~0.
    """
    if images.shape[0] < 2:
        raise NstlibError(f"colour_spread needs at least 2 images; got {images.shape[0]}.")
    colours = object_colours(images)
    n = colours.shape[0]
    return (torch.cdist(colours, colours, p=1).sum() / 2 / (n * (n - 1))).item()


def input_correlation(inputs: torch.Tensor, outputs: torch.Tensor) -> float:
    """Mean over the batch of the Pearson correlation between each input and its output.

    Both ``[n, 3, H, W]``. Near 1: the output keeps the input's layout (where the object is, its
    colour); near 0: the output no longer depends on its input.
    """
    check_image(inputs, "inputs")
    check_image(outputs, "outputs")
    check_same_shape(inputs, outputs, ("inputs", "outputs"))
    x = inputs.detach().double().cpu().flatten(1)
    y = outputs.detach().double().cpu().flatten(1)
    x, y = x - x.mean(1, keepdim=True), y - y.mean(1, keepdim=True)
    corr = (x * y).sum(1) / (x.norm(dim=1) * y.norm(dim=1)).clamp(min=1e-12)
    return corr.mean().item()


class ToyScores(NamedTuple):
    """What a CycleGAN does on held-out toy images (means over the batch).

    ``score_AB``: domain score of G_AB(a), 0 = looks like A, 1 = looks like B (want 1).
    ``score_BA``: domain score of G_BA(b) (want 0). ``rec_A``, ``rec_B``: mean |F(G(a)) − a| and
    |G(F(b)) − b| in ``[-1, 1]`` units (want 0). ``colour_shift`` and ``mask_iou`` compare each
    object in a with the one in G_AB(a) (:func:`nstlib.toy_domains.content_change`): same hue
    (shift 0) and same place and outline (IoU 1) mean the content survived.
    """

    score_AB: float
    score_BA: float
    rec_A: float
    rec_B: float
    colour_shift: float
    mask_iou: float


@torch.no_grad()
def evaluate(
    G_AB: nn.Module, G_BA: nn.Module, pair: str, a: torch.Tensor, b: torch.Tensor
) -> ToyScores:
    """Translate held-out ``a`` (domain A) and ``b`` (domain B) both ways and score the results."""
    device = next(G_AB.parameters()).device
    a, b = a.to(device), b.to(device)
    fake_B, fake_A = G_AB(a), G_BA(b)
    rec_A, rec_B = G_BA(fake_B), G_AB(fake_A)
    change = content_change(a, fake_B)
    return ToyScores(
        score_AB=domain_score(fake_B, pair).mean().item(),
        score_BA=domain_score(fake_A, pair).mean().item(),
        rec_A=(rec_A - a).abs().mean().item(),
        rec_B=(rec_B - b).abs().mean().item(),
        colour_shift=change.colour_shift.mean().item(),
        mask_iou=change.mask_iou.mean().item(),
    )


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """``[n, 3, H, W]`` in ``[-1, 1]`` → ``[n, H, W, 3]`` uint8 (values outside are clipped)."""
    unit = to_unit(images.detach().float().cpu()).clamp(0, 1)
    return (unit * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def image_grid(rows: np.ndarray, scale: int = 1, gap: int = 2) -> np.ndarray:
    """Tile ``[R, C, H, W, 3]`` uint8 images into one ``[R·(H+gap), C·(W+gap), 3]`` picture.

    Each image is enlarged ``scale`` times by pixel repetition (no blur) and followed by a white
    gap, so small 32 px images stay crisp on screen.
    """
    if rows.ndim != 5 or rows.shape[-1] != 3:
        raise NstlibError(f"rows must be [R, C, H, W, 3] uint8; got shape {list(rows.shape)}.")
    big = rows.repeat(scale, axis=2).repeat(scale, axis=3)
    big = np.pad(big, ((0, 0), (0, 0), (0, gap), (0, gap), (0, 0)), constant_values=255)
    r, c, h, w, _ = big.shape
    return big.transpose(0, 2, 1, 3, 4).reshape(r * h, c * w, 3)


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
        fig = Figure(figsize=(7, 3.4), dpi=90)
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
        ax.legend(fontsize=8, loc="upper right")
        fig.tight_layout()
        return fig

    def __call__(self, trainer: CycleGANTrainer, history: History) -> None:
        from IPython.display import display  # only needed inside a notebook

        fig = self.figure(history)
        if self.handle is None:
            self.handle = display(fig, display_id=True)
        else:
            self.handle.update(fig)
        self.draws += 1


# -- the shipped snapshots of a longer run ---------------------------------------------------------


@dataclass(frozen=True)
class Snapshots:
    """A training run's pictures and scores, as stored by :func:`make_snapshots`.

    ``steps``: ``[K]`` training steps at which the pictures were taken (0 = untrained).
    ``real_A``, ``real_B``: ``[n, H, W, 3]`` uint8 held-out inputs (paired content).
    ``pictures``: ``[K, 4, n, H, W, 3]`` uint8; the 4 rows are G(a), F(G(a)), F(b), G(F(b)).
    ``curve_steps``: ``[M]`` steps of the score curves; ``curves[name]``: ``[M]`` for each name
    of :data:`CURVE_NAMES` (see :class:`ToyScores`). ``losses[name]``: ``[M]`` mean losses over
    the steps since the previous point (``G`` adversarial, ``cycle``, ``idt``, ``D``).
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


def default_snapshot_path() -> Path:
    """``datasets/snapshots/cyclegan_texture.npz`` in the repository."""
    return datasets_dir() / SNAPSHOT_FILE


def snapshot_schedule(steps: int, points: int = 10) -> list[int]:
    """``points + 1`` steps from 0 to ``steps``, denser early (where pictures change fastest).

    Spaced evenly in ``sqrt(step)``, rounded to multiples of 10 (except 0 and ``steps``).
    """
    if steps < points or points < 1:
        raise NstlibError(f"need steps ≥ points ≥ 1; got steps={steps}, points={points}.")
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

    The networks are :func:`toy_cyclegan`'s defaults (ngf 16, 4 blocks, 2-layer PatchGANs) with
    the reference's losses and optimiser; the learning rate is constant for the first half and
    decays linearly to ~0 over the second half (the reference's schedule, 10 + 10 "epochs").
    Pictures of ``n_show`` held-out pairs are stored at :func:`snapshot_schedule` steps and the
    scores (:func:`evaluate`, on 64 held-out pairs) every ``eval_every`` steps. Runs on the CPU
    with one thread (fastest for these tiny nets). Returns the path written (default:
    :func:`default_snapshot_path`); the file is a few hundred KB.
    """
    path = Path(path) if path is not None else default_snapshot_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    epochs = 20
    if steps % epochs or eval_every < 1:
        raise NstlibError(f"steps must be a multiple of {epochs} and eval_every ≥ 1; got {steps}.")
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
        curves: dict[str, list[float]] = {name: [] for name in CURVE_NAMES}
        losses: dict[str, list[float]] = {name: [] for name in ("G", "cycle", "idt", "D")}
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
                for name, value in (
                    evaluate(trainer.G_AB, trainer.G_BA, pair, a, b)._asdict().items()
                ):
                    curves[name].append(value)
                recent = {k: np.array(v[seen:]) for k, v in history.items()}
                seen = len(history["G_A"])
                if recent["G_A"].size:
                    losses["G"].append(float((recent["G_A"] + recent["G_B"]).mean()))
                    losses["cycle"].append(float((recent["cycle_A"] + recent["cycle_B"]).mean()))
                    losses["idt"].append(float((recent["idt_A"] + recent["idt_B"]).mean()))
                    losses["D"].append(float((recent["D_A"] + recent["D_B"]).mean()))
                else:  # step 0: nothing trained yet
                    for values in losses.values():
                        values.append(float("nan"))

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
    np.savez_compressed(
        path,
        steps=np.array(schedule, dtype=np.int64),
        real_A=to_uint8(a[show]),
        real_B=to_uint8(b[show]),
        pictures=np.stack(pictures),
        curve_steps=np.array(curve_steps, dtype=np.int64),
        **{f"curve_{k}": np.array(v, dtype=np.float32) for k, v in curves.items()},
        **{f"loss_{k}": np.array(v, dtype=np.float32) for k, v in losses.items()},
        config=np.array(json.dumps(config)),
    )
    return path


def load_snapshots(path: str | Path | None = None) -> Snapshots:
    """Read a file written by :func:`make_snapshots` (default: the shipped one), arrays only."""
    path = Path(path) if path is not None else default_snapshot_path()
    if not path.is_file():
        raise NstlibError(
            f"Snapshot file {path} not found; regenerate it with python -m nstlib.demos.cyclegan"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as exc:  # not an npz, truncated, or holding pickled objects
        raise NstlibError(f"{path} is not a snapshot file from make_snapshots: {exc}") from exc
    required = {"steps", "real_A", "real_B", "pictures", "curve_steps", "config"}
    required |= {f"curve_{name}" for name in CURVE_NAMES}
    if not required <= arrays.keys():
        raise NstlibError(
            f"{path} lacks {sorted(required - arrays.keys())}; regenerate it with "
            "python -m nstlib.demos.cyclegan"
        )
    return Snapshots(
        steps=arrays["steps"],
        real_A=arrays["real_A"],
        real_B=arrays["real_B"],
        pictures=arrays["pictures"],
        curve_steps=arrays["curve_steps"],
        curves={name: arrays[f"curve_{name}"] for name in CURVE_NAMES},
        losses={k[5:]: v for k, v in arrays.items() if k.startswith("loss_")},
        config=json.loads(str(arrays["config"])),
    )


class SnapshotDemo:
    """A slider over the snapshots of a longer run: pictures and score curves at each point.

    Args:
        snapshots: what :func:`load_snapshots` returns.
        scale: how many times to enlarge the 32 px pictures.

    Every picture and curve is rendered once here, so moving the slider only swaps two PNGs.
    ``widget`` is the box to display; :meth:`show` is the callback, ``index`` the shown snapshot.
    """

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
        self.grid_image = widgets.Image(format="png")
        self.curve_image = widgets.Image(format="png")
        self.readout = widgets.HTML()
        # One label per grid row, each as tall as a row of enlarged pictures plus its gap.
        size = snapshots.real_A.shape[1] * scale
        labels = "".join(
            f"<div style='height:{size + 2}px;line-height:{size}px'>{row}</div>"
            for row in SNAPSHOT_ROWS
        )
        self.widget = widgets.VBox(
            [
                self.slider,
                widgets.HBox([widgets.HTML(labels), self.grid_image, self.curve_image]),
                self.readout,
            ]
        )
        self.slider.observe(lambda change: self.show(), names="value")
        self.index = 0
        self.show()

    def _curve_png(self, index: int) -> bytes:
        s = self.snapshots
        fig = Figure(figsize=(4.6, 3.6), dpi=80)
        ax = fig.add_subplot()
        ax.plot(s.curve_steps, s.curves["score_AB"], label="domain score of G(a) (want 1)")
        ax.plot(s.curve_steps, s.curves["score_BA"], label="domain score of F(b) (want 0)")
        ax.plot(s.curve_steps, s.curves["rec_A"], label="|F(G(a)) − a| (want 0)")
        ax.plot(s.curve_steps, s.curves["colour_shift"], label="colour shift a → G(a) (want 0)")
        ax.axvline(s.steps[index], color="black", linestyle="--", linewidth=1)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("training step")
        ax.set_ylabel("score / error")
        ax.set_title("Held-out scores during the shipped run")
        ax.legend(fontsize=7, loc="center right")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()

    def show(self) -> int:
        """Display the snapshot the slider points at; return its index."""
        i = self.index = self.slider.value
        s = self.snapshots
        self.grid_image.value = self.grids[i]
        self.curve_image.value = self.curves[i]
        # Scores were measured every few hundred steps: show the last measurement at or before
        # this snapshot, and say when it was taken (never a later, better one).
        at = max(int(np.searchsorted(s.curve_steps, s.steps[i], side="right")) - 1, 0)
        c = {name: float(values[at]) for name, values in s.curves.items()}
        self.readout.value = (
            f"step <b>{int(s.steps[i]):,}</b> of {int(s.steps[-1]):,} &nbsp;|&nbsp; scores measured "
            f"at step {int(s.curve_steps[at]):,}: domain score "
            f"G(a) <b>{c['score_AB']:.2f}</b>, F(b) <b>{c['score_BA']:.2f}</b> &nbsp;|&nbsp; "
            f"reconstruction |F(G(a)) − a| <b>{c['rec_A']:.3f}</b>, |G(F(b)) − b| "
            f"<b>{c['rec_B']:.3f}</b> &nbsp;|&nbsp; colour shift <b>{c['colour_shift']:.2f}</b>"
        )
        return i


class BlendDemo:
    """Blend photos with their translation by a generator: ``(1 − α)·x + α·G(x)``.

    Args:
        generator: e.g. :func:`nstlib.pretrained.load_vintage_generator`'s.
        photos: name → ``[1, 3, H, W]`` photo in ``[0, 1]``.

    Each photo is translated once here (about a second per 256 px photo on a CPU); moving the
    slider or choosing another photo only blends two stored images and encodes one PNG.
    """

    def __init__(self, generator: nn.Module, photos: dict[str, torch.Tensor]) -> None:
        if not photos:
            raise NstlibError("photos is empty; pass at least one name → [1, 3, H, W] image.")
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
        self.image = widgets.Image(format="png")
        self.readout = widgets.HTML()
        self.widget = widgets.VBox(
            [widgets.HBox([self.photo_menu, self.alpha_slider]), self.image, self.readout]
        )
        self.alpha_slider.observe(lambda change: self.show(), names="value")
        self.photo_menu.observe(lambda change: self.show(), names="value")
        self.last = self.show()

    def blend(self, name: str, alpha: float) -> torch.Tensor:
        """``[1, 3, H, W]`` in ``[0, 1]``: the photo ``name`` moved a fraction ``alpha`` to G(x)."""
        if name not in self.inputs:
            raise NstlibError(f"Unknown photo {name!r}; choose one of {', '.join(self.inputs)}.")
        if not 0.0 <= alpha <= 1.0:
            raise NstlibError(f"alpha must be between 0 and 1; got {alpha}.")
        return (1 - alpha) * self.inputs[name] + alpha * self.outputs[name]

    def show(self) -> torch.Tensor:
        """Display the blend for the current photo and α; return it."""
        name, alpha = self.photo_menu.value, self.alpha_slider.value
        blended = self.blend(name, alpha)
        side_by_side = torch.cat([self.inputs[name], blended], dim=-1)[0]
        self.image.value = png_bytes(side_by_side)
        change = (blended - self.inputs[name]).abs().mean().item()
        self.readout.value = (
            f"left: the photo; right: (1 − α)·x + α·G(x) with α = <b>{alpha:.2f}</b> "
            f"&nbsp;|&nbsp; mean |change| = <b>{change:.3f}</b> (in [0, 1] units)"
        )
        self.last = blended
        return blended


def main(argv: list[str] | None = None) -> None:
    """``python -m nstlib.demos.cyclegan``: regenerate the shipped snapshot file."""
    parser = argparse.ArgumentParser(
        prog="python -m nstlib.demos.cyclegan",
        description="Train lesson 04's toy CycleGAN longer and store snapshots for its slider.",
    )
    parser.add_argument("-o", "--out", type=Path, default=None, help="default: " + SNAPSHOT_FILE)
    parser.add_argument("--steps", type=int, default=6000, help="training steps (default 6000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    matplotlib.use("Agg")
    path = make_snapshots(args.out, steps=args.steps, seed=args.seed)
    snapshots = load_snapshots(path)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB) in {snapshots.config['seconds']} s")
    final = {name: round(float(v[-1]), 4) for name, v in snapshots.curves.items()}
    print("final held-out scores:", final)


if __name__ == "__main__":
    main()
