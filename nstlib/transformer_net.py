"""Feed-forward style transfer: train a network once, then stylise any photo in one pass.

Gatys' method optimises the pixels of every new image: hundreds of VGG forward and backward
passes per picture. Johnson, Alahi & Fei-Fei (2016, "Perceptual Losses for Real-Time Style
Transfer and Super-Resolution") train an *image transformation network* instead, with the same
perceptual losses, on many photos and one style image. Afterwards one forward pass of that small
network stylises a photo, about a thousand times faster than the optimisation.

:class:`TransformerNet` follows Johnson's layout (9×9 conv, two stride-2 convs, residual blocks,
two upsampling convs, 9×9 conv), with two later improvements that became standard:

* instance norm instead of batch norm (Ulyanov, Vedaldi & Lempitsky 2016, "Instance
  Normalization: The Missing Ingredient for Fast Stylization"): each image is normalised on its
  own, which removes the photo's contrast before the style is painted on;
* nearest-neighbour upsampling then a conv, instead of transposed convs, which avoids
  checkerboard artefacts (Odena, Dumoulin & Olah 2016, "Deconvolution and Checkerboard Artifacts").

It is narrower than Johnson's (16/32/64 channels instead of 32/64/128) so that a few hundred
training steps fit in a CPU lesson. :func:`train_transformer` is the training loop: random crops
of the bundled photos, VGG features, nstlib's content, style and total-variation losses, Adam.
``python -m nstlib.transformer_net`` trains a checkpoint from the command line.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torchvision.transforms.v2 import functional as TF
from tqdm.auto import tqdm

from nstlib.backbones import Backbone, as_backbone
from nstlib.blocks import ResidualBlock, norm_layer
from nstlib.data import PHOTOS, photo, resolve_image
from nstlib.errors import NstlibError
from nstlib.images import check_image, pad_to_multiple, resize_longer_side
from nstlib.plumbing.atomic import atomic_write
from nstlib.plumbing.command import OneLineParser, run_command
from nstlib.plumbing.weights import load_strict, read_weights
from nstlib.runtime import resolve_device
from nstlib.style import (
    LOSS_TERMS,
    LossTerms,
    content_loss,
    gram_matrix,
    loss_history,
    style_loss,
    total_variation_loss,
)
from nstlib.validate import check_finite, check_finite_loss, check_int, check_output_path

# Johnson et al. used VGG-16, the architecture of nstlib's offline backbone: style from the last
# ReLU of each of the first four blocks, content from relu2_2 (which keeps the photo's details).
JOHNSON_STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
JOHNSON_CONTENT_LAYERS = ("relu2_2",)
CHECKPOINT_FORMAT = "nstlib.TransformerNet/1"


def _conv_norm_relu(channels_in: int, channels_out: int, kernel: int, stride: int = 1) -> list:
    """Reflection pad → conv → instance norm (with learned scale and shift) → ReLU."""
    return [
        nn.ReflectionPad2d(kernel // 2),
        nn.Conv2d(channels_in, channels_out, kernel, stride=stride),
        norm_layer("instance", channels_out, affine=True),
        nn.ReLU(inplace=True),
    ]


class TransformerNet(nn.Module):
    """Johnson et al.'s image transformation network: ``[B, 3, H, W]`` → ``[B, 3, H, W]``, both in ``[0, 1]``.

    Args:
        channels: widths ``(c1, c2, c3)`` at full, half and quarter resolution (Johnson: 32, 64, 128).
        n_blocks: residual blocks at quarter resolution (Johnson: 5).

    H and W must be divisible by 4; :func:`stylize_with_network` pads any other size.
    """

    def __init__(self, channels: Sequence[int] = (16, 32, 64), n_blocks: int = 5) -> None:
        super().__init__()
        if len(channels) != 3 or min(channels) < 1 or n_blocks < 0:
            raise NstlibError(
                f"TransformerNet needs three positive channel widths and n_blocks ≥ 0; got "
                f"channels={tuple(channels)}, n_blocks={n_blocks}."
            )
        c1, c2, c3 = channels
        self.config = {"channels": [c1, c2, c3], "n_blocks": n_blocks}
        self.model = nn.Sequential(
            *_conv_norm_relu(3, c1, 9),
            *_conv_norm_relu(c1, c2, 3, stride=2),
            *_conv_norm_relu(c2, c3, 3, stride=2),
            *[ResidualBlock(c3, norm="instance", affine=True) for _ in range(n_blocks)],
            nn.Upsample(scale_factor=2, mode="nearest"),
            *_conv_norm_relu(c3, c2, 3),
            nn.Upsample(scale_factor=2, mode="nearest"),
            *_conv_norm_relu(c2, c1, 3),
            nn.ReflectionPad2d(4),
            nn.Conv2d(c1, 3, 9),
            nn.Sigmoid(),  # the output is an image in [0, 1], like the input
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        check_image(image, "image", multiple_of=4)
        return self.model(image)


def stylize_with_network(
    network: Callable[[torch.Tensor], torch.Tensor], image: torch.Tensor, multiple: int = 4
) -> torch.Tensor:
    """Run a fully convolutional network on an image of any size, without gradients.

    The image ``[B, 3, H, W]`` is reflect-padded on the bottom and right to a multiple of
    ``multiple`` (the network halves and then doubles H and W twice) and the output is cropped
    back to ``H × W``.
    """
    check_image(image, "image")
    h, w = image.shape[-2:]
    with torch.inference_mode():
        return network(pad_to_multiple(image, multiple))[..., :h, :w]


def random_crops(
    images: Sequence[torch.Tensor],
    size: int,
    count: int,
    rng: torch.Generator,
    min_scale: float = 0.25,
) -> torch.Tensor:
    """``count`` random square crops ``[count, 3, size, size]`` of the images, randomly flipped.

    Args:
        images: photos ``[1, 3, H, W]`` in ``[0, 1]`` (sizes may differ).
        size: the crops' side in pixels, after resizing.
        count: how many crops.
        rng: the random generator (the same arguments, in this order, as
            :func:`nstlib.patch_task.random_crops`).
        min_scale: the smallest crop, as a fraction of the chosen image's shorter side.

    Each crop covers between ``min_scale`` and all of the shorter side of a randomly chosen
    image and is resized to ``size`` pixels, so the network sees objects at several scales.
    """
    crops = []
    for _ in range(count):
        photo = images[torch.randint(len(images), (1,), generator=rng).item()]
        h, w = photo.shape[-2:]
        fraction = min_scale + (1 - min_scale) * torch.rand(1, generator=rng).item()
        side = max(8, round(min(h, w) * fraction))
        top = torch.randint(h - side + 1, (1,), generator=rng).item()
        left = torch.randint(w - side + 1, (1,), generator=rng).item()
        crop = TF.resized_crop(photo, top, left, side, side, [size, size], antialias=True)
        if torch.rand(1, generator=rng).item() < 0.5:
            crop = crop.flip(-1)
        crops.append(crop)
    return torch.cat(crops).clamp(0, 1)  # antialiased resizing overshoots by ~1e-3


@dataclass
class FastStyleResult:
    """What :func:`train_transformer` returns.

    Attributes:
        net: the trained :class:`TransformerNet`, in eval mode, on the training device.
        history: ``{"total", "content", "style", "tv"}`` → one weighted loss value per step.
        seconds: wall time of the training loop.
        backbone: the VGG backbone's provenance.
        info: the settings used (style weight, crop size, ...), stored in checkpoints.
    """

    net: TransformerNet
    history: dict[str, list[float]]
    seconds: float
    backbone: str
    info: dict[str, object]


def train_transformer(
    style: torch.Tensor,
    photos: Sequence[torch.Tensor],
    *,
    steps: int = 300,
    crop: int = 96,
    batch_size: int = 4,
    lr: float = 2e-3,
    style_size: int = 256,
    style_weight: float = 3e6,
    content_weight: float = 1.0,
    tv_weight: float = 1.0,
    style_layers: Sequence[str] = JOHNSON_STYLE_LAYERS,
    content_layers: Sequence[str] = JOHNSON_CONTENT_LAYERS,
    net: TransformerNet | None = None,
    backbone: str | Backbone = "auto",
    device: str | torch.device | None = None,
    seed: int = 0,
    progress: bool = True,
) -> FastStyleResult:
    """Train a :class:`TransformerNet` to paint photos in the style of ``style`` (Johnson et al. 2016).

    Each step draws ``batch_size`` random ``crop``-pixel crops of ``photos``, stylises them with
    the network and minimises, through the network's weights,
    ``content_weight·content + style_weight·style + tv_weight·TV`` (losses of :mod:`nstlib.style`,
    with the style's Gram matrices computed once at ``style_size`` pixels).

    The default ``style_weight`` was chosen by looking at results with the offline VGG16-BN
    backbone: at 3e5 the network learns little more than a colour tint, at 3e7 the photo's content
    dissolves into blobs of the painting's colours; 3e6 keeps the content and paints it.

    The shipped ``datasets/pretrained/transformer_swirl.pt`` was made on a GPU (100 s on an H100)
    with ``python -m nstlib.transformer_net --steps 3000 --crop 160 --batch-size 8 -o ...``.

    Args:
        style: ``[1, 3, H, W]`` in ``[0, 1]``.
        photos: training photos ``[1, 3, H, W]`` in ``[0, 1]``, each at least ``crop`` pixels.
        net: a network to continue training; default a new ``TransformerNet()`` seeded by ``seed``.
        backbone: a name for :func:`nstlib.backbones.load_backbone` or a loaded backbone.
        device: default :func:`nstlib.runtime.device`.
        seed: seeds the crops and the new network's initial weights.
    """
    check_image(style, "style")
    if not photos:
        raise NstlibError("photos is empty; pass at least one training photo.")
    for index, image in enumerate(photos):
        check_image(image, f"photos[{index}]")
        if min(image.shape[-2:]) < crop:
            raise NstlibError(
                f"photos[{index}] is {tuple(image.shape[-2:])}, smaller than crop={crop}; "
                "use larger photos or a smaller crop."
            )
    steps, batch_size, crop = (
        check_int(steps, "steps", low=1),
        check_int(batch_size, "batch_size", low=1),
        check_int(crop, "crop", low=32),
    )
    if crop % 4:
        raise NstlibError(
            f"crop must be divisible by 4 (the network's two down-samplings); got {crop}."
        )
    check_finite(lr, "lr", low=0, low_open=True)
    for name, weight in (
        ("style_weight", style_weight),
        ("content_weight", content_weight),
        ("tv_weight", tv_weight),
    ):
        check_finite(weight, name, low=0)
    check_int(style_size, "style_size", low=32)
    run_device = resolve_device(device)
    backbone = as_backbone(backbone, run_device)
    # One pass through VGG gives the output's style and content features; the photos' content
    # targets need only the (shallow) content layers.
    extractor = backbone.extractor((*style_layers, *content_layers)).to(run_device)
    content_extractor = backbone.extractor(content_layers).to(run_device)
    if net is None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = TransformerNet()
    net = net.to(run_device).train()
    with torch.no_grad():
        style_features = extractor(resize_longer_side(style, style_size).to(run_device))
        target_grams = {name: gram_matrix(style_features[name]) for name in style_layers}
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    rng = torch.Generator().manual_seed(seed)
    history = loss_history()
    start = time.perf_counter()
    for step in tqdm(range(steps), desc="train", disable=not progress):
        batch = random_crops(photos, crop, batch_size, rng).to(run_device)
        with torch.no_grad():
            content_targets = content_extractor(batch)
        output = net(batch)
        features = extractor(output)
        terms = LossTerms(
            content=content_weight * content_loss(features, content_targets),
            style=style_weight * style_loss(features, target_grams),
            tv=tv_weight * total_variation_loss(output),
        )
        terms.record(history)  # before the update: a NaN step would ruin every weight
        check_finite_loss({name: history[name][-1] for name in LOSS_TERMS}, step)
        optimizer.zero_grad()
        terms.total.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    info = {
        "steps": steps,
        "crop": crop,
        "batch_size": batch_size,
        "lr": lr,
        "style_size": style_size,
        "style_weight": style_weight,
        "content_weight": content_weight,
        "tv_weight": tv_weight,
        "style_layers": list(style_layers),
        "content_layers": list(content_layers),
        "seed": seed,
        "seconds": round(seconds, 1),
        "backbone": backbone.name,
    }
    return FastStyleResult(net.eval(), history, seconds, backbone.name, info)


def save_transformer(net: TransformerNet, path: str | Path, info: dict | None = None) -> Path:
    """Write the network's weights, its architecture and ``info`` (plain values) to ``path``.

    The file holds only tensors, strings, numbers and lists, so :func:`load_transformer` reads it
    with ``torch.load(..., weights_only=True)``, which cannot run code hidden in a checkpoint. It
    is written atomically: an interrupted save leaves any previous file at ``path`` intact.
    """
    path = Path(path)
    if not path.parent.exists():
        raise NstlibError(f"Folder {path.parent} does not exist; create it first.")
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "config": net.config,
        "state_dict": state,
        "info": dict(info or {}),
    }
    # Through a file object: given a path, torch.save would name its inner archive after the temp file.
    with atomic_write(path) as tmp, tmp.open("wb") as file:
        torch.save(checkpoint, file)
    return path


def load_transformer(
    path: str | Path, device: str | torch.device = "cpu"
) -> tuple[TransformerNet, dict]:
    """Load a checkpoint written by :func:`save_transformer`: ``(network in eval mode, info)``."""
    what = "a TransformerNet checkpoint written by nstlib.transformer_net.save_transformer"
    checkpoint = read_weights(path, what)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise NstlibError(f"{path} is not {what} (format {CHECKPOINT_FORMAT!r}).")
    net = TransformerNet(**checkpoint["config"])
    load_strict(
        net, checkpoint["state_dict"], path, f"a TransformerNet with {checkpoint['config']}"
    )
    return net.to(device).eval().requires_grad_(False), checkpoint["info"]


def main(argv: list[str] | None = None) -> int:
    """``python -m nstlib.transformer_net --style swirl --steps 3000 -o net.pt``; the exit status."""
    parser = OneLineParser(
        prog="python -m nstlib.transformer_net",
        description="Train a feed-forward style network (Johnson).",
    )
    parser.add_argument("--style", default="swirl", help="bundled style name or image file")
    parser.add_argument("--exclude", default="chelsea", help="photo kept out of training")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--crop", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--style-weight", type=float, default=3e6)
    parser.add_argument("--seed", type=int, default=0)
    # The default style weight (3e6, equal layer weights) was chosen on CRAFT's VGG16-BN; the
    # original VGG-19 that backbone="auto" now picks has activations about 20x larger.
    parser.add_argument(
        "--backbone", default="vgg16_bn-craft", help="VGG backbone (vgg16_bn-craft)"
    )
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)

    def run() -> None:
        check_output_path(args.output, inputs=[args.style], suffixes=(".pt",))
        photos = [photo(name, 256) for name in PHOTOS if name != args.exclude]
        result = train_transformer(
            resolve_image(args.style),
            photos,
            steps=args.steps,
            crop=args.crop,
            batch_size=args.batch_size,
            style_weight=args.style_weight,
            seed=args.seed,
            backbone=args.backbone,
        )
        info = {**result.info, "style": args.style, "excluded_photo": args.exclude}
        save_transformer(result.net, args.output, info)
        print(f"trained {args.steps} steps in {result.seconds:.0f} s → {args.output}")

    return run_command(run)


if __name__ == "__main__":
    sys.exit(main())
