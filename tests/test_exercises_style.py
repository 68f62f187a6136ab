"""The lesson 05 checkers name each typical mistake and accept equivalent right answers.

That every checker passes the reference and fails the stub is tested in test_exercises.py.
"""

from __future__ import annotations

import pytest
import torch

from nstlib.exercises.style import check_gram_matrix, check_style_loss
from nstlib.style import gram_matrix, style_loss


def flat(features: torch.Tensor) -> torch.Tensor:
    b, c, h, w = features.shape
    return features.reshape(b, c, h * w)


def einsum_gram(features: torch.Tensor) -> torch.Tensor:
    return torch.einsum("bnij,bmij->bnm", features, features)


def in_place_gram(features: torch.Tensor) -> torch.Tensor:
    return gram_matrix(features.mul_(1.0).add_(1.0), normalise="none")


def test_gram_matrix_passes_on_einsum():
    result = check_gram_matrix(einsum_gram)
    assert result.passed, str(result)
    assert str(result).startswith("PASS gram_matrix")


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda f: gram_matrix(f, normalise="chw"), "C·H·W (d2l"),
        (lambda f: gram_matrix(f, normalise="hw"), "H·W (the TF"),
        (lambda f: gram_matrix(f, normalise="bchw"), "B·C·H·W (the PyTorch"),
        (lambda f: flat(f).transpose(1, 2) @ flat(f), "HW × HW"),
        (
            lambda f: (lambda a: a @ a.T)(f.transpose(0, 1).reshape(f.shape[1], -1)),
            "mixed the images of the batch",
        ),
        (lambda f: torch.diag_embed((flat(f) ** 2).sum(-1)), "only the diagonal"),
        (lambda f: flat(f) @ flat(f).transpose(1, 2) + 1, "flatten to F"),
        (lambda f: flat(f)[0] @ flat(f)[0].T, "shape"),
        (in_place_gram, "in place"),
    ],
)
def test_gram_matrix_names_the_mistake(wrong, hint):
    result = check_gram_matrix(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def by_hand_loss(features, target_grams):
    total = 0
    for name, target in target_grams.items():
        f = features[name]
        _, c, h, w = f.shape
        g = flat(f) @ flat(f).transpose(1, 2) / (c * h * w)
        total = total + ((g - target) ** 2).mean()
    return total


def test_style_loss_passes_on_a_loss_written_by_hand():
    result = check_style_loss(by_hand_loss)
    assert result.passed, str(result)
    assert str(result).startswith("PASS style_loss")


def per_layer(features, targets, term, reduce=sum):
    return reduce([term(gram_matrix(features[n]), t, features[n]) for n, t in targets.items()])


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (
            lambda f, t: per_layer(
                f, t, lambda g, a, x: ((gram_matrix(x, "none") - a) ** 2).mean()
            ),
            "your Gram is the raw sum",
        ),
        (lambda f, t: per_layer(f, t, lambda g, a, x: ((g - a) ** 2).sum()), "summed the squared"),
        (
            lambda f, t: per_layer(
                f, t, lambda g, a, x: ((g - a) ** 2).mean(), lambda v: torch.stack(v).mean()
            ),
            "averaged over the layers",
        ),
        (lambda f, t: style_loss(f, {"relu2_1": t["relu2_1"]}), "only one layer"),
        (lambda f, t: per_layer(f, t, lambda g, a, x: (g - a).abs().mean()), "forgot to square"),
        (
            lambda f, t: per_layer(f, t, lambda g, a, x: ((g - a) ** 2).mean().sqrt()),
            "square root",
        ),
        (lambda f, t: style_loss(f, t).detach(), "no gradient"),
        (lambda f, t: torch.stack([style_loss(f, t)] * 2), "scalar"),
        (lambda f, t: 2 * style_loss(f, t), "G = gram"),
    ],
)
def test_style_loss_names_the_mistake(wrong, hint):
    result = check_style_loss(wrong)
    assert not result.passed
    assert hint in str(result), str(result)
