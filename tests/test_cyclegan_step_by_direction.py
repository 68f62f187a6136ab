"""The CycleGAN step keeps its two directions apart, and freezes each player at the right time.

The reference uses λ_A = λ_B = 10, and with equal weights a step that uses λ_B where λ_A belongs
computes exactly the same numbers. These tests give the two directions *unequal* weights, on
generators simple enough to work out every loss by hand, so a swapped weight shows.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nstlib.cyclegan_train import LOSS_NAMES, CycleGANConfig, CycleGANTrainer


class Scale(nn.Module):
    """A "generator" that multiplies its input by a learnable number."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = nn.Parameter(torch.tensor(factor))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.factor * x


def tiny_D() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(4, 1, 3, 1, 1))


def step_losses(lambda_A: float, lambda_B: float) -> dict[str, float]:
    torch.manual_seed(0)
    config = CycleGANConfig(lambda_A=lambda_A, lambda_B=lambda_B, lambda_identity=0.5)
    trainer = CycleGANTrainer(Scale(0.5), Scale(3.0), tiny_D(), tiny_D(), config)
    a, b = torch.full((1, 3, 8, 8), 0.2), torch.full((1, 3, 8, 8), 0.8)
    return trainer.step(a, b)


@pytest.mark.parametrize(("lambda_A", "lambda_B"), [(10.0, 2.0), (2.0, 10.0)])
def test_each_direction_uses_its_own_weight(lambda_A, lambda_B):
    losses = step_losses(lambda_A, lambda_B)
    # G_AB = ×0.5 and G_BA = ×3 on a = 0.2 and b = 0.8:
    assert losses["cycle_A"] == pytest.approx(
        lambda_A * abs(3 * 0.5 * 0.2 - 0.2)
    )  # λ_A·|F(G(a)) − a|
    assert losses["cycle_B"] == pytest.approx(
        lambda_B * abs(0.5 * 3 * 0.8 - 0.8)
    )  # λ_B·|G(F(b)) − b|
    # The reference weights G_AB's identity loss (fed b) with λ_B and G_BA's (fed a) with λ_A.
    assert losses["idt_A"] == pytest.approx(lambda_B * 0.5 * abs(0.5 * 0.8 - 0.8))
    assert losses["idt_B"] == pytest.approx(lambda_A * 0.5 * abs(3 * 0.2 - 0.2))


def test_every_loss_term_is_recorded_and_non_zero():
    losses = step_losses(10.0, 2.0)
    assert set(losses) == set(LOSS_NAMES)
    assert all(value > 0 for value in losses.values()), losses


def test_discriminators_are_frozen_during_the_generator_update_only():
    torch.manual_seed(0)
    trainer = CycleGANTrainer(Scale(0.5), Scale(3.0), tiny_D(), tiny_D())
    frozen: dict[str, list[bool]] = {"D_A": [], "D_B": []}
    for name in frozen:
        getattr(trainer, name).register_forward_pre_hook(
            lambda module, inputs, name=name: frozen[name].append(
                not any(p.requires_grad for p in module.parameters())
            )
        )
    trainer.step(torch.full((1, 3, 8, 8), 0.2), torch.full((1, 3, 8, 8), 0.8))
    # One call while G learns (frozen), then the real and the pooled fake batch while D learns.
    assert frozen == {"D_A": [True, False, False], "D_B": [True, False, False]}
