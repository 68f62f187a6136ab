"""The lesson 04 checkers name each typical mistake and accept equivalent right answers.

That every checker passes the reference and fails the stub is tested in test_exercises.py.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nstlib.cyclegan import cycle_loss, identity_loss
from nstlib.exercises.cyclegan import check_cycle_losses, check_identity_losses


def reference_cycle(G_AB, G_BA, a, b, lam=10.0):
    return cycle_loss(a, G_BA(G_AB(a)), lam), cycle_loss(b, G_AB(G_BA(b)), lam)


def reference_identity(G_AB, G_BA, a, b, lam=10.0, lambda_idt=0.5):
    return identity_loss(b, G_AB(b), lam * lambda_idt), identity_loss(a, G_BA(a), lam * lambda_idt)


def test_cycle_losses_pass_on_a_hand_written_l1():
    def by_hand(G_AB, G_BA, a, b, lam=10.0):
        return lam * (G_BA(G_AB(a)) - a).abs().mean(), lam * (G_AB(G_BA(b)) - b).abs().mean()

    result = check_cycle_losses(by_hand)
    assert result.passed, str(result)
    assert str(result).startswith("PASS cycle_losses")


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (
            lambda G, Fn, a, b, lam: (lam * F.mse_loss(Fn(G(a)), a), lam * F.mse_loss(G(Fn(b)), b)),
            "not MSE",
        ),
        (lambda G, Fn, a, b, lam: reference_cycle(G, Fn, a, b, 1.0), "multiply each L1"),
        (
            lambda G, Fn, a, b, lam: (
                lam * (Fn(G(a)) - a).abs().sum(),
                lam * (G(Fn(b)) - b).abs().sum(),
            ),
            "not the sum",
        ),
        (lambda G, Fn, a, b, lam: reference_cycle(G, Fn, a, b, lam)[::-1], "swapped"),
        (
            lambda G, Fn, a, b, lam: (cycle_loss(a, G(Fn(a)), lam), cycle_loss(b, Fn(G(b)), lam)),
            "wrong order",
        ),
        (
            lambda G, Fn, a, b, lam: (cycle_loss(b, Fn(G(a)), lam), cycle_loss(a, G(Fn(b)), lam)),
            "its own input",
        ),
        (
            lambda G, Fn, a, b, lam: (cycle_loss(a, G(a), lam), cycle_loss(b, Fn(b), lam)),
            "and back",
        ),
        (lambda G, Fn, a, b, lam: cycle_loss(a, Fn(G(a)), lam), "pair"),
        (lambda G, Fn, a, b, lam: ((Fn(G(a)) - a).abs(), (G(Fn(b)) - b).abs()), "scalar"),
        (lambda G, Fn, a, b, lam: (torch.tensor(1.0), torch.tensor(2.0)), "expected"),
        (
            lambda G, Fn, a, b, lam: tuple(x.item() for x in reference_cycle(G, Fn, a, b, lam)),
            ".item() turns it into a plain number",
        ),
    ],
)
def test_cycle_losses_name_the_mistake(wrong, hint):
    result = check_cycle_losses(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def test_identity_pairing_mistake_gets_its_hint():
    def wrong_pairing(G_AB, G_BA, a, b, lam=10.0, lambda_idt=0.5):
        weight = lam * lambda_idt
        return identity_loss(a, G_AB(a), weight), identity_loss(b, G_BA(b), weight)

    result = check_identity_losses(wrong_pairing)
    assert not result.passed
    assert "G_AB(real_B)" in str(result), str(result)
    assert "Hint: pairing" in str(result)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda G, Fn, a, b, lam, idt: reference_identity(G, Fn, a, b, lam, 1.0), "not lam alone"),
        (lambda G, Fn, a, b, lam, idt: reference_identity(G, Fn, a, b, 1.0, idt), "forgot lam"),
        (
            lambda G, Fn, a, b, lam, idt: (
                lam * idt * F.mse_loss(G(b), b),
                lam * idt * F.mse_loss(Fn(a), a),
            ),
            "not MSE",
        ),
        (lambda G, Fn, a, b, lam, idt: reference_identity(G, Fn, a, b, lam, idt)[::-1], "swapped"),
        (lambda G, Fn, a, b, lam, idt: (torch.tensor(0.0), torch.tensor(0.0)), "expected"),
    ],
)
def test_identity_losses_name_the_mistake(wrong, hint):
    result = check_identity_losses(wrong)
    assert not result.passed
    assert hint in str(result), str(result)
