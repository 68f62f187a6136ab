"""Checking a command's arguments before any work: numbers, choices, input and output paths.

Every command and public entry point calls these first, so that a mistake is reported in one
line that names the argument and says what to do, *before* minutes of computation, and never as
a torch traceback afterwards. The rules:

* numbers are finite (``nan`` and ``inf`` parse as floats, and a NaN weight silently turns a
  picture black), of the right type (``steps=1.5`` is not a step count) and in range;
* an input is an existing, non-empty file that Pillow recognises as an image (only the header is
  read here; decoding comes later);
* an output has a supported extension, is not a folder, lives in an existing folder that we can
  write to, and is **none of the inputs** (writing over the user's photo would destroy it).

This module imports no torch, so the command line can answer a bad argument in a fraction of a
second instead of after the seconds torch takes to import.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from pathlib import Path

from nstlib.errors import NstlibError

# What the commands write. PNG only: the results are computed pictures that students compare,
# and JPEG or WebP would add compression artefacts without a word.
OUTPUT_SUFFIXES = (".png",)


def check_finite(
    value: float,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """``value`` as a float, or an ``NstlibError`` naming ``name`` unless it is a finite real
    number in ``[low, high]`` (``(low, high]`` with ``low_open=True``, e.g. a learning rate > 0).
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise NstlibError(f"{name} must be a number, got {value!r}.")
    if not math.isfinite(value):
        raise NstlibError(f"{name} must be a finite number, got {value}; use an ordinary number.")
    if low is not None and (value <= low if low_open else value < low):
        bound = f"greater than {low:g}" if low_open else f"at least {low:g}"
        raise NstlibError(f"{name} must be {bound}, got {value:g}.")
    if high is not None and value > high:
        raise NstlibError(f"{name} must be at most {high:g}, got {value:g}.")
    return float(value)


def check_int(value: int, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int, or an ``NstlibError`` unless it is a whole number in ``[low, high]``.

    ``True`` and ``1.5`` are refused (they would count as 1 or fail deep inside torch); an
    integral float such as ``2.0`` is accepted as 2.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise NstlibError(f"{name} must be a whole number, got {value!r}.")
    if not isinstance(value, Integral):
        if not math.isfinite(value) or value != int(value):
            raise NstlibError(f"{name} must be a whole number, got {value!r}.")
        value = int(value)
    if low is not None and value < low:
        raise NstlibError(f"{name} must be at least {low}, got {value}.")
    if high is not None and value > high:
        raise NstlibError(f"{name} must be at most {high}, got {value}.")
    return int(value)


def check_finite_loss(
    losses: Mapping[str, float],
    step: int,
    fix: str = "lower the learning rate (lr) or the loss weights",
) -> None:
    """Stop an optimisation whose loss became NaN or infinite, naming the terms and the step.

    Called every step by the optimisation and training loops: once a loss is NaN every later
    step is NaN too, so going on would only waste the time and produce a black picture.
    ``step`` counts from 0; ``fix`` says what to change.
    """
    if all(math.isfinite(value) for value in losses.values()):
        return
    terms = ", ".join(f"{name}={value:.3g}" for name, value in losses.items())
    raise NstlibError(
        f"The loss diverged at step {step + 1} ({terms}); stopped, nothing was saved. {fix[0].upper()}{fix[1:]}."
    )


def check_choice(value: object, name: str, choices: Iterable[object]) -> None:
    """An ``NstlibError`` listing ``choices`` unless ``value`` is one of them."""
    choices = tuple(choices)
    if value not in choices:
        raise NstlibError(f"{name}={value!r} is not one of {', '.join(map(repr, choices))}.")


def check_image_file(path: str | Path, name: str) -> Path:
    """``path``, or an ``NstlibError`` unless it is an existing, non-empty image file.

    Reads only the file's header (Pillow's ``Image.open`` is lazy), so it is instant even for a
    huge photo; a file whose pixel data is damaged is found when it is loaded.
    """
    from PIL import Image, UnidentifiedImageError  # Pillow imports in ~0.1 s; torch is not needed

    path = Path(path)
    if not path.exists():
        raise NstlibError(f"{name}: file not found: {path} (relative to {Path.cwd()}).")
    if path.is_dir():
        raise NstlibError(f"{name}: {path} is a folder; give an image file.")
    if path.stat().st_size == 0:
        raise NstlibError(f"{name}: {path} is empty (0 bytes); give an image file.")
    try:
        with Image.open(path):
            pass
    except UnidentifiedImageError:
        raise NstlibError(
            f"{name}: {path} is not an image Pillow can read (use PNG, JPEG, BMP, TIFF or WebP)."
        ) from None
    except OSError as exc:
        raise NstlibError(f"{name}: could not read {path} ({exc.strerror or exc}).") from None
    return path


def check_output_path(
    path: str | Path,
    *,
    inputs: Iterable[str | Path] = (),
    name: str = "-o",
    suffixes: tuple[str, ...] = OUTPUT_SUFFIXES,
) -> Path:
    """``path``, or an ``NstlibError`` unless a result can safely be written there.

    Checks, in this order: ``path`` is not one of ``inputs`` (compared as files, so another
    spelling, a symbolic link or a hard link to the input is caught too; bundled names such as
    ``"chelsea"`` are no files and never match); it is not a folder; its extension is one of
    ``suffixes`` (case-insensitive); its folder exists and accepts a new file (tried for real:
    permission bits say nothing for root, read-only mounts or ``/proc``). An existing file that
    is not an input is replaced, atomically, when the result is written.
    """
    path = Path(path)
    allowed = " or ".join(suffix.lstrip(".").upper() for suffix in suffixes)
    if path.exists():  # first: destroying the user's photo is the worst outcome
        for source in inputs:
            source = Path(source)
            if source.exists() and os.path.samefile(source, path):
                raise NstlibError(
                    f"{name} {path} is the input {source}; writing there would destroy it. "
                    "Choose another output name."
                )
    if path.is_dir():
        raise NstlibError(
            f"{name} {path} is a folder; give a file name such as {path / 'out'}{suffixes[0]}."
        )
    if path.suffix.lower() not in suffixes:
        if not path.suffix:
            fix = f"add the extension: {path}{suffixes[0]}"
        else:
            fix = f"name it {path.with_suffix(suffixes[0])}"
        lossless = " (lossless)" if suffixes == (".png",) else ""
        raise NstlibError(f"{name} {path}: the result is written as {allowed}{lossless}; {fix}.")
    folder = path.parent
    if not folder.is_dir():
        raise NstlibError(
            f"{name} {path}: the folder {folder} does not exist; create it or choose another path."
        )
    try:
        # The only reliable test of "can I create a file here" is to create one.
        handle, probe = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".probe")
    except OSError as exc:
        raise NstlibError(
            f"{name} {path}: cannot write in the folder {folder} ({exc.strerror or exc}); "
            "choose a folder you can write to."
        ) from None
    os.close(handle)
    os.unlink(probe)
    return path


def check_cpu_size(
    size: int, device_type: str, *, limit: int, name: str = "--size", cost: str = ""
) -> None:
    """An ``NstlibError`` if a network would run on a ``size``-pixel image on the CPU above
    ``limit`` pixels; ``cost`` (e.g. "each step would take about 60 s") explains why."""
    if device_type == "cpu" and size > limit:
        why = f"; {cost}" if cost else ""
        raise NstlibError(
            f"{name} {size} is too large for the CPU (at most {limit}{why}); use {name} {limit} "
            "or less, or a GPU (--device cuda)."
        )
