"""Checkers for lesson 01 (GAN basics).

* :func:`check_discriminator_loss`: D's loss from its raw outputs (logits) on a real and a fake
  batch, for the log-loss (``"minimax"`` and ``"non_saturating"`` share it) and for ``"lsgan"``.
* :func:`check_generator_loss`: G's loss for the three kinds: saturating ``log(1 − D(G(z)))``,
  non-saturating ``−log D(G(z))`` and least-squares ``(D(G(z)) − 1)²``.

Both run the student's function on small fixed logits, compare with :mod:`nstlib.gan_losses`
and, when the answer is wrong, compare it with the usual mistakes (swapped labels, a missing
minus sign, a sum instead of a mean, a sigmoid in LSGAN...) to name the likely one in the hint.
A last round feeds very confident logits (±200), where ``log(sigmoid(a))`` rounds to ``log 0``.
Each loss must also carry the reference's gradient back to the logits: a detached loss would
print the right number and train nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.nn import functional as F

from nstlib.exercises import CheckResult, Mismatch, expect_close, name_mistake, run_check
from nstlib.exercises.gradients import expect_gradient
from nstlib.gan_losses import LOSS_KINDS, discriminator_loss, generator_loss

TOLERANCE = 1e-5
STABLE_HINT = (
    "log(sigmoid(a)) rounds to log(0) = -inf for very negative a: write -log sigmoid(a) as "
    "F.softplus(-a) and -log(1 - sigmoid(a)) as F.softplus(a) (or use "
    "F.binary_cross_entropy_with_logits)."
)


def _logits(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A real and a fake batch of logits, ``[4, 1]`` and ``[6, 1]`` (different sizes on purpose).

    Both require grad, so the gradient that reaches them can be compared with the reference's.
    """
    rng = torch.Generator().manual_seed(seed)
    real = torch.randn(4, 1, generator=rng) * 2 + 0.5
    fake = torch.randn(6, 1, generator=rng) * 2 - 0.5
    return real.requires_grad_(True), fake.requires_grad_(True)


def _expect_finite(actual: object, what: str) -> None:
    """On moderate logits a NaN or inf means a log of a logit, not of a probability."""
    if isinstance(actual, torch.Tensor) and not torch.isfinite(actual).all():
        raise Mismatch(
            f"{what} is not finite on moderate logits.",
            "the inputs are logits (any real number), not probabilities: D(x) = sigmoid(a). "
            "Take logs of sigmoid(a), or better use F.softplus.",
        )


def _expect_scalar(actual: object, expected: torch.Tensor, what: str, hint: str) -> None:
    if isinstance(actual, torch.Tensor) and actual.dim() != 0:
        raise Mismatch(
            f"{what} has shape {list(actual.shape)}; a loss is one number (shape []).",
            "average over the batch with .mean(): the loss is a scalar to minimise.",
        )
    if isinstance(actual, torch.Tensor) and not torch.isfinite(actual).all():
        raise Mismatch(f"{what} is {actual.item()}.", STABLE_HINT)
    expect_close(actual, expected, what, hint, atol=TOLERANCE)


