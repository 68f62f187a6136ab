"""Every constant the library copies from somewhere is checked against that somewhere.

A test that compares ``FeatureExtractor``'s normalisation with ``IMAGENET_MEAN`` checks the constant
against itself: swap mean and std, or write the mean in BGR order, and it still passes. These tests
read the truth from its source instead: torchvision's own metadata for the weights, the paper's
table of layers, and torchvision's VGG-19 module list.
"""

from __future__ import annotations

import pytest
import torch
from torchvision.models import VGG19_Weights

from nstlib.backbones import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    PAPER_CONTENT_LAYERS,
    PAPER_STYLE_LAYERS,
    FeatureExtractor,
    load_backbone,
    paper_layer_names,
    vgg_features,
)

# What torchvision says the VGG-19 weights were trained on (read from the weights' own metadata).
TORCHVISION_TRANSFORM = VGG19_Weights.IMAGENET1K_V1.transforms()
# Gatys et al. 2015, "A Neural Algorithm of Artistic Style", Fig. 2 and §2: style from conv1_1,
# conv2_1, conv3_1, conv4_1 and conv5_1; content from conv4_2 (taken after their ReLU here).
GATYS_STYLE_CONVS = ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")
GATYS_CONTENT_CONV = "conv4_2"
# Indices of those convs in torchvision's vgg19().features (REFERENCE.md §3, torchvision's layout).
VGG19_CONV_INDEX = {
    "conv1_1": 0,
    "conv2_1": 5,
    "conv3_1": 10,
    "conv4_1": 19,
    "conv4_2": 21,
    "conv5_1": 28,
}


def test_imagenet_statistics_are_torchvisions():
    assert IMAGENET_MEAN == pytest.approx(tuple(TORCHVISION_TRANSFORM.mean))
    assert IMAGENET_STD == pytest.approx(tuple(TORCHVISION_TRANSFORM.std))


def test_the_extractor_normalises_with_torchvisions_statistics_in_rgb_order():
    """Feed the extractor one pure colour per channel; its first layer must see torchvision's input."""
    conv = torch.nn.Conv2d(3, 3, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).reshape(3, 3, 1, 1))  # conv1_1 passes the input through
    features = torch.nn.Sequential(conv, torch.nn.ReLU())
    extractor = FeatureExtractor(features, ["conv1_1"])
    image = torch.tensor([0.9, 0.5, 0.1]).reshape(1, 3, 1, 1).expand(1, 3, 4, 4).contiguous()
    mean = torch.tensor(TORCHVISION_TRANSFORM.mean).reshape(1, 3, 1, 1)
    std = torch.tensor(TORCHVISION_TRANSFORM.std).reshape(1, 3, 1, 1)
    torch.testing.assert_close(extractor(image)["conv1_1"], (image - mean) / std)


def test_paper_layers_are_the_relus_right_after_gatys_convs():
    names = paper_layer_names(vgg_features("vgg19"))
    assert [names[layer] for layer in PAPER_STYLE_LAYERS] == [
        VGG19_CONV_INDEX[conv] + 1 for conv in GATYS_STYLE_CONVS
    ]
    assert [names[layer] for layer in PAPER_CONTENT_LAYERS] == [
        VGG19_CONV_INDEX[GATYS_CONTENT_CONV] + 1
    ]


def test_a_loaded_backbone_uses_the_papers_layers():
    backbone = load_backbone("random", device="cpu")
    names = backbone.layers
    assert [names[layer] for layer in backbone.style_layers] == [
        VGG19_CONV_INDEX[conv] + 1 for conv in GATYS_STYLE_CONVS
    ]
    assert [names[layer] for layer in backbone.content_layers] == [
        VGG19_CONV_INDEX[GATYS_CONTENT_CONV] + 1
    ]
