"""Saving a CycleGAN run and resuming it exactly: checkpoints beside the training step.

A CycleGAN trains for hours, so a run of :class:`~nstlib.cyclegan_train.CycleGANTrainer` must
survive being stopped. A checkpoint holds everything that influences the next step: the four
networks' weights, both Adams' moments, the learning-rate schedulers, the step and epoch counters,
the image pools (their images and random generators), the fp16 loss scale, the global random
states of torch, CUDA, Python and NumPy, and the state of the data samplers passed as ``samplers=`` (lesson 04's
:class:`~nstlib.toy_cyclegan.DomainSampler` keeps its own random generator).

**What "exact" covers.** A run that is stopped and resumed computes bit-for-bit what an
uninterrupted run computes (on the same machine and thread count) when every source of randomness
in the loop is one of these: the global generators, or a sampler passed in ``samplers=`` (any
object with ``state_dict()`` and ``load_state_dict()``). Any other private random state — a
sampler you did not pass, a ``DataLoader``'s shuffling — is not in the checkpoint, and from it
on the resumed run draws different data.

* :func:`save_checkpoint` writes one (atomically: a crash never leaves half a file);
* :func:`load_checkpoint` restores one into a trainer built with the same config;
* :func:`resume` builds a new trainer with the saved config and restores the checkpoint into it.

Files are read with ``torch.load(weights_only=True)`` (:mod:`nstlib.plumbing.weights`): tensors
and plain numbers only, no code.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn

from nstlib.cyclegan_train import MODEL_NAMES, CycleGANConfig, CycleGANTrainer
from nstlib.errors import NstlibError
from nstlib.plumbing.atomic import atomic_write
from nstlib.plumbing.weights import load_strict, read_weights

# What save_checkpoint writes, and what each entry must be for the file to be resumable.
REQUIRED = {
    "config": dict,
    "models": dict,
    "opt_G": dict,
    "opt_D": dict,
    "schedulers": list,
    "pools": dict,
    "step_count": int,
    "epoch": int,
    "rng": dict,
}


class Stateful(Protocol):
    """Anything whose random state can be saved and restored, like a ``DomainSampler``."""

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...


WHAT = "a CycleGAN checkpoint written by nstlib.cyclegan_checkpoint.save_checkpoint"


def global_rng_state() -> dict:
    """The global random states (torch, CUDA, Python, NumPy) as ``weights_only``-loadable values."""
    name, key, *rest = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": random.getstate(),
        # weights_only loading refuses NumPy arrays, so NumPy's key travels as a tensor.
        "numpy": (name, torch.from_numpy(key.astype(np.int64)), *rest),
    }


def set_global_rng_state(state: dict) -> None:
    """Restore what :func:`global_rng_state` returned (CUDA's only where CUDA is available)."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    random.setstate(state["python"])
    name, key, *rest = state["numpy"]
    np.random.set_state((name, key.numpy().astype(np.uint32), *rest))


def trainer_state(trainer: CycleGANTrainer, samplers: Mapping[str, Stateful] = {}) -> dict:
    """Everything ``trainer``'s next step depends on, as tensors and plain Python values."""
    return {
        "samplers": {name: sampler.state_dict() for name, sampler in samplers.items()},
        "config": dataclasses.asdict(trainer.config),
        "models": {name: getattr(trainer, name).state_dict() for name in MODEL_NAMES},
        "opt_G": trainer.opt_G.state_dict(),
        "opt_D": trainer.opt_D.state_dict(),
        "schedulers": [s.state_dict() for s in trainer.schedulers],
        "pools": {"A": trainer.pool_A.state_dict(), "B": trainer.pool_B.state_dict()},
        "scaler": trainer.scaler.state_dict(),  # empty unless fp16 (its loss scale)
        "step_count": trainer.step_count,
        "epoch": trainer.epoch,
        "rng": global_rng_state(),
    }


def save_checkpoint(
    trainer: CycleGANTrainer, path: str | Path, *, samplers: Mapping[str, Stateful] = {}
) -> Path:
    """Write ``trainer``'s checkpoint to ``path`` (its folder must exist); return the path.

    ``samplers`` (e.g. ``{"A": sample_A, "B": sample_B}``) are the data samplers with their own
    random state; their states are saved so that :func:`load_checkpoint` can restore them. The
    file is written atomically: if writing fails (a full disk, Ctrl-C) the previous checkpoint
    at ``path`` is left as it was.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise NstlibError(
            f"Folder {path.parent} does not exist; create it before saving {path.name}."
        )
    with atomic_write(path) as tmp, tmp.open("wb") as file:  # a file: see atomic_write
        torch.save(trainer_state(trainer, samplers), file)
    return path


def read_checkpoint(path: str | Path) -> dict:
    """The dict :func:`save_checkpoint` wrote to ``path``, read on the CPU with ``weights_only``."""
    state = read_weights(path, WHAT)
    missing = sorted(REQUIRED.keys() - state.keys())
    if missing:
        raise NstlibError(f"{path} is not {WHAT}: it has no {', '.join(missing)}.")
    wrong = [key for key, kind in REQUIRED.items() if not isinstance(state[key], kind)]
    if wrong:
        raise NstlibError(f"{path} is not {WHAT}: its {', '.join(wrong)} have the wrong type.")
    # The parts whose names are fixed: a file written by another version, or edited, differs here.
    fields = {field.name for field in dataclasses.fields(CycleGANConfig)}
    for part, found, expected in (
        ("config", state["config"].keys(), fields),
        ("models", state["models"].keys(), set(MODEL_NAMES)),
        ("pools", state["pools"].keys(), {"A", "B"}),
    ):
        unknown, absent = sorted(found - expected), sorted(expected - found)
        if unknown or absent:
            differences = []
            if unknown:
                differences.append(f"unknown entries {unknown}")
            if absent:
                differences.append(f"no {', '.join(absent)}")
            raise NstlibError(
                f"{path} is not {WHAT}: its {part} has {' and '.join(differences)}; it was "
                "written by another version of nstlib or edited."
            )
    return state


def saved_config(state: dict) -> CycleGANConfig:
    """The :class:`~nstlib.cyclegan_train.CycleGANConfig` stored in a checkpoint's ``state``."""
    saved = state["config"]
    return CycleGANConfig(**{**saved, "betas": tuple(saved["betas"])})  # a tuple, as in the class


def load_checkpoint(
    trainer: CycleGANTrainer, path: str | Path, *, samplers: Mapping[str, Stateful] = {}
) -> None:
    """Restore the checkpoint at ``path`` into ``trainer`` and ``samplers``, in place.

    This also resets the global random generators (torch, CUDA, Python, NumPy) to their state at
    save time, so that whatever is sampled next matches the uninterrupted run. ``samplers`` must
    name the same samplers that were saved (a sampler left out would draw other batches, and the
    resume would not be exact). The checkpoint's config must equal ``trainer.config``; use
    :func:`resume` to adopt the saved one.
    """
    state = read_checkpoint(path)
    saved_samplers = state.get("samplers", {})  # files from before samplers were saved have none
    if saved_samplers.keys() != samplers.keys():
        raise NstlibError(
            f"{path} holds the state of the samplers {sorted(saved_samplers) or 'none'}, but "
            f"samplers={sorted(samplers) or 'none'} were given; pass the same ones (e.g. "
            "samplers={'A': sample_A, 'B': sample_B}) so the resumed run draws the same batches."
        )
    saved, here = saved_config(state), dataclasses.asdict(trainer.config)
    if saved != trainer.config:
        diff = [
            f"{name}: saved {value!r}, here {here[name]!r}"
            for name, value in dataclasses.asdict(saved).items()
            if value != here[name]
        ]
        raise NstlibError(
            f"{path} was trained with another config ({'; '.join(diff)}). "
            "Use nstlib.cyclegan_checkpoint.resume(path, ...) to continue with the saved config."
        )
    for name in MODEL_NAMES:
        load_strict(getattr(trainer, name), state["models"][name], path, f"a {name} like this one")
    trainer.opt_G.load_state_dict(state["opt_G"])
    trainer.opt_D.load_state_dict(state["opt_D"])
    for scheduler, saved_scheduler in zip(trainer.schedulers, state["schedulers"], strict=True):
        scheduler.load_state_dict(saved_scheduler)
    for side, pool in {"A": trainer.pool_A, "B": trainer.pool_B}.items():
        # Checkpoints are read onto the CPU, where RNG states must be; images go to the device.
        saved_pool = state["pools"][side]
        images = [x.to(trainer.device) for x in saved_pool["images"]]
        pool.load_state_dict({**saved_pool, "images": images})
    if state.get("scaler"):  # fp16 runs only; checkpoints from before precision have none
        trainer.scaler.load_state_dict(state["scaler"])
    trainer.step_count, trainer.epoch = state["step_count"], state["epoch"]
    for name, sampler in samplers.items():
        sampler.load_state_dict(saved_samplers[name])
    set_global_rng_state(state["rng"])


def resume(
    path: str | Path,
    G_AB: nn.Module,
    G_BA: nn.Module,
    D_A: nn.Module,
    D_B: nn.Module,
    device: torch.device | str | None = None,
    *,
    samplers: Mapping[str, Stateful] = {},
) -> CycleGANTrainer:
    """A trainer with the config saved in ``path``, the checkpoint loaded into it (and into
    ``samplers``, see :func:`load_checkpoint`).

    The four networks must have the architecture of the saved ones (their weights are replaced).
    """
    trainer = CycleGANTrainer(G_AB, G_BA, D_A, D_B, saved_config(read_checkpoint(path)), device)
    load_checkpoint(trainer, path, samplers=samplers)
    return trainer
