"""The lesson 01 checkers name each typical mistake and accept equivalent right answers.

That every checker passes the reference and fails the stub is tested in test_exercises.py.
"""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from nstlib.exercises.gan import check_discriminator_loss, check_generator_loss


def solution_d_loss(real, fake, kind):
    if kind == "lsgan":
        return ((real - 1) ** 2).mean() + (fake**2).mean()
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def solution_g_loss(fake, kind):
    if kind == "minimax":
        return -F.softplus(fake).mean()
    if kind == "non_saturating":
        return F.softplus(-fake).mean()
    return ((fake - 1) ** 2).mean()


def bce_d_loss(real, fake, kind):
    if kind == "lsgan":
        return solution_d_loss(real, fake, kind)
    ones, zeros = torch.ones_like(real), torch.zeros_like(fake)
    return F.binary_cross_entropy_with_logits(real, ones) + F.binary_cross_entropy_with_logits(
        fake, zeros
    )


@pytest.mark.parametrize("d_loss", [solution_d_loss, bce_d_loss])
def test_discriminator_loss_passes_on_correct_answers(d_loss):
    result = check_discriminator_loss(d_loss)
    assert result.passed, str(result)
    assert str(result).startswith("PASS discriminator_loss")


def test_generator_loss_passes_on_softplus_written_by_hand():
    result = check_generator_loss(solution_g_loss)
    assert result.passed, str(result)
    assert str(result).startswith("PASS generator_loss")


def unless_lsgan(wrong):
    """A D loss that is wrong for the log-losses only, right for LSGAN."""
    return lambda r, f, k: solution_d_loss(r, f, k) if k == "lsgan" else wrong(r, f)


def only_lsgan(wrong):
    return lambda r, f, k: wrong(r, f) if k == "lsgan" else solution_d_loss(r, f, k)


def naive_d_loss(real, fake, kind):
    if kind == "lsgan":
        return solution_d_loss(real, fake, kind)
    return -torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (unless_lsgan(lambda r, f: F.softplus(-f).mean() + F.softplus(r).mean()), "swapped labels"),
        (
            unless_lsgan(lambda r, f: -F.softplus(-r).mean() - F.softplus(f).mean()),
            "sign is flipped",
        ),
        (unless_lsgan(lambda r, f: -torch.log(r).mean() - torch.log(1 - f).mean()), "logits"),
        (unless_lsgan(lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum()), ".sum()"),
        (unless_lsgan(lambda r, f: F.softplus(-r).mean()), "fake term is missing"),
        (
            unless_lsgan(lambda r, f: (F.softplus(-r).mean() + F.softplus(f).mean()) / 2),
            "two means",
        ),
        (unless_lsgan(lambda r, f: torch.cat([F.softplus(-r), F.softplus(f)])), "shape"),
        (naive_d_loss, "softplus"),
        (
            only_lsgan(
                lambda r, f: (torch.sigmoid(r) - 1).pow(2).mean() + torch.sigmoid(f).pow(2).mean()
            ),
            "no sigmoid",
        ),
        (only_lsgan(lambda r, f: r.pow(2).mean() + (f - 1).pow(2).mean()), "swapped targets"),
        (only_lsgan(lambda r, f: (r - 1).pow(2).sum() + f.pow(2).sum()), ".sum()"),
        (lambda r, f, k: "a number", "torch.Tensor"),
    ],
)
def test_discriminator_loss_names_the_mistake(wrong, hint):
    result = check_discriminator_loss(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def g_swap(kind_a, kind_b):
    """A generator loss that answers kind_b's formula when asked for kind_a."""
    return lambda f, k: solution_g_loss(f, kind_b if k == kind_a else k)


def g_wrong(kind, wrong):
    return lambda f, k: wrong(f) if k == kind else solution_g_loss(f, k)


def naive_g_loss(fake, kind):
    if kind == "minimax":
        return torch.log(1 - torch.sigmoid(fake)).mean()
    if kind == "non_saturating":
        return -torch.log(torch.sigmoid(fake)).mean()
    return solution_g_loss(fake, kind)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (g_swap("minimax", "non_saturating"), "the 'non_saturating' loss"),
        (g_swap("non_saturating", "minimax"), "the 'minimax' loss"),
        (g_wrong("minimax", lambda f: F.softplus(f).mean()), "sign is flipped"),
        (g_wrong("non_saturating", lambda f: -F.softplus(-f).mean()), "sign is flipped"),
        (g_wrong("lsgan", lambda f: (torch.sigmoid(f) - 1).pow(2).mean()), "no sigmoid"),
        (g_wrong("lsgan", lambda f: f.pow(2).mean()), "output 1"),
        (g_wrong("non_saturating", lambda f: F.softplus(-f).sum()), ".sum()"),
        (g_wrong("lsgan", lambda f: (f - 1).pow(2)), "shape"),
        (g_wrong("minimax", lambda f: torch.log(1 - f).mean()), "logits"),
        (naive_g_loss, "softplus"),
        (lambda f, k: solution_g_loss(f, k).item(), ".item() turns it into a plain number"),
    ],
)
def test_generator_loss_names_the_mistake(wrong, hint):
    result = check_generator_loss(wrong)
    assert not result.passed
    assert hint in str(result), str(result)
