"""Tests for nstlib.gan_losses: values on hand-computed examples and the saturation argument."""

import math

import pytest
import torch

from nstlib.errors import NstlibError
from nstlib.gan_losses import (
    LOSS_KINDS,
    discriminator_loss,
    generator_loss,
    generator_loss_curve,
    real_score,
)

REAL = torch.tensor([0.0, 2.0])
FAKE = torch.tensor([0.0, -1.0])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


@pytest.mark.parametrize("kind", ["minimax", "non_saturating"])
def test_discriminator_log_loss_by_hand(kind):
    # -log sigmoid(a) on reals, -log(1 - sigmoid(a)) on fakes, each a batch mean.
    expected = (softplus(-0.0) + softplus(-2.0)) / 2 + (softplus(0.0) + softplus(-1.0)) / 2
    assert discriminator_loss(REAL, FAKE, kind).item() == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(0.913242, abs=1e-6)


def test_discriminator_lsgan_by_hand():
    # ((0-1)² + (2-1)²)/2 + (0² + (-1)²)/2 = 1 + 0.5
    assert discriminator_loss(REAL, FAKE, "lsgan").item() == pytest.approx(1.5)


def test_generator_losses_by_hand():
    # minimax: mean log(1 - sigmoid(a)); non-saturating: mean -log sigmoid(a); lsgan: mean (a-1)²
    minimax = -(softplus(0.0) + softplus(-1.0)) / 2
    non_saturating = (softplus(0.0) + softplus(1.0)) / 2
    assert generator_loss(FAKE, "minimax").item() == pytest.approx(minimax, abs=1e-6)
    assert generator_loss(FAKE, "non_saturating").item() == pytest.approx(non_saturating, abs=1e-6)
    assert generator_loss(FAKE, "lsgan").item() == pytest.approx((1 + 4) / 2)


def test_losses_accept_patch_maps():
    real, fake = torch.zeros(2, 1, 30, 30), torch.zeros(2, 1, 30, 30)
    assert discriminator_loss(real, fake, "non_saturating").item() == pytest.approx(2 * math.log(2))


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_extreme_logits_stay_finite(kind):
    logits = torch.tensor([-200.0, 200.0], requires_grad=True)
    loss = discriminator_loss(logits, logits, kind) + generator_loss(logits, kind)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


def grad_wrt_logit(logit: float, kind: str) -> float:
    a = torch.tensor([logit], requires_grad=True)
    generator_loss(a, kind).backward()
    return a.grad.item()


def test_saturating_gradient_vanishes_when_d_rejects_fakes():
    # D(G(z)) = sigmoid(-10) ≈ 4.5e-5: the minimax gradient is -D(G(z)), the other is -(1 - D(G(z))).
    assert abs(grad_wrt_logit(-10.0, "minimax")) < 1e-4
    assert grad_wrt_logit(-10.0, "non_saturating") == pytest.approx(-1.0, abs=1e-4)
    # When D is fooled the roles swap: non-saturating is then the one with a small gradient.
    assert abs(grad_wrt_logit(10.0, "non_saturating")) < 1e-4


def test_loss_curve_matches_formulas():
    p = torch.tensor([0.01, 0.5, 0.99])
    minimax = generator_loss_curve(p, "minimax")
    assert torch.allclose(minimax.loss, torch.log1p(-p.double()))
    assert torch.allclose(minimax.grad, -p.double())
    non_sat = generator_loss_curve(p, "non_saturating")
    assert torch.allclose(non_sat.loss, -torch.log(p.double()))
    assert torch.allclose(non_sat.grad, -(1 - p.double()))
    lsgan = generator_loss_curve(p, "lsgan")
    assert torch.allclose(lsgan.grad, 2 * (p.double() - 1))


def test_loss_curve_rejects_probabilities_outside_unit_interval():
    with pytest.raises(NstlibError, match=r"strictly inside \(0, 1\)"):
        generator_loss_curve(torch.tensor([0.0, 0.5]), "minimax")


def test_real_score():
    logits = torch.tensor([0.0, 3.0])
    assert torch.allclose(real_score(logits, "minimax"), torch.sigmoid(logits))
    assert torch.equal(real_score(logits, "lsgan"), logits)


def test_unknown_kind_lists_valid_ones():
    with pytest.raises(NstlibError, match="minimax, non_saturating, lsgan"):
        generator_loss(FAKE, "wgan")
    with pytest.raises(NstlibError, match="kind='bce'"):
        discriminator_loss(REAL, FAKE, "bce")
