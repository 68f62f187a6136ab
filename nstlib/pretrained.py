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

from pathlib import Path

import torch

from nstlib.cyclegan import ResnetGenerator
from nstlib.errors import NstlibError
from nstlib.images import check_image, check_unit_range, pad_to_multiple, to_signed, to_unit
from nstlib.plumbing.paths import package_file
from nstlib.plumbing.weights import load_strict, read_weights
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
    return package_file("vintagify", VINTAGE_CHECKPOINT, install="pip install 'nstlib[assets]'")


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
    what = "a vintagify CycleGAN generator (9 blocks, ngf 64, affine norms)"
    state = read_weights(path, what)
    generator = ResnetGenerator(ngf=64, n_blocks=9, affine=True)
    load_strict(generator, _rename(state, vintagify_key_map(n_blocks=9)), path, what)
    return generator.to(resolve_device(device)).eval()


def _rename(state: dict[str, torch.Tensor], prefixes: dict[str, str]) -> dict[str, torch.Tensor]:
    """Apply the first matching prefix rename to each key; keys with no match stay as they are."""
    renamed = {}
    for key, tensor in state.items():
        old = next((p for p in prefixes if key.startswith(p)), None)
        renamed[key if old is None else prefixes[old] + key[len(old) :]] = tensor
    return renamed


# On a CPU the generator's cost grows as size²: 1024 px is 16× the default 256 px run (about a
# second on 2 cores). Its largest activations are 64 × H × W floats: 270 MB each at 1024 px, but
# 4.3 GB at 4096 px, which a laptop cannot hold. Beyond 1024, use a GPU.
MAX_CPU_SIZE = 1024
MIN_SIZE = 8  # the two stride-2 convolutions need a few pixels to work on


def translate(generator: torch.nn.Module, image: torch.Tensor) -> torch.Tensor:
    """Run a generator on a photo: ``[1, 3, H, W]`` in ``[0, 1]`` → ``[1, 3, H, W]`` in ``[0, 1]``.

    Any H and W work: the photo is reflect-padded at the bottom and right up to the next multiple
    of 4 (the generator's requirement), and the output is cropped back to ``H×W``. Reflection adds
    no black border for the network to react to, and the crop removes only the added pixels, so
    nothing of the photo is lost. Runs without gradients, on the generator's device; the result
    is on the CPU. On a CPU the longer side may be at most :data:`MAX_CPU_SIZE`.
    """
    check_image(image, "image")
    check_unit_range(image, "image")
    h, w = image.shape[-2:]
    if min(h, w) < MIN_SIZE:
        raise NstlibError(f"image is {h}×{w}; use at least {MIN_SIZE}×{MIN_SIZE} pixels.")
    device = next(generator.parameters()).device
    if device.type == "cpu" and max(h, w) > MAX_CPU_SIZE:
        raise NstlibError(
            f"image is {h}×{w}, too large for the generator on the CPU (longer side at most "
            f"{MAX_CPU_SIZE}); resize it (load_image(path, size={MAX_CPU_SIZE})) or use a GPU."
        )
    with torch.inference_mode():
        y = generator(pad_to_multiple(to_signed(image.to(device)), 4))[..., :h, :w]
    return to_unit(y).cpu()
