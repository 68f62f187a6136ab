"""Tests for nstlib.transformer_net: Johnson's feed-forward network and its training loop."""

import pytest
import torch

from nstlib.backbones import load_backbone
from nstlib.errors import NstlibError
from nstlib.plumbing.paths import datasets_dir
from nstlib.transformer_net import (
    TransformerNet,
    load_transformer,
    random_crops,
    save_transformer,
    stylize_with_network,
    train_transformer,
)


def _conv(channels_in, channels_out, kernel):
    return channels_in * channels_out * kernel * kernel + channels_out  # weights + bias


def _norm(channels):
    return 2 * channels  # instance norm's learned scale and shift


DEFAULT_PARAMETERS = (
    _conv(3, 16, 9) + _norm(16) + _conv(16, 32, 3) + _norm(32) + _conv(32, 64, 3) + _norm(64)
    + 5 * 2 * (_conv(64, 64, 3) + _norm(64))
    + _conv(64, 32, 3) + _norm(32) + _conv(32, 16, 3) + _norm(16) + _conv(16, 3, 9)
)  # fmt: skip


@pytest.fixture(scope="module")
def backbone():
    return load_backbone("random-vgg16_bn", "cpu")


def test_parameter_count_and_shapes():
    net = TransformerNet()
    assert sum(p.numel() for p in net.parameters()) == DEFAULT_PARAMETERS
    image = torch.rand(2, 3, 32, 48)
    out = net(image)
    assert out.shape == image.shape
    assert 0.0 <= out.min().item() and out.max().item() <= 1.0


def test_any_size_is_padded_and_cropped_back():
    net = TransformerNet(channels=(4, 8, 8), n_blocks=1).eval()
    image = torch.rand(1, 3, 30, 41)
    out = stylize_with_network(net, image)
    assert out.shape == image.shape
    with pytest.raises(NstlibError, match="divisible by 4"):
        net(image)


def test_bad_configuration_is_refused():
    with pytest.raises(NstlibError, match="three positive channel widths"):
        TransformerNet(channels=(16, 32))


def test_random_crops_are_repeatable_squares_in_range():
    photos = [torch.rand(1, 3, 60, 80), torch.rand(1, 3, 90, 70)]
    a = random_crops(photos, 32, 5, torch.Generator().manual_seed(0))
    b = random_crops(photos, 32, 5, torch.Generator().manual_seed(0))
    assert a.shape == (5, 3, 32, 32)
    assert 0.0 <= a.min().item() and a.max().item() <= 1.0
    torch.testing.assert_close(a, b)


def test_training_updates_the_network_repeatably(backbone):
    g = torch.Generator().manual_seed(1)
    style, photos = torch.rand(1, 3, 48, 48, generator=g), [torch.rand(1, 3, 40, 48, generator=g)]
    kwargs = dict(steps=2, crop=32, batch_size=2, style_size=48, backbone=backbone, progress=False)
    first = train_transformer(style, photos, device="cpu", **kwargs)
    second = train_transformer(style, photos, device="cpu", **kwargs)
    assert len(first.history["total"]) == 2
    assert all(torch.isfinite(torch.tensor(first.history["total"])))
    assert first.history["total"] == pytest.approx(second.history["total"], rel=1e-4)
    with torch.random.fork_rng():
        torch.manual_seed(0)  # the seed train_transformer gives a new network
        initial = TransformerNet()
    moved = [
        (a - b).abs().max().item()
        for a, b in zip(first.net.parameters(), initial.parameters(), strict=True)
    ]
    assert min(moved) > 0  # Adam moved every parameter tensor
    assert not first.net.training
    assert first.info["steps"] == 2 and first.info["crop"] == 32


def test_training_input_errors(backbone):
    style = torch.rand(1, 3, 48, 48)
    with pytest.raises(NstlibError, match="photos is empty"):
        train_transformer(style, [], backbone=backbone, device="cpu")
    with pytest.raises(NstlibError, match="smaller than crop"):
        train_transformer(style, [torch.rand(1, 3, 40, 40)], crop=64, backbone=backbone)
    with pytest.raises(NstlibError, match="divisible by 4"):
        train_transformer(style, [torch.rand(1, 3, 64, 64)], crop=50, backbone=backbone)


def test_checkpoint_round_trip(tmp_path):
    net = TransformerNet(channels=(4, 8, 8), n_blocks=2).eval()
    path = save_transformer(net, tmp_path / "net.pt", {"style": "swirl", "steps": 3})
    loaded, info = load_transformer(path)
    image = torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(loaded(image), net(image))
    assert info == {"style": "swirl", "steps": 3}
    assert loaded.config == {"channels": [4, 8, 8], "n_blocks": 2}


def test_foreign_checkpoints_are_refused(tmp_path):
    with pytest.raises(NstlibError, match="not found"):
        load_transformer(tmp_path / "missing.pt")
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(NstlibError, match="not a TransformerNet checkpoint"):
        load_transformer(other)
    with pytest.raises(NstlibError, match="does not exist"):
        save_transformer(TransformerNet(), tmp_path / "no" / "net.pt")


def test_a_checkpoint_of_another_architecture_is_explained(tmp_path):
    path = save_transformer(TransformerNet(channels=(4, 8, 8), n_blocks=1), tmp_path / "net.pt")
    checkpoint = torch.load(path, weights_only=True)
    checkpoint["config"]["n_blocks"] = 2  # the weights say 1 block, the config 2
    torch.save(checkpoint, path)
    with pytest.raises(NstlibError, match="missing") as excinfo:
        load_transformer(path)
    assert "net.pt" in str(excinfo.value) and "'n_blocks': 2" in str(excinfo.value)
    assert [p.name for p in tmp_path.iterdir()] == ["net.pt"]  # no temporary file left behind


def test_the_shipped_swirl_network_loads():
    net, info = load_transformer(datasets_dir() / "pretrained" / "transformer_swirl.pt")
    assert net.config == {"channels": [16, 32, 64], "n_blocks": 5}
    assert info["style"] == "swirl"
