"""Generator files: the ones ``train-cyclegan`` writes, and the reference code's published ones.

``translate --weights FILE`` accepts two formats and tells them apart by their keys:

* **nstlib's own** (written by :func:`save_generator`): ``{"format": "nstlib.ResnetGenerator",
  "config": {...}, "state_dict": {...}}``. The config holds the :class:`ResnetGenerator`
  arguments (``ngf``, ``n_blocks``, ...), so the file rebuilds its own network.
* **The reference code's** (``latest_net_G_A.pth``, and the published ``horse2zebra.pth``,
  ``style_monet.pth``, ... from ``scripts/download_cyclegan_model.sh``): a bare state dict of the
  reference's flat ``nn.Sequential``, keys ``model.1.weight``, ``model.10.conv_block.1.weight``,
  .... The layers are exactly nstlib's ``ResnetGenerator``'s, in the same order; only the names
  differ, and :func:`reference_key_map` renames them. The settings are read off the tensors:
  ``ngf`` is the first conv's output channels, ``n_blocks`` the number of ``conv_block`` entries,
  and affine instance norm shows as norm weights. Files saved by old PyTorch versions also carry
  ``running_mean``/``running_var`` entries for the instance norms, which the reference's own
  loader drops (``__patch_instance_norm_state_dict``); so does :func:`load_generator`.

Both are read with ``weights_only=True`` (no code can run) and loaded strictly.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from nstlib.cyclegan import ResnetGenerator
from nstlib.errors import NstlibError
from nstlib.plumbing.atomic import atomic_write
from nstlib.plumbing.weights import load_strict, read_weights
from nstlib.pretrained import vintagify_key_map

FORMAT = "nstlib.ResnetGenerator"
# The ResnetGenerator arguments a file may set (anything else is refused, not passed on).
CONFIG_KEYS = (
    "in_channels",
    "out_channels",
    "ngf",
    "n_blocks",
    "norm",
    "affine",
    "padding",
    "upsample",
)
_STALE_NORM_STATS = ("running_mean", "running_var", "num_batches_tracked")


def save_generator(generator: ResnetGenerator, config: dict, path: str | Path) -> Path:
    """Write ``generator``'s weights and the ``config`` it was built with, atomically.

    ``config`` holds the :class:`ResnetGenerator` keyword arguments (see :data:`CONFIG_KEYS`);
    ``ResnetGenerator(**config)`` must rebuild the same network. Returns ``path``.
    """
    unknown = set(config) - set(CONFIG_KEYS)
    if unknown:
        raise NstlibError(f"config has keys ResnetGenerator does not take: {sorted(unknown)}.")
    state = {k: v.detach().cpu() for k, v in generator.state_dict().items()}
    with atomic_write(path) as tmp:
        torch.save({"format": FORMAT, "config": dict(config), "state_dict": state}, tmp)
    return Path(path)


def reference_key_map(n_blocks: int) -> dict[str, str]:
    """Key prefixes of the reference's flat ``Sequential`` → nstlib's ``ResnetGenerator`` names.

    vintagify saved the same ``Sequential`` (see :func:`nstlib.pretrained.vintagify_key_map`);
    only the residual block's attribute differs: the reference calls it ``conv_block``.
    """
    return {
        old.replace(".block.", ".conv_block."): new
        for old, new in vintagify_key_map(n_blocks).items()
    }


def load_generator(path: str | Path, device: torch.device | str = "cpu") -> ResnetGenerator:
    """A generator file in either format (see the module docstring) → a ``ResnetGenerator``.

    Returns the network on ``device`` in eval mode. A file in neither format, or one whose tensors
    do not fit the network its settings describe, is an :class:`NstlibError` naming the file.
    """
    path = Path(path)
    state = read_weights(path, "a CycleGAN generator file (--weights)")
    if state.get("format") == FORMAT:
        config = state.get("config", {})
        if not isinstance(config, dict) or set(config) - set(CONFIG_KEYS):
            raise NstlibError(f"{path} has an unreadable generator config: {config!r}.")
        generator = ResnetGenerator(**config)
        load_strict(generator, state["state_dict"], path, f"a ResnetGenerator {config}")
    elif "model.1.weight" in state:
        generator, renamed = _from_reference(state)
        load_strict(generator, renamed, path, "a reference-format CycleGAN generator")
    else:
        raise NstlibError(
            f"{path} is not a CycleGAN generator file: expected one written by train-cyclegan or "
            "a reference-code generator (keys model.1.weight, ..., e.g. latest_net_G_A.pth or the "
            f"published horse2zebra.pth); its first keys are {list(state)[:4]}."
        )
    return generator.to(device).eval()


def _from_reference(state: dict) -> tuple[ResnetGenerator, dict[str, torch.Tensor]]:
    """Build the generator a reference state dict describes, and its tensors under our names."""
    blocks = {int(m.group(1)) for k in state if (m := re.match(r"model\.(\d+)\.conv_block\.", k))}
    affine = "model.2.weight" in state  # non-affine instance norm has no weights
    prefixes = reference_key_map(len(blocks))
    stem = state["model.1.weight"]  # [ngf, in_channels, 7, 7]
    head_key = next(old for old, new in prefixes.items() if new == "head.1.") + "weight"
    if head_key not in state:
        raise NstlibError(
            f"a reference-format generator with {len(blocks)} residual blocks should have "
            f"{head_key} (its last conv); this file has not. Is it a ResNet generator?"
        )
    generator = ResnetGenerator(
        in_channels=stem.shape[1],
        out_channels=state[head_key].shape[0],
        ngf=stem.shape[0],
        n_blocks=len(blocks),
        affine=affine,
    )
    renamed = {}
    for key, tensor in state.items():
        if key.rsplit(".", 1)[-1] in _STALE_NORM_STATS:
            continue  # instance-norm statistics from old PyTorch versions: never used
        old = next((p for p in prefixes if key.startswith(p)), None)
        renamed[key if old is None else prefixes[old] + key[len(old) :]] = tensor
    return generator, renamed
