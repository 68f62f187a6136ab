"""Checkers for lesson 04 (cycle consistency).

* :func:`check_cycle_losses`: both directions of the cycle-consistency loss,
  ``λ·mean|G_BA(G_AB(a)) − a|`` and ``λ·mean|G_AB(G_BA(b)) − b|``.
* :func:`check_identity_losses`: the identity loss of each generator, fed an image of its
  **target** domain: ``λ·λ_idt·mean|G_AB(b) − b|`` and ``λ·λ_idt·mean|G_BA(a) − a|``.

Both call the student's function with two small fixed generators and fixed images, compare with
:func:`nstlib.cyclegan.cycle_loss` and :func:`nstlib.cyclegan.identity_loss`, and, when the answer
is wrong, compare it with the usual mistakes (MSE instead of L1, a missing weight, the generators
in the wrong order, the identity pairing ``G_AB(a)`` instead of ``G_AB(b)``...) to name the likely
one in the hint. Each loss must also send the reference's gradient into both generators: a
``G_AB(a).detach()`` inside the cycle would print the right number and leave ``G_AB`` untrained.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from nstlib.cyclegan import ResnetGenerator, cycle_loss, identity_loss
from nstlib.exercises import ITEM_HINT, CheckResult, Mismatch, name_mistake, run_check
from nstlib.exercises.gradients import expect_gradient

Generator = nn.Module
LossPair = tuple[torch.Tensor, torch.Tensor]
LAMBDA = 10.0
LAMBDA_IDT = 0.5


def _fixture(seed: int) -> tuple[Generator, Generator, torch.Tensor, torch.Tensor]:
    """Two tiny random generators and a batch from each 'domain', ``[2, 3, 16, 16]`` in [-1, 1]."""
    torch.manual_seed(seed)
    G_AB, G_BA = ResnetGenerator(ngf=4, n_blocks=1), ResnetGenerator(ngf=4, n_blocks=1)
    a = torch.rand(2, 3, 16, 16) * 2 - 1
    b = (torch.rand(2, 3, 16, 16) * 2 - 1) * 0.5 + 0.3  # another "domain": other range and mean
    return G_AB, G_BA, a, b


def _as_pair(result: object, name: str, hint: str) -> LossPair:
    """The student's result as two scalar tensors, or a :class:`Mismatch` saying what is wrong."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Mismatch(
            f"{name} should return a pair (loss_1, loss_2), got {type(result).__name__}.", hint
        )
    for value in result:
        if isinstance(value, (int, float)):
            raise Mismatch(f"{name} returned a Python number, not a tensor.", ITEM_HINT)
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            shape = list(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            raise Mismatch(
                f"each loss should be a scalar tensor; got {shape}.",
                "average over every pixel and image with .mean() (F.l1_loss does it for you).",
            )
    return result[0], result[1]


def _stack(pair: LossPair) -> torch.Tensor:
    """``[2]``: the two scalar losses side by side, so a pair is compared like one tensor."""
    return torch.stack([x.detach().float().reshape(()) for x in pair])


def _compare(
    actual: LossPair, expected: LossPair, mistakes: dict[str, LossPair], what: str, hint: str
) -> None:
    """Raise a :class:`Mismatch` unless ``actual`` equals ``expected``, naming a known mistake."""
    got, wanted = _stack(actual), _stack(expected)
    wrong = {mistake: _stack(pair) for mistake, pair in mistakes.items()}
    name_mistake(got, wanted, wrong, what, atol=1e-6, rtol=1e-4)
    if not torch.allclose(got, wanted, rtol=1e-4, atol=1e-6):
        values = ", ".join(f"{x:.4f}" for x in got.tolist())
        expected_values = ", ".join(f"{y:.4f}" for y in wanted.tolist())
        raise Mismatch(f"{what} is ({values}), expected ({expected_values}).", hint)


def _expect_gradients(
    actual: LossPair, expected: LossPair, G_AB: Generator, G_BA: Generator, names: tuple[str, str]
) -> None:
    """Each loss of the pair sends the reference's gradient into both generators' weights."""
    weights = {"G_AB's weights": list(G_AB.parameters()), "G_BA's weights": list(G_BA.parameters())}
    for value, reference, name in zip(actual, expected, names, strict=True):
        expect_gradient(
            value,
            reference,
            weights,
            name,
            hints={
                f"{g}'s weights": f"don't detach (or compute under torch.no_grad()) the images "
                f"that {g} makes: this loss must train {g}, so its output has to stay in the graph."
                for g in ("G_AB", "G_BA")
            },
        )


def check_cycle_losses(
    cycle_losses: Callable[[Generator, Generator, torch.Tensor, torch.Tensor, float], LossPair],
) -> CheckResult:
    """Check ``cycle_losses(G_AB, G_BA, real_A, real_B, lam)`` → ``(loss_A, loss_B)``.

    ``loss_A = lam·mean|G_BA(G_AB(real_A)) − real_A|`` (A → B → A) and
    ``loss_B = lam·mean|G_AB(G_BA(real_B)) − real_B|`` (B → A → B); images ``[B, 3, H, W]``.
    """

    def body() -> str:
        for seed in (0, 1):
            G_AB, G_BA, a, b = _fixture(seed)
            result = cycle_losses(G_AB, G_BA, a, b, LAMBDA)
            actual = _as_pair(
                result, "cycle_losses", "return (loss_A, loss_B), one scalar per direction."
            )
            fake_B, fake_A = G_AB(a), G_BA(b)
            rec_A, rec_B = G_BA(fake_B), G_AB(fake_A)
            expected = (cycle_loss(a, rec_A, LAMBDA), cycle_loss(b, rec_B, LAMBDA))
            with torch.no_grad():
                l1 = (F.l1_loss(rec_A, a), F.l1_loss(rec_B, b))
                mistakes = {
                    "the cycle loss is an L1 distance (mean absolute error), not MSE: use "
                    "F.l1_loss or (x - y).abs().mean().": (
                        LAMBDA * F.mse_loss(rec_A, a),
                        LAMBDA * F.mse_loss(rec_B, b),
                    ),
                    "multiply each L1 distance by the weight lam (λ = 10 in the paper).": l1,
                    "use the mean over pixels, not the sum: the reference's L1Loss averages.": (
                        LAMBDA * (rec_A - a).abs().sum(),
                        LAMBDA * (rec_B - b).abs().sum(),
                    ),
                    "the two losses are swapped: return (loss_A, loss_B), A first.": expected[::-1],
                    "the generators are applied in the wrong order: A → B → A is "
                    "G_BA(G_AB(real_A)), G_AB first.": (
                        cycle_loss(a, G_AB(G_BA(a)), LAMBDA),
                        cycle_loss(b, G_BA(G_AB(b)), LAMBDA),
                    ),
                    "compare the reconstruction with its own input: F(G(a)) with a, not with b.": (
                        cycle_loss(b, rec_A, LAMBDA),
                        cycle_loss(a, rec_B, LAMBDA),
                    ),
                    "that is a one-way distance |G(a) − a|: translate there *and back*, "
                    "G_BA(G_AB(real_A)), before comparing with real_A.": (
                        cycle_loss(a, fake_B, LAMBDA),
                        cycle_loss(b, fake_A, LAMBDA),
                    ),
                }
            _compare(
                actual,
                expected,
                mistakes,
                "the pair of cycle losses",
                "loss_A = lam·mean|G_BA(G_AB(real_A)) − real_A|, and the same from B.",
            )
            _expect_gradients(actual, expected, G_AB, G_BA, ("loss_A", "loss_B"))
        return "matches nstlib.cyclegan.cycle_loss in both directions (λ = 10, 2 test cases)."

    return run_check("cycle_losses", body)


def check_identity_losses(
    identity_losses: Callable[
        [Generator, Generator, torch.Tensor, torch.Tensor, float, float], LossPair
    ],
) -> CheckResult:
    """Check ``identity_losses(G_AB, G_BA, real_A, real_B, lam, lambda_idt)``.

    Returns ``(idt_G_AB, idt_G_BA)``: ``lam·lambda_idt·mean|G_AB(real_B) − real_B|`` and
    ``lam·lambda_idt·mean|G_BA(real_A) − real_A|``: each generator gets an image that is already
    in its target domain and should leave it alone.
    """

    def body() -> str:
        weight = LAMBDA * LAMBDA_IDT
        for seed in (2, 3):
            G_AB, G_BA, a, b = _fixture(seed)
            result = identity_losses(G_AB, G_BA, a, b, LAMBDA, LAMBDA_IDT)
            actual = _as_pair(
                result, "identity_losses", "return (idt_G_AB, idt_G_BA), G_AB's loss first."
            )
            same_B, same_A = G_AB(b), G_BA(a)
            expected = (identity_loss(b, same_B, weight), identity_loss(a, same_A, weight))
            with torch.no_grad():
                mistakes = {
                    "pairing: G_AB translates A → B, so feed it an image that is already in B: "
                    "compare G_AB(real_B) with real_B (and G_BA(real_A) with real_A), not "
                    "G_AB(real_A) with real_A.": (
                        identity_loss(a, G_AB(a), weight),
                        identity_loss(b, G_BA(b), weight),
                    ),
                    "the weight is lam·lambda_idt = 10·0.5 = 5, not lam alone.": (
                        identity_loss(b, same_B, LAMBDA),
                        identity_loss(a, same_A, LAMBDA),
                    ),
                    "the weight is lam·lambda_idt = 10·0.5 = 5: you forgot lam.": (
                        identity_loss(b, same_B, LAMBDA_IDT),
                        identity_loss(a, same_A, LAMBDA_IDT),
                    ),
                    "the identity loss is an L1 distance, not MSE: use F.l1_loss.": (
                        weight * F.mse_loss(same_B, b),
                        weight * F.mse_loss(same_A, a),
                    ),
                    "the two losses are swapped: return G_AB's loss first.": expected[::-1],
                }
            _compare(
                actual,
                expected,
                mistakes,
                "the pair of identity losses",
                "idt_G_AB = lam·lambda_idt·mean|G_AB(real_B) − real_B|, and the same for G_BA.",
            )
            _expect_gradients(actual, expected, G_AB, G_BA, ("idt_G_AB", "idt_G_BA"))
        return "matches nstlib.cyclegan.identity_loss for both generators (weight 10·0.5 = 5)."

    return run_check("identity_losses", body)
