"""Images by name: bundled photos for content, painterly and texture images for style.

Everything here loads offline:

* **Photos** (``PHOTOS``) are the CC0 / public-domain photographs that ship inside the
  scikit-image wheel (``skimage.data``), e.g. ``chelsea`` the cat or ``astronaut``;
  ``EXTRA_PHOTOS`` are the few colour photos other installed packages ship: scikit-image's stereo
  motorcycle, matplotlib's ``grace_hopper`` and scikit-learn's ``china`` and ``flower``
  (``sklearn.datasets.load_sample_images``). :func:`photo` loads any of ``ALL_PHOTOS``.
* **Styles** (``STYLES``) are the project's generated painterly images in ``datasets/styles/``
  (see :mod:`nstlib.painterly`) plus scikit-image's grey CC0 textures ``brick``, ``grass`` and
  ``gravel``, repeated to RGB.

:func:`resolve_image` is what the command line uses: it accepts a photo name, a style name or a
path to any image file. Sources and licences are listed in ``datasets/README.md``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nstlib.errors import NstlibError
from nstlib.images import load_image, resize_longer_side
from nstlib.painterly import PAINTERLY_STYLES
from nstlib.plumbing.paths import datasets_dir
from nstlib.validate import check_image_file

PHOTOS: tuple[str, ...] = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "retina",
    "immunohistochemistry",
)
# More colour photos from installed packages, for lesson 04's photo ↔ painting task. Kept apart
# from PHOTOS, which network normalisation and the style networks were calibrated and trained on.
EXTRA_PHOTOS: tuple[str, ...] = (
    "motorcycle_left",  # skimage.data.stereo_motorcycle(): the two views of a stereo pair
    "motorcycle_right",
    "grace_hopper",  # matplotlib's sample data
    "china",  # scikit-learn's load_sample_images()
    "flower",
)
ALL_PHOTOS: tuple[str, ...] = PHOTOS + EXTRA_PHOTOS
TEXTURES: tuple[str, ...] = ("brick", "grass", "gravel")
STYLES: tuple[str, ...] = PAINTERLY_STYLES + TEXTURES


def _from_skimage(name: str) -> torch.Tensor:
    """``skimage.data.<name>()`` as ``[1, 3, H, W]`` float in ``[0, 1]`` (grey repeated to RGB)."""
    import skimage.data  # imported here: it is slow to import and only these two need it

    array = np.asarray(getattr(skimage.data, name)())
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    return _from_array(array)


def _from_array(array: np.ndarray) -> torch.Tensor:
    """``[H, W, 3]`` uint8 → ``[1, 3, H, W]`` float in ``[0, 1]``."""
    return torch.from_numpy(np.array(array[..., :3])).permute(2, 0, 1)[None].float() / 255


def _other_package_photo(name: str) -> torch.Tensor:
    """The photos that are not a plain ``skimage.data.<name>()``."""
    if name.startswith("motorcycle_"):
        import skimage.data

        left, right, _ = skimage.data.stereo_motorcycle()
        return _from_array(left if name == "motorcycle_left" else right)
    if name == "grace_hopper":
        import matplotlib.cbook

        return load_image(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    try:
        from sklearn.datasets import load_sample_images
    except ImportError as exc:
        raise NstlibError(
            f"the photo {name!r} ships with scikit-learn, which is not installed; "
            "pip install 'nstlib[assets]' (or pip install scikit-learn)."
        ) from exc
    images = load_sample_images()
    index = [Path(f).stem for f in images.filenames].index(name)
    return _from_array(images.images[index])


def _sized(image: torch.Tensor, size: int | None) -> torch.Tensor:
    return resize_longer_side(image, size) if size is not None else image


def photo(name: str, size: int | None = None) -> torch.Tensor:
    """A bundled photo as ``[1, 3, H, W]`` float in ``[0, 1]``.

    Args:
        name: one of :data:`ALL_PHOTOS`.
        size: if given, the longer side in pixels (aspect kept).
    """
    if name not in ALL_PHOTOS:
        raise NstlibError(f"Unknown photo {name!r}; choose one of {', '.join(ALL_PHOTOS)}.")
    if name in EXTRA_PHOTOS:
        return _sized(_other_package_photo(name), size)
    return _sized(_from_skimage(name), size)


def style(name: str, size: int | None = None) -> torch.Tensor:
    """A style image as ``[1, 3, H, W]`` float in ``[0, 1]``.

    Args:
        name: one of :data:`STYLES` (a generated painterly PNG or a grey CC0 texture).
        size: if given, the longer side in pixels (aspect kept).
    """
    if name in TEXTURES:
        return _sized(_from_skimage(name), size)
    if name not in PAINTERLY_STYLES:
        raise NstlibError(f"Unknown style {name!r}; choose one of {', '.join(STYLES)}.")
    path = datasets_dir() / "styles" / f"{name}.png"
    if not path.exists():
        raise NstlibError(
            f"Style image {path} is missing; recreate it with python -m nstlib.painterly."
        )
    return load_image(path, size)


def resolve_image(name_or_path: str | Path, size: int | None = None) -> torch.Tensor:
    """A photo name, a style name or an image file path → ``[1, 3, H, W]`` float in ``[0, 1]``.

    Names win over files: ``"chelsea"`` is the bundled cat even if a file called ``chelsea``
    exists in the current folder. ``size`` is the longer side in pixels.
    """
    key = str(name_or_path)
    if key in ALL_PHOTOS:
        return photo(key, size)
    if key in STYLES:
        return style(key, size)
    check_image_source(key)
    return load_image(key, size)


def check_image_source(name_or_path: str | Path, argument: str = "image") -> None:
    """Raise an ``NstlibError`` naming ``argument`` unless :func:`resolve_image` would find
    ``name_or_path``: a bundled name, or an existing image file (only its header is read)."""
    key = str(name_or_path)
    if key in ALL_PHOTOS or key in STYLES:
        return
    if not Path(key).exists():
        raise NstlibError(
            f"{argument}: {key!r} is neither an image file nor a bundled image name. "
            f"Photos: {', '.join(ALL_PHOTOS)}. Styles: {', '.join(STYLES)}."
        )
    check_image_file(key, argument)
