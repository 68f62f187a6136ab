"""The nstlib command line: ``python -m nstlib {translate,stylize,assets,course} ...``.

Every command prints what ran (network, device, time). A learner's mistake (missing file,
non-image, image too large, no weights) is printed as one clear message and exit status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nstlib.errors import NstlibError


def _translate(args: argparse.Namespace) -> None:
    from nstlib.pretrained import translate_file

    summary = translate_file(args.photo, args.output, size=args.size, device=args.device)
    height, width = summary["input_size"]
    print(
        f"translated {args.photo} ({height}×{width}) with the pretrained modern→vintage "
        f"CycleGAN generator on {summary['device']} in {summary['seconds']:.2f} s → {args.output}"
    )


def _stylize(args: argparse.Namespace) -> None:
    from nstlib.stylize import stylize_file

    summary = stylize_file(
        args.content,
        args.style,
        args.output,
        size=args.size,
        steps=args.steps,
        style_weight=args.style_weight,
        preserve_color=args.preserve_color,
        backbone=args.backbone,
        device=args.device,
    )
    for key, value in summary.items():
        print(f"{key}: {value}")


def _assets(args: argparse.Namespace) -> None:
    from nstlib.backbones import describe_assets, fetch_missing

    if args.fetch:
        fetch_missing()
    for line in describe_assets():
        print(line)


def _course(args: argparse.Namespace) -> None:
    from nstlib.course import execute_lessons, write_student_copies

    if args.action == "execute":
        execute_lessons(args.lessons or None, profile=args.profile)
    else:
        for path in write_student_copies():
            print(f"wrote {path}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``python -m nstlib``."""
    parser = argparse.ArgumentParser(prog="python -m nstlib", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    translate = commands.add_parser(
        "translate", help="turn a photo 'vintage' with a pretrained CycleGAN generator"
    )
    translate.add_argument("photo", help="an image file, or a bundled photo name such as 'chelsea'")
    translate.add_argument("-o", "--output", required=True, type=Path, help="output PNG path")
    translate.add_argument("--size", type=int, default=256, help="longer side in pixels (256)")
    translate.add_argument("--device", default=None, help="cpu, cuda or mps (default: best)")
    translate.set_defaults(run=_translate)

    stylize = commands.add_parser("stylize", help="Gatys neural style transfer")
    stylize.add_argument("content", help="content image file or bundled photo name ('chelsea')")
    stylize.add_argument("style", help="style image file or bundled style name ('swirl')")
    stylize.add_argument("-o", "--output", required=True, type=Path, help="output PNG path")
    stylize.add_argument("--size", type=int, default=256, help="longer side in pixels (256)")
    stylize.add_argument("--steps", type=int, default=None, help="optimiser steps")
    stylize.add_argument("--style-weight", type=float, default=None, help="style loss weight")
    stylize.add_argument(
        "--preserve-color",
        choices=["luminance", "histogram"],
        default=None,
        help="keep the content's colours (Gatys et al. 2017)",
    )
    stylize.add_argument("--backbone", default="auto", help="auto, vgg19, vgg16_bn-craft, ...")
    stylize.add_argument("--device", default=None, help="cpu, cuda or mps (default: best)")
    stylize.set_defaults(run=_stylize)

    assets = commands.add_parser("assets", help="list the pretrained weights available offline")
    assets.add_argument("--fetch", action="store_true", help="download what is missing (online)")
    assets.set_defaults(run=_assets)

    course = commands.add_parser("course", help="maintain the lessons (for course authors)")
    course.add_argument("action", choices=["execute", "student-copies"])
    course.add_argument("lessons", nargs="*", help="only lessons whose file name contains these")
    course.add_argument("--profile", default="student", choices=["ci", "student", "full"])
    course.set_defaults(run=_course)
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


if __name__ == "__main__":
    sys.exit(main())
