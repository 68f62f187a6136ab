"""Where and how big to run: the device, the run profile, seeding, determinism and freezing.

Every lesson runs unchanged on a laptop CPU, in CI and on a GPU. The *profile*, read from the
``NSTLIB_PROFILE`` environment variable, picks the sizes and step counts:

=========  ==========================================  =============================
profile    what it is for                              budget per lesson
=========  ==========================================  =============================
``ci``     tiny sizes and steps, only to prove it runs  under 2 min on 2 CPU cores
``student`` the default: real results on a laptop      under 10 min on 2 CPU cores
``full``   GPU-sized runs                               minutes on a GPU
=========  ==========================================  =============================

Code asks for a value per profile with :func:`pick`, e.g. ``steps = pick(ci=20, student=2000)``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from typing import TypeVar

import numpy as np
import torch
from torch import nn

from nstlib.errors import NstlibError

PROFILES = ("ci", "student", "full")
DEFAULT_PROFILE = "student"

T = TypeVar("T")


def device() -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU.

    Set ``NSTLIB_DEVICE`` (e.g. ``cpu``) to force one; a name this machine cannot use is an error.
    """
    forced = os.environ.get("NSTLIB_DEVICE")
    if forced:
        return resolve_device(forced, "NSTLIB_DEVICE")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(name: str | torch.device | None, what: str = "device") -> torch.device:
    """``None`` → :func:`device`; otherwise check that ``name`` is a device this machine has.

    ``what`` names the argument or variable in the error, so the student knows what to change.
    """
    if name is None:
        return device()
    try:
        chosen = torch.device(name)
    except (RuntimeError, TypeError) as exc:
        raise NstlibError(f"{what}={name!r} is not a device; use 'cpu', 'cuda' or 'mps'.") from exc
    # "meta" holds shapes without data: always there, and tests use it to stand in for a GPU.
    available = {
        "cpu": True,
        "meta": True,
        "cuda": torch.cuda.is_available(),
        "mps": _mps_available(),
    }
    if not available.get(chosen.type, False):
        raise NstlibError(
            f"{what}={name!r} is not available on this machine; use 'cpu' or leave it unset."
        )
    return chosen


def _mps_available() -> bool:
    return getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()


def profile() -> str:
    """The run profile named by ``NSTLIB_PROFILE``: ``ci``, ``student`` (default) or ``full``."""
    name = os.environ.get("NSTLIB_PROFILE", DEFAULT_PROFILE).strip().lower() or DEFAULT_PROFILE
    if name not in PROFILES:
        raise NstlibError(
            f"NSTLIB_PROFILE={name!r} is not a profile; use one of {', '.join(PROFILES)} "
            f"(or unset it for {DEFAULT_PROFILE!r})."
        )
    return name


def pick(*, ci: T, student: T, full: T | None = None) -> T:
    """The value for the current profile; ``full`` falls back to ``student`` when not given.

    >>> pick(ci=10, student=1000)  # doctest: +SKIP
    1000
    """
    name = profile()
    if name == "ci":
        return ci
    if name == "full" and full is not None:
        return full
    return student


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); return a torch Generator seeded the same way.

    Seeding makes a run repeatable on one machine. Results still differ in the last float32
    digits between CPUs, thread counts and GPUs, which is why lessons print rounded numbers.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def set_deterministic(enabled: bool = True) -> None:
    """Ask torch for bit-repeatable kernels (slower on GPU); warn, not fail, where none exist."""
    torch.use_deterministic_algorithms(enabled, warn_only=True)
    torch.backends.cudnn.benchmark = not enabled
    torch.backends.cudnn.deterministic = enabled
    if enabled:
        # cuBLAS needs this workspace setting for repeatable matrix products on CUDA.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def set_requires_grad(modules: nn.Module | Iterable[nn.Module], flag: bool) -> None:
    """Switch gradients on or off for every parameter of ``modules`` (one module or several).

    GAN training freezes the discriminator(s) while the generator(s) update: their gradients
    would be computed only to be thrown away.
    """
    for module in [modules] if isinstance(modules, nn.Module) else modules:
        for parameter in module.parameters():
            parameter.requires_grad_(flag)
