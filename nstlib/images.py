"""Reading, checking and writing images as tensors.

Conventions used across nstlib:

* An *image tensor* is ``float32`` of shape ``[1, 3, H, W]`` (or ``[B, 3, H, W]``).
* :func:`load_image` returns values in ``[0, 1]`` (what VGG preprocessing and matplotlib expect).
* GAN generators work in ``[-1, 1]`` (their last layer is ``tanh``); convert with
  :func:`to_signed` and :func:`to_unit`.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF
from torchvision.transforms.v2.functional import to_pil_image

from nstlib.errors import NstlibError
from nstlib.plumbing.atomic import atomic_write
from nstlib.validate import OUTPUT_SUFFIXES

if TYPE_CHECKING:  # the hint only: a caller that has a figure has already imported matplotlib
    from matplotlib.figure import Figure

# 4096² ≈ 16.8 Mpx, more than a phone photo (12 Mpx is typical). A larger file is loaded only when a
# size is asked for, shrunk while decoding, so the full-size image never becomes a float tensor.
MAX_PIXELS = 4096 * 4096


def load_image(path: str | Path, size: int | None = None) -> torch.Tensor:
    """Read an image file as a ``[1, 3, H, W]`` float tensor in ``[0, 1]``.

    Args:
        path: any file Pillow can read (PNG, JPEG, BMP, TIFF, WebP...).
        size: if given, resize so that the *longer* side is ``size`` pixels (aspect kept). Files
            over ``MAX_PIXELS`` load only with a size.

    Grey images are repeated to 3 channels and an alpha channel is composited onto white, since
    every network here expects RGB. A photo's EXIF orientation tag (phones store portrait photos
    sideways and say "rotate 90°") is applied, so the image is the way up it is shown everywhere
    else. Errors name the file and say what to do.
    """
    path = Path(path)
    if not path.exists():
        raise NstlibError(
            f"Image file not found: {path}. Check the path (relative to {Path.cwd()})."
        )
    if path.is_dir():
        raise NstlibError(f"{path} is a folder, not an image file.")
    try:
        with warnings.catch_warnings():
            # Pillow warns about files over 89 Mpx; MAX_PIXELS, checked next, is stricter and says
            # what to do, so its warning would only be noise on the student's screen.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)  # reads the header only: the size is known before decoding
        with img:
            if img.width * img.height > MAX_PIXELS:
                if size is None:
                    raise NstlibError(
                        f"{path} is {img.width}×{img.height} pixels, more than {MAX_PIXELS:,}; "
                        "pass size= (--size on the command line) to shrink it while loading, "
                        "or resize the file first."
                    )
                img.thumbnail((size, size))  # longer side → size; JPEGs decode at reduced scale
            img.load()
            rgb = _to_rgb(ImageOps.exif_transpose(img))  # thumbnail keeps the EXIF tag
    except Image.DecompressionBombError as exc:  # Pillow's own limit, about 179 Mpx
        raise NstlibError(
            f"{path} is too large for Pillow to open safely; resize it first."
        ) from exc
    except UnidentifiedImageError as exc:
        raise NstlibError(
            f"{path} is not an image Pillow can read (expected PNG, JPEG, BMP, TIFF or WebP)."
        ) from exc
    except OSError as exc:
        raise NstlibError(f"Could not read image {path}: {exc}.") from exc
    image = TF.to_dtype(TF.to_image(rgb), torch.float32, scale=True).unsqueeze(0)
    return resize_longer_side(image, size) if size is not None else image


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
        return background
    return img.convert("RGB")


def resize_longer_side(image: torch.Tensor, size: int) -> torch.Tensor:
    """Resize ``[B, C, H, W]`` so that max(H, W) == ``size``, keeping the aspect ratio (antialiased)."""
    if size < 8:
        raise NstlibError(f"size={size} is too small; use at least 8 pixels.")
    h, w = image.shape[-2:]
    scale = size / max(h, w)
    new_hw = [max(1, round(h * scale)), max(1, round(w * scale))]
    return v2.functional.resize(image, new_hw, antialias=True)


def save_image(image: torch.Tensor, path: str | Path) -> Path:
    """Write a ``[1, 3, H, W]`` or ``[3, H, W]`` tensor in ``[0, 1]`` to a PNG file.

    PNG only (:data:`nstlib.validate.OUTPUT_SUFFIXES`): a computed picture should not pick up JPEG
    artefacts without a word. Values outside ``[0, 1]`` or NaN raise an error rather than being
    silently clipped (convert generator output with :func:`to_unit` first). The file is written
    atomically: a crash or a full disk leaves the previous file at ``path`` as it was.
    """
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise NstlibError(
            f"save_image writes PNG (lossless); name the file {path.with_suffix('.png')}."
        )
    image = image.detach().cpu()
    if image.dim() == 4:
        if image.shape[0] != 1:
            raise NstlibError(f"save_image writes one image; got a batch of {image.shape[0]}.")
        image = image[0]
    check_image(image.unsqueeze(0), "image")
    check_unit_range(image, "save_image's image")
    if not path.parent.exists():
        raise NstlibError(
            f"Folder {path.parent} does not exist; create it or choose another -o path."
        )
    picture = TF.to_pil_image(image.clamp(0, 1))  # clamp only removes float rounding (< 1e-3)
    with atomic_write(path) as tmp:
        picture.save(tmp, format="PNG")  # the temporary name ends in .part: say the format
    return path


def check_image(x: torch.Tensor, name: str = "input", *, multiple_of: int = 1) -> None:
    """Raise a clear error unless ``x`` is a float ``[B, 3, H, W]`` tensor with H, W divisible.

    Networks call this first, so a wrong shape is reported in words instead of a torch traceback.
    """
    if not isinstance(x, torch.Tensor):
        raise NstlibError(f"{name} must be a torch.Tensor, got {type(x).__name__}.")
    if x.dim() != 4:
        hint = " Add a batch dimension with x.unsqueeze(0)." if x.dim() == 3 else ""
        raise NstlibError(f"{name} must have shape [B, 3, H, W]; got {list(x.shape)}.{hint}")
    if x.shape[1] != 3:
        raise NstlibError(
            f"{name} must have 3 (RGB) channels; got {x.shape[1]} in shape {list(x.shape)}. "
            "Grey images: x.repeat(1, 3, 1, 1); RGBA: drop alpha with x[:, :3]."
        )
    if not x.is_floating_point():
        raise NstlibError(f"{name} must be a float tensor; got {x.dtype}. Use x.float() / 255.")
    h, w = x.shape[-2:]
    if multiple_of > 1 and (h % multiple_of or w % multiple_of):
        fix_h, fix_w = h - h % multiple_of, w - w % multiple_of
        raise NstlibError(
            f"{name} height and width must be divisible by {multiple_of}; got {h}×{w}. "
            f"Crop or resize to {fix_h}×{fix_w}."
        )


# Float arithmetic (a resize, a colour matrix) can overshoot [0, 1] by a rounding error; a real
# mistake (an image in [-1, 1] or [0, 255]) overshoots by far more than this.
UNIT_RANGE_TOLERANCE = 1e-3


def check_unit_range(image: torch.Tensor, name: str = "image") -> None:
    """Raise a clear error unless every value of ``image`` is finite and in ``[0, 1]``.

    A NaN or infinity (from a diverged optimisation) is refused too: saved, it would become a black
    picture with no word of what went wrong. Values within ``UNIT_RANGE_TOLERANCE`` of the range
    are float rounding and pass.
    """
    if not torch.isfinite(image).all():
        raise NstlibError(
            f"{name} contains NaN or infinite values: the computation that made it diverged. "
            "Lower the learning rate or the loss weights and run it again."
        )
    lo, hi = image.min().item(), image.max().item()
    if lo < -UNIT_RANGE_TOLERANCE or hi > 1 + UNIT_RANGE_TOLERANCE:
        raise NstlibError(
            f"{name} must hold values in [0, 1]; got [{lo:.3f}, {hi:.3f}]. "
            "Convert generator output in [-1, 1] with nstlib.images.to_unit first."
        )


def pad_to_multiple(image: torch.Tensor, multiple: int) -> torch.Tensor:
    """Reflect-pad ``[B, C, H, W]`` at the bottom and right up to the next multiple of ``multiple``.

    Reflection adds no black border for a network to react to; crop the result back with
    ``out[..., :H, :W]`` to remove exactly the added pixels.
    """
    if multiple < 1:
        raise NstlibError(f"multiple must be a positive number of pixels; got {multiple}.")
    h, w = image.shape[-2:]
    pad_h, pad_w = -h % multiple, -w % multiple
    if pad_h >= h or pad_w >= w:  # a reflection can only mirror pixels that exist
        raise NstlibError(
            f"The image is {h}×{w} pixels, too small to reflect-pad to a multiple of {multiple}; "
            f"use an image at least {multiple} pixels on each side."
        )
    return torch.nn.functional.pad(image, (0, pad_w, 0, pad_h), mode="reflect")


def figure_png(fig: Figure) -> bytes:
    """PNG file bytes of a matplotlib figure (for ``widgets.Image``), at the figure's own dpi."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def check_same_shape(a: torch.Tensor, b: torch.Tensor, names: tuple[str, str]) -> None:
    """Raise a clear error unless ``a`` and ``b`` (compared pixel by pixel) have one shape.

    Without it, torch would broadcast a ``[1, 3, H, W]`` against a ``[4, 3, H, W]`` silently, or
    fail deep inside an operation with a message about "tensor a" and "tensor b".
    """
    if a.shape != b.shape:
        raise NstlibError(
            f"{names[0]} and {names[1]} must have the same shape; got {list(a.shape)} and "
            f"{list(b.shape)}."
        )


def to_signed(image: torch.Tensor) -> torch.Tensor:
    """Map ``[0, 1]`` to ``[-1, 1]`` (the range of a tanh generator)."""
    return image * 2 - 1


def to_unit(image: torch.Tensor) -> torch.Tensor:
    """Map ``[-1, 1]`` to ``[0, 1]`` (for display and saving)."""
    return (image + 1) / 2


def png_bytes(image: torch.Tensor | Image.Image) -> bytes:
    """PNG file bytes for ``widgets.Image``: a PIL image, or a ``[1, 3, H, W]`` / ``[3, H, W]``
    tensor in ``[0, 1]``.

    Display only: tensor values outside ``[0, 1]`` show as black or white; the tensor is unchanged.
    Compression level 1, because the bytes only travel to the browser and encoding time is lag.
    """
    if isinstance(image, torch.Tensor):
        pixels = image.detach().cpu()
        pixels = pixels[0] if pixels.dim() == 4 else pixels
        image = to_pil_image((pixels.clamp(0, 1) * 255).round().to(torch.uint8))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
