"""Gatys' network normalisation: rescale every filter so its mean activation over images is 1.

Gatys, Ecker & Bethge (2015/2016) "normalized the network by scaling the weights such that the
mean activation of each convolutional filter over images and positions is equal to one". A ReLU
network allows this without changing what it computes, up to scale: ReLU and max- or
average-pooling commute with multiplying a channel by a positive number ``s``
(``relu(x / s) = relu(x) / s``). So dividing filter ``c`` of conv ``l`` (its weights and bias) by
its mean activation ``m_l[c]``, and multiplying the next conv's input weights for channel ``c`` by
``m_l[c]``, gives a network whose every ReLU output is the original's divided by its channel mean:
the same features, each channel now of typical size 1.

Why it matters for style transfer: a Gram entry is a product of two channels and the style loss
squares it, so it grows as the 4th power of the activations. Without normalisation a few channels
with large activations (and, in VGG-19, whole layers: the original network's block-4 ReLUs average
about 300) outweigh everything else.

The means are measured once on the course's photos (:data:`nstlib.data.PHOTOS` at 256 px) and
shipped in ``datasets/pretrained/vgg19_caffe_channel_means.pt`` (27 KB), because the paper's own
statistics (ImageNet images) are not available offline. Regenerate the file with::

    python -m nstlib.network_normalisation
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from torch import nn

from nstlib.backbones import CAFFE_MEAN, CAFFE_STD, original_vgg19_features, paper_layer_names
from nstlib.data import PHOTOS, photo
from nstlib.errors import NstlibError
from nstlib.plumbing.atomic import atomic_write
from nstlib.plumbing.paths import datasets_dir
from nstlib.plumbing.weights import read_weights

CALIBRATION_SIZE = 256  # pixels, longer side: the size lesson 05 and the CLI run at
CHANNEL_MEANS_FILE = "pretrained/vgg19_caffe_channel_means.pt"


def conv_relu_pairs(features: nn.Sequential) -> list[tuple[int, int]]:
    """``(conv index, relu index)`` for every ``Conv2d`` that is followed directly by a ``ReLU``.

    Raises an ``NstlibError`` for a network with anything else after a convolution (VGG16-BN's
    BatchNorm): the rescaling below is written for VGG-19's conv → ReLU pattern only.
    """
    pairs = []
    for index, module in enumerate(features):
        if isinstance(module, nn.Conv2d):
            follower = features[index + 1] if index + 1 < len(features) else None
            if not isinstance(follower, nn.ReLU):
                raise NstlibError(
                    f"features[{index}] (a Conv2d) is followed by "
                    f"{type(follower).__name__ if follower is not None else 'nothing'}, not a ReLU: "
                    "network normalisation is implemented for plain VGG (conv → ReLU) stacks only."
                )
            pairs.append((index, index + 1))
    return pairs


@torch.no_grad()
def channel_means(
    features: nn.Sequential, inputs: Iterable[torch.Tensor]
) -> dict[int, torch.Tensor]:
    """Mean activation of every channel after every conv's ReLU: ``{relu index: [C]}``.

    Args:
        features: the (un-normalised) VGG stack, in eval mode.
        inputs: network inputs ``[1, 3, H, W]``, already preprocessed as the network expects
            (for the original VGG-19: BGR-ordered weights, so RGB ``255·x − mean``); any sizes.

    Each image counts equally: the mean over its positions, averaged over the images.
    """
    relus = {relu for _, relu in conv_relu_pairs(features)}
    sums: dict[int, torch.Tensor] = {}
    count = 0
    for x in inputs:
        for index, module in enumerate(features):
            # torchvision's ReLUs are in-place; that is harmless here, nothing earlier is kept.
            x = module(x)
            if index in relus:
                sums[index] = sums.get(index, 0) + x.mean(dim=(0, 2, 3))
        count += 1
    if count == 0:
        raise NstlibError("channel_means needs at least one input image; got none.")
    return {index: total / count for index, total in sums.items()}


@torch.no_grad()
def normalise_network(features: nn.Sequential, means: Mapping[int, torch.Tensor]) -> None:
    """Rescale ``features`` in place so that channel ``c`` after ReLU ``r`` is divided by ``means[r][c]``.

    ``means`` is :func:`channel_means` of the *un-normalised* network (``{relu index: [C]}``).
    Conv ``l``'s filter ``c`` is divided by ``m_l[c]`` and its input weights multiplied by the
    previous layer's ``m_{l-1}``, which cancels the previous layer's division. A channel that never
    fired on the calibration images (mean 0) is left as it is: there is nothing to divide by.
    """
    previous = None
    for conv_index, relu_index in conv_relu_pairs(features):
        if relu_index not in means:
            raise NstlibError(
                f"means has no entry for the ReLU at features[{relu_index}]; compute them with "
                "channel_means() on this very network."
            )
        conv = features[conv_index]
        scale = means[relu_index].to(conv.weight)
        if scale.shape != (conv.out_channels,):
            raise NstlibError(
                f"means[{relu_index}] has shape {list(scale.shape)}; features[{conv_index}] has "
                f"{conv.out_channels} filters."
            )
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        conv.weight.div_(scale.view(-1, 1, 1, 1))
        conv.bias.div_(scale)
        if previous is not None:
            conv.weight.mul_(previous.view(1, -1, 1, 1))
        previous = scale


def calibrate(size: int = CALIBRATION_SIZE) -> dict[str, torch.Tensor]:
    """Measure the original VGG-19's channel means on the course's photos: ``{"relu1_1": [64], ...}``.

    Every photo of :data:`nstlib.data.PHOTOS`, resized to ``size`` pixels on its longer side, goes
    through the *un-normalised* network with its own preprocessing (RGB ``255·x − mean``); each
    ReLU's channel means are averaged over the photos. Takes a few seconds on a CPU.
    """
    features = original_vgg19_features(normalised=False)
    mean = torch.tensor(CAFFE_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CAFFE_STD).view(1, 3, 1, 1)
    inputs = ((photo(name, size) - mean) / std for name in PHOTOS)
    by_index = channel_means(features, inputs)
    return {
        name: by_index[index]
        for name, index in paper_layer_names(features).items()
        if index in by_index
    }


def save_channel_means(means: Mapping[str, torch.Tensor], path: str | Path | None = None) -> Path:
    """Write ``{paper ReLU name: [C]}`` to ``path`` (default: the shipped file), atomically."""
    path = Path(datasets_dir() / CHANNEL_MEANS_FILE if path is None else path)
    with atomic_write(path) as tmp, open(tmp, "wb") as file:
        torch.save({name: tensor.float().contiguous() for name, tensor in means.items()}, file)
    return path


def load_channel_means(path: str | Path | None = None) -> dict[str, torch.Tensor]:
    """The shipped ``{paper ReLU name: [C]}`` means (e.g. ``"relu1_1"``: 64 floats, all ≥ 0)."""
    path = datasets_dir() / CHANNEL_MEANS_FILE if path is None else path
    return read_weights(
        path, "the original VGG-19's channel means (python -m nstlib.network_normalisation)"
    )


if __name__ == "__main__":
    written = save_channel_means(calibrate())
    print(f"wrote {written} ({written.stat().st_size / 1e3:.0f} KB)")
