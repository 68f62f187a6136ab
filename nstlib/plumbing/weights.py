"""Reading weights files: safely (no code can run) and strictly (every tensor finds its place).

``torch.load(..., weights_only=True)`` unpickles tensors, numbers, strings, lists and dicts only, so
a checkpoint downloaded from a stranger cannot run code on your machine. nstlib never loads a file
any other way, and never suggests doing so. The promise needs torch 2.6 or later: before it, a
crafted file could run code even with ``weights_only=True`` (CVE-2025-32434), so older versions
are refused here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from nstlib.errors import NstlibError

SAFE_TORCH = (
    2,
    6,
)  # the first release whose weights_only loading cannot be tricked into running code


def _torch_version(version: str) -> tuple[int, int]:
    """``"2.6.0+cu124"`` → ``(2, 6)``."""
    major, minor = re.match(r"(\d+)\.(\d+)", version).groups()
    return int(major), int(minor)


def read_weights(path: str | Path, what: str = "a PyTorch weights file") -> dict:
    """``torch.load(path, weights_only=True)`` on the CPU, with a student-readable error.

    Args:
        path: the file.
        what: what the file should be, used in the error (e.g. "a CycleGANTrainer checkpoint").

    Returns the dict stored in the file. A missing file, a damaged file or a file holding anything
    but plain data (a pickled class, a function) raises :class:`NstlibError` naming ``path``.
    """
    path = Path(path)
    if _torch_version(torch.__version__) < SAFE_TORCH:
        raise NstlibError(
            f"torch {torch.__version__} cannot load weights files safely (CVE-2025-32434: a crafted "
            f"file can run code); upgrade with  pip install 'torch>=2.6'  and load {path} again."
        )
    if not path.is_file():
        raise NstlibError(f"{path} not found: expected {what}.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a truncated, foreign or unsafe file
        # Torch's own message goes on to explain how to load the file with weights_only=False,
        # i.e. how to let it run code. Only the facts are passed on: which object it refused.
        refused = re.search(r"GLOBAL ([\w.]+)", str(exc))  # torch names the object it refused
        if refused:
            raise NstlibError(
                f"{path} is not {what}: it holds a Python object ({refused[1]}), not only tensors "
                "and numbers, and loading it could run code. nstlib never loads such files; get "
                "the weights from a source that saves plain state dicts."
            ) from None
        raise NstlibError(
            f"{path} could not be read as {what} ({type(exc).__name__}); it is damaged or of "
            "another format: delete it and fetch or write it again."
        ) from exc
    if not isinstance(state, dict):
        raise NstlibError(f"{path} holds a {type(state).__name__}, not {what} (a dict of tensors).")
    return state


def load_strict(
    module: nn.Module, state: Mapping[str, torch.Tensor], source: str | Path, what: str
) -> None:
    """``module.load_state_dict(state, strict=True)``, with any mismatch explained in words.

    Args:
        module: the network to fill.
        state: tensors by parameter/buffer name, already renamed to ``module``'s names.
        source: the file (or description) the tensors came from, named in the error.
        what: the network the file should hold, e.g. "a ResnetGenerator (9 blocks, ngf 64)".

    Raises :class:`NstlibError` listing the first missing, unexpected and mis-shaped tensors, so a
    student sees *which* setting differs instead of torch's wall of key names.
    """
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k} {list(state[k].shape)} vs {list(v.shape)}"
        for k, v in own.items()
        if k in state and hasattr(state[k], "shape") and state[k].shape != v.shape
    ]
    if missing or unexpected or shapes:
        details = "; ".join(
            f"{len(items)} {label} (e.g. {', '.join(items[:3])})"
            for label, items in (
                ("missing", missing),
                ("unexpected", unexpected),
                ("mis-shaped", shapes),
            )
            if items
        )
        raise NstlibError(
            f"{source} does not hold {what}: {details}. Build the network with the settings the "
            "file was written with."
        )
    module.load_state_dict(state, strict=True)