def check_discriminator_loss(
    d_loss: Callable[[torch.Tensor, torch.Tensor, str], torch.Tensor],
) -> CheckResult:
    """Check ``d_loss(real_logits, fake_logits, kind)`` against :func:`discriminator_loss`.

    ``real_logits`` and ``fake_logits`` are D's raw outputs, shapes ``[B_real, 1]`` and
    ``[B_fake, 1]``. For ``"minimax"`` and ``"non_saturating"`` the answer is the batch mean of
    ``-log sigmoid(a)`` over the reals plus that of ``-log(1 - sigmoid(a))`` over the fakes; for
    ``"lsgan"`` the mean of ``(a - 1)²`` over the reals plus that of ``a²`` over the fakes.
    The result is a scalar tensor.
    """

    def body() -> str:
        for seed in range(3):
            real, fake = _logits(seed)
            for kind in LOSS_KINDS:
                what = f"d_loss(..., kind={kind!r})"
                actual = d_loss(real.clone(), fake.clone(), kind)
                expected = discriminator_loss(real, fake, kind)
                if kind == "lsgan":
                    mistakes = {
                        "the least-squares D loss has no sigmoid: compare the raw outputs with "
                        "the targets, ((real - 1)**2).mean() + (fake**2).mean().": (
                            discriminator_loss(torch.sigmoid(real), torch.sigmoid(fake), kind)
                        ),
                        "swapped targets: D regresses real samples to 1 and fakes to 0.": (
                            discriminator_loss(fake, real, kind)
                        ),
                        "use .mean() over each batch, not .sum().": (
                            ((real - 1) ** 2).sum() + (fake**2).sum()
                        ),
                        "add the two means; don't average the two terms.": expected / 2,
                        "the fakes got the real target: D regresses fakes to 0, so the fake term "
                        "is (fake**2).mean(), not ((fake - 1)**2).mean().": (
                            ((real - 1) ** 2).mean() + ((fake - 1) ** 2).mean()
                        ),
                        "the reals got the fake target: D regresses real samples to 1, so the "
                        "real term is ((real - 1)**2).mean().": (real**2).mean() + (fake**2).mean(),
                    }
                else:
                    mistakes = {
                        "swapped labels: D should call the real batch real, -log D(x), and the "
                        "fake batch fake, -log(1 - D(G(z))).": discriminator_loss(fake, real, kind),
                        "the sign is flipped: D *maximises* log D(x) + log(1 - D(G(z))), so the "
                        "loss to minimise is its negative.": -expected,
                        "use .mean() over each batch, not .sum().": (
                            F.softplus(-real).sum() + F.softplus(fake).sum()
                        ),
                        "add the two means; don't average the two terms.": expected / 2,
                        "the fake term is missing: D must also push D(G(z)) towards 0.": (
                            F.softplus(-real).mean()
                        ),
                        "the fakes got the real label: D must call them fake, -log(1 - D(G(z))) = "
                        "F.softplus(fake), not -log D(G(z)).": (
                            F.softplus(-real).mean() + F.softplus(-fake).mean()
                        ),
                        "the reals got the fake label: D must call them real, -log D(x) = "
                        "F.softplus(-real), not -log(1 - D(x)).": (
                            F.softplus(real).mean() + F.softplus(fake).mean()
                        ),
                    }
                _expect_finite(actual, what)
                name_mistake(actual, expected, mistakes, what, atol=1e-4)
                _expect_scalar(
                    actual, expected, what, "see the formula for this kind in the cell above."
                )
                expect_gradient(actual, expected, {"real_logits": real, "fake_logits": fake}, what)
        extreme = torch.tensor([[200.0], [-200.0]])
        for kind in ("minimax", "non_saturating"):
            actual = d_loss(extreme.clone(), extreme.clone(), kind)
            _expect_scalar(
                actual,
                discriminator_loss(extreme, extreme, kind),
                f"d_loss on confident logits ±200 (kind={kind!r})",
                STABLE_HINT,
            )
        return f"matches nstlib.gan_losses.discriminator_loss for {', '.join(LOSS_KINDS)}."

    return run_check("discriminator_loss", body)


def check_generator_loss(g_loss: Callable[[torch.Tensor, str], torch.Tensor]) -> CheckResult:
    """Check ``g_loss(fake_logits, kind)`` against :func:`nstlib.gan_losses.generator_loss`.

    ``fake_logits`` is D's raw output on ``G(z)``, ``[B, 1]``. The answer is the batch mean of
    ``log(1 - sigmoid(a))`` (``"minimax"``, negative), ``-log sigmoid(a)`` (``"non_saturating"``)
    or ``(a - 1)²`` (``"lsgan"``), as a scalar tensor.
    """

    def body() -> str:
        for seed in range(3):
            _, fake = _logits(seed)
            expected = {kind: generator_loss(fake, kind) for kind in LOSS_KINDS}
            for kind in LOSS_KINDS:
                what = f"g_loss(..., kind={kind!r})"
                actual = g_loss(fake.clone(), kind)
                others = {k: v for k, v in expected.items() if k != kind}
                mistakes = {
                    f"this is the {other!r} loss; for {kind!r} see the table above.": value
                    for other, value in others.items()
                }
                if kind == "minimax":
                    mistakes |= {
                        "the sign is flipped: G minimises log(1 - D(G(z))), which is negative; "
                        "-log(1 - D(G(z))) is D's fake term.": -expected[kind],
                    }
                elif kind == "non_saturating":
                    mistakes |= {
                        "the sign is flipped: the loss is -log D(G(z)), positive, falling to 0 "
                        "as D is fooled.": -expected[kind],
                    }
                else:
                    mistakes |= {
                        "the least-squares loss has no sigmoid: use (fake_logits - 1)**2.": (
                            generator_loss(torch.sigmoid(fake), kind)
                        ),
                        "G wants D to output 1 (real), not 0: use (fake_logits - 1)**2.": (
                            (fake**2).mean()
                        ),
                    }
                sums = {"use .mean() over the batch, not .sum().": expected[kind] * len(fake)}
                _expect_finite(actual, what)
                name_mistake(actual, expected[kind], mistakes | sums, what, atol=1e-4)
                _expect_scalar(
                    actual,
                    expected[kind],
                    what,
                    "see the formula for this kind in the table above.",
                )
                expect_gradient(actual, expected[kind], {"fake_logits": fake}, what)
        extreme = torch.tensor([[200.0], [-200.0]])
        for kind in ("minimax", "non_saturating"):
            _expect_scalar(
                g_loss(extreme.clone(), kind),
                generator_loss(extreme, kind),
                f"g_loss on confident logits ±200 (kind={kind!r})",
                STABLE_HINT,
            )
        return f"matches nstlib.gan_losses.generator_loss for {', '.join(LOSS_KINDS)}."

    return run_check("generator_loss", body)
