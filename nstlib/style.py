"""Gram matrices and the content, style and total-variation losses of Gatys et al. (2015).

*Style* is what survives when you forget *where* things are: the Gram matrix of a layer's features
``T[n, i, j]`` (channel ``n`` at position ``(i, j)``) is ``C[n, n'] = Σ_ij T[n, i, j] · T[n', i, j]``,
the correlations between channels summed over all positions. It is ``C × C`` whatever the image
size, so a style image need not have the content image's size.

Every implementation scales it differently, which is why their style weights differ by orders of
magnitude. For one image (B = 1), C channels, M = H·W positions, L style layers, raw Grams G
(generated) and A (style), and content features F and P:

==========  ===============  =====================================  ==========================
convention  Gram divided by  style term                             content term
==========  ===============  =====================================  ==========================
paper       1 (raw)          ``Σ_l (1/L) Σ(G−A)² / (4 C² M²)``      ``½ Σ(F−P)²``
d2l         C·M              ``w · Σ_l mean((G−A)²/(CM)²)``         ``mean((F−P)²)``
pytorch     B·C·M            same as d2l when B = 1                 ``mean((F−P)²)``
tf          M                ``w/L · Σ_l mean((G−A)²/M²)``          ``w/L_c · Σ mean((F−P)²)``
nstlib      C·M              as d2l, with optional per-layer weights as d2l
balanced    C·M              ``w · Σ_l Σ(G−A)² / Σ A²``             as d2l
==========  ===============  =====================================  ==========================

(d2l: d2l.ai §14.12; pytorch: the PyTorch "Neural Transfer" tutorial; tf: the TensorFlow "Neural
style transfer" tutorial.) The paper keeps the Gram raw and puts its ``1/(4N²M²)`` factor in the
layer loss. :func:`convert_weight` translates a weight between conventions so that the gradients are
identical; the inputs' preprocessing (Caffe BGR vs. torchvision) differs too and is not covered.

*balanced* is what :func:`nstlib.stylize.stylize` uses: each layer's term is its **relative** Gram
error, the squared error divided by the style Gram's own energy (:func:`balanced_layer_weights`).
With every other convention one layer dominates: the term grows as the 4th power of the
activations, and on the original VGG-19, normalised as in the paper and with the paper's own
weights, relu1_1 holds 99 % of the starting style loss for the course's painterly styles (relu2_1
to relu5_1 share the other 1 %; lesson 05, section 4). A balanced weight depends on the style
image, so converting it needs that image's Gram energy (``style_gram_energy``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from nstlib.errors import NstlibError

GRAM_NORMALISATIONS = ("none", "hw", "chw", "bchw")
CONVENTIONS = ("paper", "d2l", "pytorch", "tf", "nstlib", "balanced")


def gram_matrix(features: torch.Tensor, normalise: str = "chw") -> torch.Tensor:
    """Channel correlations of ``[B, C, H, W]`` features → ``[B, C, C]`` (one Gram per image).

    ``normalise`` names what the raw sum ``Σ_ij T[n,i,j]·T[n',i,j]`` is divided by:
    ``"none"`` (the article and the paper), ``"hw"`` (TF tutorial), ``"chw"`` (d2l, the default
    here) or ``"bchw"`` (PyTorch tutorial, which also divides by the batch size).
    """
    if not isinstance(features, torch.Tensor) or features.dim() != 4:
        shape = list(features.shape) if isinstance(features, torch.Tensor) else type(features)
        raise NstlibError(f"gram_matrix expects features of shape [B, C, H, W]; got {shape}.")
    if normalise not in GRAM_NORMALISATIONS:
        raise NstlibError(
            f"normalise={normalise!r} is not one of {', '.join(GRAM_NORMALISATIONS)}."
        )
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    gram = flat @ flat.transpose(1, 2)
    divisor = {"none": 1, "hw": h * w, "chw": c * h * w, "bchw": b * c * h * w}[normalise]
    return gram / divisor


def content_loss(
    features: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor]
) -> torch.Tensor:
    """``Σ_layers mean((F − P)²)`` over the layers in ``targets`` (features of the content image).

    Zero when ``features`` are those of the content image itself.
    """
    _check_keys(features, targets, "content")
    per_layer = [((features[name] - target) ** 2).mean() for name, target in targets.items()]
    return torch.stack(per_layer).sum()


def style_loss(
    features: Mapping[str, torch.Tensor],
    target_grams: Mapping[str, torch.Tensor],
    layer_weights: Mapping[str, float] | None = None,
) -> torch.Tensor:
    """``Σ_l w_l · mean((G_l − A_l)²)``, with Grams from :func:`gram_matrix` (``normalise="chw"``).

    Args:
        features: ``{layer: [B, C, H, W]}`` of the image being optimised.
        target_grams: ``{layer: [1 or B, C, C]}`` Grams of the style image (any H × W).
        layer_weights: ``{layer: w_l}``; default 1 for every layer (d2l, PyTorch tutorial).
    """
    _check_keys(features, target_grams, "style")
    if layer_weights is None:
        layer_weights = dict.fromkeys(target_grams, 1.0)
    missing = set(target_grams) - set(layer_weights)
    if missing:
        raise NstlibError(f"layer_weights has no weight for the style layers {sorted(missing)}.")
    per_layer = [
        layer_weights[name] * ((gram_matrix(features[name]) - target) ** 2).mean()
        for name, target in target_grams.items()
    ]
    return torch.stack(per_layer).sum()


def balanced_layer_weights(
    target_grams: Mapping[str, torch.Tensor], layer_weights: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Per-layer weights that turn each layer's style term into its *relative* Gram error.

    Returns ``{layer: w_l / mean(A_l²)}`` (``w_l`` from ``layer_weights``, default 1), so that in
    :func:`style_loss` layer ``l`` contributes ``w_l · mean((G_l − A_l)²) / mean(A_l²)``: 1 when the
    image's Gram is 0, 0 when it equals the style's, whatever the layer's size or the network's
    activation scale. Without it the term grows as the 4th power of the activations, and with the
    paper's own weighting on the original VGG-19 relu1_1 still holds 99 % of the starting style loss
    for the course's painterly styles (lesson 05, section 4).

    Args:
        target_grams: ``{layer: [1, C, C]}`` style Grams from :func:`gram_matrix` (``"chw"``).
        layer_weights: ``{layer: w_l}``, the relative importance of each layer; default 1 each.
    """
    if layer_weights is None:
        layer_weights = dict.fromkeys(target_grams, 1.0)
    missing = set(target_grams) - set(layer_weights)
    if missing:
        raise NstlibError(f"layer_weights has no weight for the style layers {sorted(missing)}.")
    weights = {}
    for name, gram in target_grams.items():
        energy = gram.detach().double().pow(2).mean().item()  # double: exact conversions
        if energy == 0:
            raise NstlibError(
                f"The style image's Gram at {name} is all zeros (no channel fires on it), so the "
                "relative error is undefined; use another style image or drop that layer."
            )
        weights[name] = layer_weights[name] / energy
    return weights


def total_variation_loss(image: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels of ``[B, C, H, W]``, as in d2l.

    ``½ (mean|x[i+1, j] − x[i, j]| + mean|x[i, j+1] − x[i, j]|)``: 0 for a constant image; penalises
    high-frequency noise, which the style loss alone tends to create.
    """
    down = (image[:, :, 1:, :] - image[:, :, :-1, :]).abs().mean()
    right = (image[:, :, :, 1:] - image[:, :, :, :-1]).abs().mean()
    return 0.5 * (down + right)


LOSS_TERMS = ("total", "content", "style", "tv")


@dataclass(frozen=True)
class LossTerms:
    """The weighted terms of a perceptual loss, each a scalar tensor (with its graph).

    Gatys' optimisation, AdaIN's and the training of a feed-forward network all minimise
    ``content + style + tv``; :attr:`total` is that sum, the number the optimiser sees.
    """

    content: torch.Tensor
    style: torch.Tensor
    tv: torch.Tensor

    @property
    def total(self) -> torch.Tensor:
        """``content + style + tv``, the loss to call ``backward()`` on."""
        return self.content + self.style + self.tv

    def as_floats(self) -> dict[str, float]:
        """``{"total", "content", "style", "tv"}`` as Python floats, for printing and plotting."""
        return {name: getattr(self, name).item() for name in LOSS_TERMS}

    def record(self, history: dict[str, list[float]]) -> None:
        """Append each term's value to ``history[name]`` (see :func:`loss_history`)."""
        for name, value in self.as_floats().items():
            history[name].append(value)


def loss_history() -> dict[str, list[float]]:
    """An empty ``{"total", "content", "style", "tv"}`` → list history for :meth:`LossTerms.record`."""
    return {name: [] for name in LOSS_TERMS}


def loss_coefficient(
    convention: str,
    term: str,
    *,
    channels: int,
    height: int,
    width: int,
    num_layers: int = 1,
    style_gram_energy: float | None = None,
) -> float:
    """What a convention multiplies a layer's raw sum of squares by, per unit of its weight.

    For ``term="style"`` the raw sum is ``Σ(G − A)²`` over raw Grams; for ``term="content"`` it is
    ``Σ(F − P)²``. ``num_layers`` is L for the paper and TF (which average over layers); d2l,
    PyTorch and nstlib sum over layers and ignore it. One image (B = 1) is assumed.
    ``style_gram_energy`` is ``Σ A²`` over the style's *raw* Gram at this layer
    (``gram_matrix(features, "none").pow(2).sum()``); only ``"balanced"`` style terms need it.
    """
    _check_convention(convention)
    c, m = channels, height * width
    if term == "style" and convention == "balanced":
        if style_gram_energy is None or style_gram_energy <= 0:
            raise NstlibError(
                "convention='balanced' divides by the style Gram's energy: pass "
                "style_gram_energy=gram_matrix(style_features, 'none').pow(2).sum().item() (> 0)."
            )
        return 1 / style_gram_energy
    if term == "style":
        return {
            "paper": 1 / (4 * c**2 * m**2 * num_layers),
            "tf": 1 / (c**2 * m**2 * num_layers),
        }.get(convention, 1 / (c**4 * m**2))
    if term == "content":
        return {"paper": 0.5, "tf": 1 / (c * m * num_layers)}.get(convention, 1 / (c * m))
    raise NstlibError(f"term must be 'style' or 'content', got {term!r}.")


def convert_weight(
    weight: float,
    *,
    source: str,
    target: str,
    term: str = "style",
    channels: int,
    height: int,
    width: int,
    num_layers: int = 1,
    style_gram_energy: float | None = None,
) -> float:
    """Translate a loss weight between conventions for one layer shape, keeping gradients equal.

    >>> # d2l's style weight 1e4 on relu1_1 of a 256² image, in the PyTorch tutorial's units:
    >>> convert_weight(1e4, source="d2l", target="pytorch", channels=64, height=256, width=256)
    10000.0

    A paper weight depends on the layer: the same style weight means very different things on
    relu1_1 (64 channels, 65536 positions) and relu5_1 (512 channels, 256 positions). A
    ``"balanced"`` weight (what :func:`nstlib.stylize.stylize` uses) also depends on the style
    image: give its raw Gram energy at this layer as ``style_gram_energy``.
    """
    shape = dict(
        channels=channels,
        height=height,
        width=width,
        num_layers=num_layers,
        style_gram_energy=style_gram_energy,
    )
    return (
        weight * loss_coefficient(source, term, **shape) / loss_coefficient(target, term, **shape)
    )


def _check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise NstlibError(f"convention={convention!r} is not one of {', '.join(CONVENTIONS)}.")


def _check_keys(
    features: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor], what: str
) -> None:
    if not targets:
        raise NstlibError(f"The {what} targets are empty; give at least one layer.")
    missing = set(targets) - set(features)
    if missing:
        raise NstlibError(
            f"The {what} targets use layers {sorted(missing)} that the features do not contain "
            f"(features have {sorted(features)}); extract those layers too."
        )
