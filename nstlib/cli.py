"""The nstlib command line: ``python -m nstlib {translate,stylize,assets} ...``.

Every command prints what ran (network, device, time). A learner's mistake (missing file,
non-image, image too large, no weights) is printed as one clear message and exit status 2,
never a traceback. :func:`translate_file` and :func:`stylize_file` are the commands as functions:
names or files in, a picture written, a summary back.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from nstlib.assets import describe_assets, fetch_missing
from nstlib.backbones import resolve_backbone_name
from nstlib.data import resolve_image
from nstlib.errors import NstlibError
from nstlib.images import save_image
from nstlib.pretrained import load_vintage_generator, translate
from nstlib.runtime import resolve_device
from nstlib.stylize import (
    CPU_SECONDS_PER_STEP_AT_256,
    DEFAULT_STEPS,
    MAX_CPU_SIZE,
    MIN_SIZE,
    stylize,
)


def translate_file(
    photo: str | Path,
    out: str | Path,
    size: int | None = 256,
    device: torch.device | str | None = None,
) -> dict:
    """Translate a photo file to a vintage-looking PNG/JPEG with the pretrained generator.

    Args:
        photo: an image file or a bundled photo name such as ``"chelsea"`` (see
            :func:`nstlib.data.resolve_image`).
        out: where to write the result (its folder must exist).
        size: the longer side to resize to, in pixels; ``None`` keeps the photo's size.
        device: where to run the generator (default: :func:`nstlib.runtime.device`).

    Returns ``{"input_size": (H, W), "device": str, "output": Path, "seconds": float}``: the size
    of the image the generator ran on, where it ran, the written file, and the time the translation
    itself took.
    """
    generator = load_vintage_generator(device)
    image = resolve_image(photo, size)
    start = time.perf_counter()
    result = translate(generator, image)
    seconds = time.perf_counter() - start
    return {
        "input_size": tuple(image.shape[-2:]),
        "device": str(next(generator.parameters()).device),
        "output": save_image(result, out),
        "seconds": seconds,
    }


def stylize_file(
    content: str | Path,
    style: str | Path,
    out: str | Path,
    *,
    size: int = 256,
    steps: int | None = None,
    style_weight: float | None = None,
    preserve_colour: str | None = None,
    backbone: str = "auto",
    device: str | None = None,
    precision: str = "auto",
) -> dict[str, object]:
    """Gatys style transfer from names or files to a PNG, with a summary of the run.

    ``content`` and ``style`` are bundled names (``chelsea``, ``swirl``...) or image files.
    ``precision`` is ``"auto"``, ``"bf16"`` or ``"fp32"`` (:func:`nstlib.precision.choose_precision`).
    Returns ``{backbone, device, precision, image_size, steps, seconds, style_loss, content_loss,
    output}`` where the losses (fp32) read ``"initial → final"``.
    """
    run_device = resolve_device(device)
    if size < MIN_SIZE:
        raise NstlibError(f"--size {size} is too small; VGG needs at least {MIN_SIZE} pixels.")
    if run_device.type == "cpu" and size > MAX_CPU_SIZE:
        seconds = CPU_SECONDS_PER_STEP_AT_256 * (size / 256) ** 2
        raise NstlibError(
            f"--size {size} is too large for the CPU (at most {MAX_CPU_SIZE}; each step would "
            f"take about {seconds:.0f} s); use --size {MAX_CPU_SIZE} or less, or a GPU "
            "(--device cuda)."
        )
    out = Path(out)
    if not out.parent.exists():
        raise NstlibError(
            f"Folder {out.parent} does not exist; create it or choose another -o path."
        )
    result = stylize(
        resolve_image(content, size),
        resolve_image(style, size),
        size=size,
        steps=DEFAULT_STEPS if steps is None else steps,
        style_weight=style_weight,
        preserve_colour=preserve_colour,
        backbone=backbone,
        device=run_device,
        precision=precision,
    )
    save_image(result.image, out)
    history = result.history
    return {
        "backbone": result.backbone,
        "device": result.device,
        "precision": result.precision,
        "image_size": "×".join(map(str, result.image.shape[-2:])),
        "steps": len(history["total"]) - 1,  # one scale: entries 0..steps
        "seconds": round(result.seconds, 1),
        "style_loss": f"{history['style'][0]:.4g} → {history['style'][-1]:.4g}",
        "content_loss": f"{history['content'][0]:.4g} → {history['content'][-1]:.4g}",
        "output": str(out),
    }


def _translate(args: argparse.Namespace) -> None:
    summary = translate_file(args.photo, args.output, size=args.size, device=args.device)
    height, width = summary["input_size"]
    print(
        f"translated {args.photo} ({height}×{width}) with the pretrained modern→vintage "
        f"CycleGAN generator on {summary['device']} in {summary['seconds']:.2f} s → {args.output}"
    )


def _stylize(args: argparse.Namespace) -> None:
    summary = stylize_file(
        args.content,
        args.style,
        args.output,
        size=args.size,
        steps=args.steps,
        style_weight=args.style_weight,
        preserve_colour=args.preserve_colour,
        backbone=args.backbone,
        device=args.device,
        precision=args.precision,
    )
    for key, value in summary.items():
        print(f"{key}: {value}")


def _assets(args: argparse.Namespace) -> None:
    if args.fetch:
        fetch_missing()
    for line in describe_assets():
        print(line)
    try:
        print(f"load_backbone('auto') picks: {resolve_backbone_name('auto')}")
    except NstlibError as exc:  # e.g. NSTLIB_BACKBONE names no backbone
        print(f"load_backbone('auto'): {exc}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``python -m nstlib``."""
    parser = argparse.ArgumentParser(prog="python -m nstlib", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    command = commands.add_parser(
        "translate", help="turn a photo 'vintage' with a pretrained CycleGAN generator"
    )
    command.add_argument("photo", help="an image file, or a bundled photo name such as 'chelsea'")
    command.add_argument("-o", "--output", required=True, type=Path, help="output PNG path")
    command.add_argument("--size", type=int, default=256, help="longer side in pixels (256)")
    command.add_argument("--device", default=None, help="cpu, cuda or mps (default: best)")
    command.set_defaults(run=_translate)

    command = commands.add_parser("stylize", help="Gatys neural style transfer")
    command.add_argument("content", help="content image file or bundled photo name ('chelsea')")
    command.add_argument("style", help="style image file or bundled style name ('swirl')")
    command.add_argument("-o", "--output", required=True, type=Path, help="output PNG path")
    command.add_argument("--size", type=int, default=256, help="longer side in pixels (256)")
    command.add_argument("--steps", type=int, default=None, help="optimiser steps")
    command.add_argument("--style-weight", type=float, default=None, help="style loss weight")
    command.add_argument(
        "--preserve-colour",
        choices=["luminance", "histogram"],
        default=None,
        help="keep the content's colours (Gatys et al. 2017)",
    )
    command.add_argument(
        "--backbone", default="auto", help="auto, vgg19-caffe, vgg19, vgg16_bn-craft, ..."
    )
    command.add_argument("--device", default=None, help="cpu, cuda or mps (default: best)")
    command.add_argument(
        "--precision",
        choices=["auto", "bf16", "fp32"],
        default="auto",
        help="arithmetic of the forward pass: auto = bf16 where the hardware has it, else fp32",
    )
    command.set_defaults(run=_stylize)

    command = commands.add_parser("assets", help="list the pretrained weights available offline")
    command.add_argument("--fetch", action="store_true", help="download what is missing (online)")
    command.set_defaults(run=_assets)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except NstlibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
