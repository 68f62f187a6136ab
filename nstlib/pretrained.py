"""A real, trained CycleGAN generator that works offline: vintagify's modern → vintage photos.

Training a CycleGAN at 256 px takes a day or two on a GPU, far beyond a CPU lesson. The PyPI
package ``vintagify`` (MIT licence, installed by ``pip install 'nstlib[assets]'``) ships
``resources/G_A2B_epoch33.pth``: the A → B generator of a CycleGAN trained to turn modern photos
into old-looking ones. Its architecture is exactly the reference ``ResnetGenerator`` (ngf 64,
9 residual blocks) except that its instance norms are affine, so it loads into
:class:`nstlib.cyclegan.ResnetGenerator` with ``affine=True``. Only its module *names* differ:
it is one flat ``nn.Sequential`` (``model.<i>.*``); :func:`vintagify_key_map` renames them.

vintagify itself trains and runs the generator on 512×512 centre crops scaled to ``[-1, 1]``; the
network is fully convolutional, so it accepts any size divisible by 4 and we run it on the whole
photo, by default resized to 256 px on its longer side to keep CPU time under a second or so.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from nstlib.cyclegan import ResnetGenerator
from nstlib.data import resolve_image
from nstlib.errors import NstlibError
from nstlib.images import check_image, save_image, to_signed, to_unit
from nstlib.runtime import resolve_device

VINTAGE_CHECKPOINT = "resources/G_A2B_epoch33.pth"  # inside the vintagify package


def vintagify_key_map(n_blocks: int = 9) -> dict[str, str]:
    """Module-name prefixes of vintagify's flat ``Sequential`` → nstlib's ``ResnetGenerator``.

    vintagify lays the reference's layers out one after another (ReLUs and paddings included, which
    have no weights)::

        0 pad, 1 conv7, 2 norm, 3 relu            → stem.1, stem.2
        4 conv↓, 5 norm, 6 relu, 7 conv↓, 8 norm  → down.0.{0,1}, down.1.{0,1}
        10 … 18 residual blocks (.block.<j>)      → blocks.<i>.branch.<j>
        19 convT↑, 20 norm, 22 convT↑, 23 norm    → up.0.{0,1}, up.1.{0,1}
        25 pad, 26 conv7, 27 tanh                 → head.1
    """
    first_block = 10
    after_blocks = first_block + n_blocks  # 19 with 9 blocks
    mapping = {
        "model.1.": "stem.1.",
        "model.2.": "stem.2.",
        "model.4.": "down.0.0.",
        "model.5.": "down.0.1.",
        "model.7.": "down.1.0.",
        "model.8.": "down.1.1.",
        f"model.{after_blocks}.": "up.0.0.",
        f"model.{after_blocks + 1}.": "up.0.1.",
        f"model.{after_blocks + 3}.": "up.1.0.",
        f"model.{after_blocks + 4}.": "up.1.1.",
        f"model.{after_blocks + 7}.": "head.1.",
    }
    for i in range(n_blocks):
        mapping[f"model.{first_block + i}.block."] = f"blocks.{i}.branch."
    return mapping


def vintage_checkpoint_path() -> Path:
    """Where the installed vintagify package keeps its generator weights (nothing is imported)."""
    spec = importlib.util.find_spec("vintagify")
    if spec is None or not spec.submodule_search_locations:
        raise NstlibError(
            "The pretrained vintage generator comes with the 'vintagify' package, which is not "
            "installed. Install the offline assets with: pip install 'nstlib[assets]'"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / VINTAGE_CHECKPOINT
    if not path.is_file():
        raise NstlibError(
            f"vintagify is installed but {path} is missing; reinstall it with "
            "pip install --force-reinstall vintagify==0.1.2"
        )
    return path


def load_vintage_generator(
    device: torch.device | str | None = None, checkpoint: str | Path | None = None
) -> ResnetGenerator:
    """vintagify's trained modern → vintage CycleGAN generator as an nstlib ``ResnetGenerator``.

    Args:
        device: where to put it (default: :func:`nstlib.runtime.device`).
        checkpoint: a vintagify-format ``.pth`` state dict; default: the one the package ships.

    Returns the generator in eval mode (``affine=True``, 9 blocks, ngf 64; 11,388,675 parameters).
    Weights are read with ``weights_only=True`` and loaded strictly: every tensor must find its
    place, or a :class:`NstlibError` names the file and what does not match.
    """
    path = Path(checkpoint) if checkpoint is not None else vintage_checkpoint_path()
    if not path.is_file():
        raise NstlibError(f"Checkpoint not found: {path}.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # not a torch file, truncated, or a pickle of arbitrary objects
        raise NstlibError(f"{path} is not a PyTorch state dict: {exc}") from exc
    if not isinstance(state, dict):
        raise NstlibError(f"{path} holds a {type(state).__name__}, not a state dict of tensors.")
    generator = ResnetGenerator(ngf=64, n_blocks=9, affine=True)
    renamed = _rename(state, vintagify_key_map(n_blocks=9))
    own = generator.state_dict()
    missing = sorted(own.keys() - renamed.keys())
    unexpected = sorted(renamed.keys() - own.keys())
    shapes = [k for k in own.keys() & renamed.keys() if own[k].shape != renamed[k].shape]
    if missing or unexpected or shapes:
        raise NstlibError(
            f"{path} is not a vintagify CycleGAN generator (9 blocks, ngf 64, affine norms): "
            f"{len(missing)} missing tensors (e.g. {missing[:2]}), {len(unexpected)} unexpected "
            f"(e.g. {unexpected[:2]}), {len(shapes)} of another shape (e.g. {shapes[:2]})."
        )
    generator.load_state_dict(renamed, strict=True)
    return generator.to(resolve_device(device)).eval()


def _rename(state: dict[str, torch.Tensor], prefixes: dict[str, str]) -> dict[str, torch.Tensor]:
    """Apply the first matching prefix rename to each key; keys with no match stay as they are."""
    renamed = {}
    for key, tensor in state.items():
        old = next((p for p in prefixes if key.startswith(p)), None)
        renamed[key if old is None else prefixes[old] + key[len(old) :]] = tensor
    return renamed


def translate(generator: torch.nn.Module, image: torch.Tensor) -> torch.Tensor:
    """Run a generator on a photo: ``[1, 3, H, W]`` in ``[0, 1]`` → ``[1, 3, H, W]`` in ``[0, 1]``.

    Any H and W work: the photo is reflect-padded at the bottom and right up to the next multiple
    of 4 (the generator's requirement), and the output is cropped back to ``H×W``. Reflection adds
    no black border for the network to react to, and the crop removes only the added pixels, so
    nothing of the photo is lost. Runs without gradients, on the generator's device; the result
    is on the CPU.
    """
    check_image(image, "image")
    lo, hi = image.min().item(), image.max().item()
    if lo < -1e-3 or hi > 1 + 1e-3:
        raise NstlibError(
            f"translate expects an image in [0, 1] (as load_image returns); "
            f"got [{lo:.3f}, {hi:.3f}]."
        )
    h, w = image.shape[-2:]
    pad_h, pad_w = -h % 4, -w % 4
    if min(h, w) < 8:
        raise NstlibError(f"image is {h}×{w}; use at least 8×8 pixels.")
    device = next(generator.parameters()).device
    with torch.inference_mode():
        x = F.pad(to_signed(image.to(device)), (0, pad_w, 0, pad_h), mode="reflect")
        y = generator(x)[..., :h, :w]
    return to_unit(y).cpu()


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
        size: the longer side to resize to, in pixels; ``None`` keeps the photo's size.
        out: where to write the result (its folder must exist).
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
