"""A perceptual distance between images: how different two pictures look to a VGG network.

Pixel distances call a picture shifted by one pixel very different and a blurred one close. Zhang
et al. ("The Unreasonable Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018)
showed that distances between *deep features* agree far better with people. Their LPIPS metric
compares VGG activations at five depths, each feature vector scaled to unit length first (so that
only the pattern of a location's activations counts, not its size), then averages the squared
differences over the image and adds up the layers. LPIPS then learns one weight per channel; this
module uses the paper's "baseline" without learned weights (all channels weigh 1), which needs
nothing beyond the VGG-19 that lesson 05 already loads offline (:mod:`nstlib.backbones`).

0 means the same features. On the original VGG-19 and 128 px photos (measured on the held-out
photos of :mod:`nstlib.photo_domains`): a 3×3 blur scores 1.2 to 1.8, a photo against its
painting about 6.5 to 7, two unrelated photos about 8.
"""

from __future__ import annotations

import torch

from nstlib.backbones import Backbone, FeatureExtractor, as_backbone
from nstlib.images import check_same_shape

# VGG-19's counterparts of LPIPS' VGG-16 layers: the last ReLU of each of the five blocks.
LAYERS = ("relu1_2", "relu2_2", "relu3_4", "relu4_4", "relu5_4")


def perceptual_extractor(
    backbone: str | Backbone = "original", device: str | None = None
) -> FeatureExtractor:
    """The frozen VGG feature extractor :func:`perceptual_distance` compares images with."""
    return as_backbone(backbone, device).extractor(LAYERS)


def _unit_length(features: torch.Tensor) -> torch.Tensor:
    # LPIPS' eps: a location where every channel is 0 stays 0 instead of dividing by zero.
    return features / (features.norm(dim=1, keepdim=True) + 1e-10)


@torch.no_grad()
def perceptual_distance(
    x: torch.Tensor, y: torch.Tensor, extractor: FeatureExtractor
) -> torch.Tensor:
    """The unweighted LPIPS distance of each pair of images, ``[B]`` (float, ≥ 0).

    Args:
        x, y: ``[B, 3, H, W]`` in ``[0, 1]``, the same shape.
        extractor: :func:`perceptual_extractor`'s (loaded once, shared between calls).

    Per layer: unit-length features, squared difference summed over channels, mean over the
    image; then the sum over the five layers.
    """
    check_same_shape(x, y, ("x", "y"))
    device = extractor.mean.device  # the images go to the network, wherever it is
    fx, fy = extractor(x.to(device)), extractor(y.to(device))
    per_layer = [
        (_unit_length(fx[name]) - _unit_length(fy[name])).pow(2).sum(dim=1).mean(dim=(1, 2))
        for name in LAYERS
    ]
    return torch.stack(per_layer).sum(dim=0)
