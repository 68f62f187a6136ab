"""Checkers for lesson 05 (Gram-matrix style transfer).

* :func:`check_gram_matrix`: the article's Gram matrix, the raw sum
  ``C[b, n, n'] = Σ_ij T[b, n, i, j] · T[b, n', i, j]``, one per image of the batch.
* :func:`check_style_loss`: Gatys' style loss in nstlib's convention,
  ``Σ_l mean((G_l − A_l)²)`` with ``G_l`` the generated image's Gram divided by ``C·H·W``.

Both compare with :mod:`nstlib.style` on small fixed inputs and, when the answer is wrong, with the
usual mistakes (a normalised Gram, a spatial ``HW × HW`` Gram, the batch mixed into the channels,
a sum instead of a mean...) to name the likely one in the hint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

from nstlib.exercises import CheckResult, Mismatch, expect_close, name_mistake, run_check
from nstlib.style import gram_matrix, style_loss

TOLERANCE = 1e-5


def check_gram_matrix(gram: Callable[[torch.Tensor], torch.Tensor]) -> CheckResult:
    """Check ``gram(features)``: ``[B, C, H, W]`` → ``[B, C, C]``, the raw (unnormalised) sum."""

    def body() -> str:
        rng = torch.Generator().manual_seed(5)
        shapes = [(2, 3, 4, 5), (1, 4, 3, 3), (3, 5, 6, 2)]
        for shape in shapes:
            b, c, h, w = shape
            features = torch.rand(shape, generator=rng)  # after a ReLU: non-negative
            before = features.clone()
            actual = gram(features)
            if not torch.equal(features, before):
                raise Mismatch(
                    "your function changed the features in place.",
                    "reshape into a new tensor (features.reshape(B, C, H * W)); don't modify it.",
                )
            expected = gram_matrix(features, normalise="none")
            flat = features.reshape(b, c, h * w)
            across_batch = features.transpose(0, 1).reshape(c, b * h * w)
            mistakes = {
                "you divided by C·H·W (d2l's normalisation). The article's Gram is the raw sum "
                "Σ_ij T[n,i,j]·T[n',i,j]: don't divide.": expected / (c * h * w),
                "you divided by H·W (the TF tutorial's normalisation). The article's Gram is the "
                "raw sum: don't divide.": expected / (h * w),
                "you divided by B·C·H·W (the PyTorch tutorial's normalisation). The article's "
                "Gram is the raw sum: don't divide.": expected / (b * c * h * w),
                "you multiplied in the wrong order: flat.transpose(1, 2) @ flat correlates "
                "positions (HW × HW). Correlate channels: flat @ flat.transpose(1, 2).": (
                    flat.transpose(1, 2) @ flat
                ),
                "you mixed the images of the batch: every image gets its own C × C Gram, so "
                "reshape to [B, C, H·W] and keep B.": across_batch @ across_batch.T,
                "you kept only the diagonal (each channel with itself): C[n, n'] correlates "
                "every pair of channels, so use a matrix product, not an element-wise square.": torch.diag_embed(
                    (flat**2).sum(-1)
                ),
            }
            what = f"the Gram of features of shape {list(shape)}"
            name_mistake(actual, expected, mistakes, what)
            expect_close(
                actual,
                expected,
                what,
                "flatten to F = features.reshape(B, C, H * W) and return F @ F.transpose(1, 2).",
                atol=TOLERANCE,
            )
        return f"matches nstlib's gram_matrix(..., normalise='none') on {len(shapes)} feature maps."

    return run_check("gram_matrix", body)


def _inputs(
    rng: torch.Generator,
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Features of two layers and the style image's Grams (of a different spatial size)."""
    layers = {"relu1_1": (4, 8, 10), "relu2_1": (6, 4, 5)}
    features = {
        name: torch.rand((1, c, h, w), generator=rng) for name, (c, h, w) in layers.items()
    }
    style_features = {
        name: torch.rand((1, c, h + 3, w + 1), generator=rng)
        for name, (c, h, w) in layers.items()
    }
    return features, {name: gram_matrix(f) for name, f in style_features.items()}


def check_style_loss(
    loss_fn: Callable[[Mapping[str, torch.Tensor], Mapping[str, torch.Tensor]], torch.Tensor],
) -> CheckResult:
    """Check ``loss_fn(features, target_grams)`` against :func:`nstlib.style.style_loss`.

    ``features`` is ``{layer: [1, C, H, W]}`` of the image being optimised; ``target_grams`` is
    ``{layer: [1, C, C]}``, the style image's Grams divided by ``C·H·W`` (nstlib's
    ``gram_matrix`` default). The loss is ``Σ_l mean((G_l − A_l)²)`` with ``G_l`` normalised the
    same way, and it must carry a gradient back to the features.
    """

    def body() -> str:
        rng = torch.Generator().manual_seed(6)
        features, targets = _inputs(rng)
        features = {name: f.requires_grad_(True) for name, f in features.items()}
        actual = loss_fn(features, targets)
        if not isinstance(actual, torch.Tensor) or actual.numel() != 1:
            shape = list(actual.shape) if isinstance(actual, torch.Tensor) else type(actual)
            raise Mismatch(
                f"the loss should be a scalar tensor, got {shape}.",
                "sum the per-layer means into one number: torch.stack(per_layer).sum().",
            )
        if not actual.requires_grad:
            raise Mismatch(
                "the loss carries no gradient back to the features.",
                "compute it with torch operations on the features (no .item(), .detach() "
                "or torch.no_grad()): the optimiser needs its gradient.",
            )
        with torch.no_grad():
            expected = style_loss(features, targets)
            grams = {n: gram_matrix(f) for n, f in features.items()}
            raw = {n: gram_matrix(f, normalise="none") for n, f in features.items()}
            per_layer = {n: ((grams[n] - targets[n]) ** 2).mean() for n in targets}
            mistakes = {
                "your Gram is the raw sum but the targets are divided by C·H·W: normalise the "
                "generated image's Gram the same way (gram_matrix(f) / (C·H·W)).": torch.stack(
                    [((raw[n] - targets[n]) ** 2).mean() for n in targets]
                ).sum(),
                "you summed the squared differences: use their mean over the C × C entries, "
                "((G − A) ** 2).mean().": torch.stack(
                    [((grams[n] - targets[n]) ** 2).sum() for n in targets]
                ).sum(),
                "you averaged over the layers: add the layers' losses up (sum), as nstlib and "
                "d2l do.": torch.stack(list(per_layer.values())).mean(),
                "you used only one layer: add up the losses of every layer in target_grams.": (
                    per_layer["relu2_1"]
                ),
                "you forgot to square: the loss is the mean of (G − A) ** 2, not of |G − A|.": (
                    torch.stack([(grams[n] - targets[n]).abs().mean() for n in targets]).sum()
                ),
                "the loss is not a norm: use the mean of the squares, without a square root.": (
                    torch.stack([((grams[n] - targets[n]) ** 2).mean().sqrt() for n in targets])
                ).sum(),
            }
        what = "the style loss of two layers"
        name_mistake(actual, expected, mistakes, what)
        expect_close(
            actual.reshape(()),
            expected,
            what,
            "for each layer: G = gram(features[layer]) / (C·H·W); add up ((G − A) ** 2).mean().",
            atol=TOLERANCE,
        )
        return f"matches nstlib's style_loss ({expected.item():.4f} on two random layers)."

    return run_check("style_loss", body)
