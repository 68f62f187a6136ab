"""The nstlib command line: ``python -m nstlib {translate,stylize,assets,train-cyclegan} ...``.

Every command prints what ran (network, device, time). Each first checks all its arguments
(:mod:`nstlib.validate`), so that a learner's mistake (missing file, non-image, an output that
would overwrite an input, a NaN weight, an image too large for the CPU, no weights) is one clear
message and exit status 2 before any work, never a traceback; Ctrl-C and SIGTERM stop it with one
line and status 130 / 143 (:mod:`nstlib.plumbing.command`). :func:`translate_file` and
:func:`stylize_file` are the commands as functions: names or files in, a PNG written, a summary
back. ``train-cyclegan`` has its own module,
:mod:`nstlib.train_cyclegan`, imported only when that command runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nstlib.errors import NstlibError
from nstlib.plumbing.command import OneLineParser, run_command
from nstlib.validate import (
    check_cpu_size,
    check_finite,
    check_image_file,
    check_int,
    check_output_path,
)

if TYPE_CHECKING:
    import torch

# The library is imported inside the commands, after the checks that need no torch: torch takes
# seconds to import, and a typo in -o or --steps deserves an answer in a fraction of a second.


def _check_files(*sources: tuple[str, str | Path]) -> None:
    """Check the ``(argument, value)`` pairs that are clearly file paths (with a folder or an
    extension) without torch; bundled names such as 'chelsea' are checked by
    :func:`nstlib.data.check_image_source` once the library is imported."""
    for name, source in sources:
        if Path(source).suffix or len(Path(source).parts) > 1:
            check_image_file(source, name)


def translate_file(
    photo: str | Path,
    out: str | Path,
    size: int | None = 256,
    device: torch.device | str | None = None,
    weights: str | Path | None = None,
) -> dict:
    """Translate a photo file to a PNG with the pretrained vintage generator, or the one in ``weights``.

    Args:
        photo: an image file or a bundled photo name such as ``"chelsea"`` (see
            :func:`nstlib.data.resolve_image`).
        out: where to write the PNG (its folder must exist; an existing file is replaced).
        size: the longer side to resize to, in pixels; ``None`` keeps the photo's size.
        device: where to run the generator (default: :func:`nstlib.runtime.device`).
        weights: a generator file to use instead of the vintage one: ``G_AB.pth`` from a
            ``train-cyclegan`` run, or a reference-code file such as the published
            ``horse2zebra.pth`` (see :mod:`nstlib.generator_files`); or the name of a published
            generator downloaded with ``assets --fetch NAME`` (:mod:`nstlib.published_generators`).

    Returns ``{"input_size": (H, W), "device": str, "output": Path, "seconds": float}``: the size
    of the image the generator ran on, where it ran, the written file, and the time the translation
    itself took. Every argument is checked before anything is loaded or computed (see
    :mod:`nstlib.validate`); ``out`` must not be ``photo``.
    """
    out = check_output_path(out, inputs=[photo] if weights is None else [photo, weights])
    if size is not None:
        size = check_int(size, "--size", low=1)
    _check_files(("photo", photo))
    if weights is not None and not Path(weights).is_file():
        from nstlib.published_generators import PUBLISHED, published_path

        if str(weights) not in PUBLISHED:
            raise NstlibError(
                f"--weights {weights}: no such file. Give a generator file, e.g. RUN/G_AB.pth from "
                "train-cyclegan or a reference-code file such as horse2zebra.pth, or the name of a "
                f"published generator fetched with assets --fetch NAME ({', '.join(PUBLISHED)})."
            )
        weights = published_path(str(weights))

    from nstlib.data import check_image_source, resolve_image
    from nstlib.generator_files import load_generator
    from nstlib.images import save_image
    from nstlib.pretrained import MAX_CPU_SIZE, MIN_SIZE, load_vintage_generator, translate
    from nstlib.runtime import resolve_device

    check_image_source(photo, "photo")
    run_device = resolve_device(device, "--device")
    if size is not None:
        check_int(size, "--size", low=MIN_SIZE)
        activation_gb = 64 * size**2 * 4 / 1e9  # 64 float32 channels at full resolution
        check_cpu_size(
            size,
            run_device.type,
            limit=MAX_CPU_SIZE,
            cost=f"its largest tensors would take {activation_gb:.1f} GB each",
        )
    if weights is None:
        generator = load_vintage_generator(run_device)
    else:
        generator = load_generator(weights, run_device)
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
    output}`` where the losses (fp32) read ``"initial → final"``. Every argument is checked before
    anything is loaded or computed (see :mod:`nstlib.validate`); ``out`` must be neither input.
    """
    out = check_output_path(out, inputs=[content, style])
    size = check_int(size, "--size", low=1)
    if steps is not None:
        steps = check_int(steps, "--steps", low=1)
    if style_weight is not None:
        style_weight = check_finite(style_weight, "--style-weight", low=0)
    _check_files(("content", content), ("style", style))

    from nstlib.backbones import resolve_backbone_name
    from nstlib.data import check_image_source, resolve_image
    from nstlib.images import save_image
    from nstlib.runtime import resolve_device
    from nstlib.stylize import (
        CPU_SECONDS_PER_STEP_AT_256,
        DEFAULT_STEPS,
        MAX_CPU_SIZE,
        MIN_SIZE,
        stylize,
    )

    check_image_source(content, "content")
    check_image_source(style, "style")
    run_device = resolve_device(device, "--device")
    check_int(size, "--size", low=MIN_SIZE)
    seconds = CPU_SECONDS_PER_STEP_AT_256 * (size / 256) ** 2
    check_cpu_size(
        size,
        run_device.type,
        limit=MAX_CPU_SIZE,
        cost=f"each step would take about {seconds:.0f} s",
    )
    resolve_backbone_name(backbone)  # a typo is found now, not after the images are loaded
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
    summary = translate_file(
        args.photo, args.output, size=args.size, device=args.device, weights=args.weights
    )
    height, width = summary["input_size"]
    generator = (
        "the pretrained modern→vintage CycleGAN generator"
        if args.weights is None
        else f"the generator in {args.weights}"
    )
    print(
        f"translated {args.photo} ({height}×{width}) with {generator} on {summary['device']} "
        f"in {summary['seconds']:.2f} s → {args.output}"
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
    from nstlib.assets import describe_assets, fetch_missing
    from nstlib.backbones import resolve_backbone_name

    if args.fetch is True:
        fetch_missing()
    elif args.fetch:
        from nstlib.published_generators import fetch_published

        path = fetch_published(args.fetch, url=args.url, sha256=args.sha256)
        print(
            f"published generator {args.fetch}: {path} (sha256 recorded in {path.parent / 'sha256.json'})"
        )
    elif args.url or args.sha256:
        raise NstlibError("--url and --sha256 go with --fetch NAME (a published generator).")
    for line in describe_assets():
        print(line)
    try:
        print(f"load_backbone('auto') picks: {resolve_backbone_name('auto')}")
    except NstlibError as exc:  # e.g. NSTLIB_BACKBONE names no backbone
        print(f"load_backbone('auto'): {exc}")


OUTPUT_HELP = "output PNG path (not an input; an existing file there is replaced)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``python -m nstlib``."""
    parser = OneLineParser(prog="python -m nstlib", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    command = commands.add_parser(
        "translate", help="turn a photo 'vintage' with a pretrained CycleGAN generator"
    )
    command.add_argument("photo", help="an image file, or a bundled photo name such as 'chelsea'")
    command.add_argument("-o", "--output", required=True, type=Path, help=OUTPUT_HELP)
    command.add_argument("--size", type=int, default=256, help="longer side in pixels (256)")
    command.add_argument("--device", default=None, help="cpu, cuda or mps (default: best)")
    command.add_argument(
        "--weights",
        type=Path,
        default=None,
        help="a generator file instead (train-cyclegan's G_AB.pth, the reference's horse2zebra.pth) "
        "or a published name fetched with assets --fetch NAME",
    )
    command.set_defaults(run=_translate)

    command = commands.add_parser("stylize", help="Gatys neural style transfer")
    command.add_argument("content", help="content image file or bundled photo name ('chelsea')")
    command.add_argument("style", help="style image file or bundled style name ('swirl')")
    command.add_argument("-o", "--output", required=True, type=Path, help=OUTPUT_HELP)
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
    command.add_argument(
        "--fetch",
        nargs="?",
        const=True,
        default=None,
        metavar="NAME",
        help="download what is missing (online); with NAME, a published CycleGAN generator "
        "(horse2zebra, style_vangogh, ...), its sha256 recorded on first download",
    )
    command.add_argument("--sha256", default=None, help="with --fetch NAME: the hash it must have")
    command.add_argument("--url", default=None, help="with --fetch NAME: download from this mirror")
    command.set_defaults(run=_assets)

    # Listed here for --help; main() hands its arguments to nstlib.train_cyclegan's own parser,
    # so that torch is imported only when a training really starts.
    commands.add_parser(
        "train-cyclegan",
        help="train a CycleGAN on two folders of photos (python -m nstlib train-cyclegan --help)",
        add_help=False,
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status (see :mod:`nstlib.plumbing.command`)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train-cyclegan"]:

        def train() -> None:
            from nstlib import train_cyclegan

            train_cyclegan.main(argv[1:])

        return run_command(train)
    args = build_parser().parse_args(argv)
    return run_command(lambda: args.run(args))
