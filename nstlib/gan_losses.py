"""The three classic GAN objectives, computed from the discriminator's raw output.

The discriminator D ends in a plain linear layer (no sigmoid), so its output is a *logit* ``a``
and ``D(x) = sigmoid(a)`` is its belief that ``x`` is real. Working from logits lets us write every
log-probability with ``softplus`` (``log sigmoid(a) = -softplus(-a)``), which never takes the log of
a rounded-to-zero probability.

====================  ================================  ===================================
kind                  discriminator loss                generator loss
====================  ================================  ===================================
``"minimax"``         ``-log D(x) - log(1 - D(G(z)))``  ``log(1 - D(G(z)))`` (saturating)
``"non_saturating"``  same as minimax                   ``-log D(G(z))``
``"lsgan"``           ``(D(x) - 1)² + D(G(z))²``        ``(D(G(z)) - 1)²``
====================  ================================  ===================================

Each loss is the batch mean. For ``"lsgan"`` D(x) is the raw output itself (no sigmoid): D regresses
real images to 1 and fakes to 0. We drop the ½ factors of Mao et al. and the 0.5 that CycleGAN's
reference code applies to every D loss: both only rescale the gradient, and the CycleGAN trainer
multiplies by 0.5 itself so it matches the reference.

References: Goodfellow et al. 2014 (minimax, and the non-saturating fix in its section 3);
Mao et al. 2017 (least-squares GAN); junyanz/pytorch-CycleGAN-and-pix2pix ``GANLoss``.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import torch
from torch.nn import functional as F

from nstlib.errors import NstlibError

LossKind = Literal["minimax", "non_saturating", "lsgan"]
LOSS_KINDS: tuple[str, ...] = ("minimax", "non_saturating", "lsgan")


def _check_kind(kind: str) -> None:
    if kind not in LOSS_KINDS:
        raise NstlibError(f"kind={kind!r} is not a GAN loss; use one of {', '.join(LOSS_KINDS)}.")


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: LossKind
) -> torch.Tensor:
    """D's loss (a scalar to minimise) from its raw outputs on a real and a fake batch.

    Args:
        real_logits: D's raw output on real samples, any shape (e.g. ``[B, 1]`` or a PatchGAN's
            ``[B, 1, 30, 30]``), any real values.
        fake_logits: D's raw output on generated samples, any shape.
        kind: ``"minimax"``, ``"non_saturating"`` (same D loss as minimax) or ``"lsgan"``.
    """
    _check_kind(kind)
    if kind == "lsgan":
        return ((real_logits - 1) ** 2).mean() + (fake_logits**2).mean()
    # -log sigmoid(a) = softplus(-a) and -log(1 - sigmoid(a)) = softplus(a)
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def _generator_loss_terms(fake_logits: torch.Tensor, kind: LossKind) -> torch.Tensor:
    """The generator loss of each sample, before the batch mean (same shape as ``fake_logits``)."""
    if kind == "minimax":
        return -F.softplus(fake_logits)  # log(1 - sigmoid(a)): G pushes it towards -inf
    if kind == "non_saturating":
        return F.softplus(-fake_logits)  # -log sigmoid(a)
    return (fake_logits - 1) ** 2


def generator_loss(fake_logits: torch.Tensor, kind: LossKind) -> torch.Tensor:
    """G's loss (a scalar to minimise) from D's raw output on generated samples.

    Args:
        fake_logits: D's raw output on ``G(z)``, any shape, any real values.
        kind: ``"minimax"`` (saturating ``log(1 - D(G(z)))``, negative, falls towards -inf),
            ``"non_saturating"`` (``-log D(G(z))``, in ``[0, inf)``) or ``"lsgan"``.
    """
    _check_kind(kind)
    return _generator_loss_terms(fake_logits, kind).mean()


def real_score(raw: torch.Tensor, kind: LossKind) -> torch.Tensor:
    """D's output read as "how real": ``sigmoid(logit)``, or the raw score itself for LSGAN.

    For the two log-losses this is the probability ``D(x)`` in ``(0, 1)``. An LSGAN discriminator
    is trained to output 1 for real and 0 for fake, so its raw output already reads on that scale
    (it can stray slightly outside ``[0, 1]``). Same shape as ``raw``.
    """
    _check_kind(kind)
    return raw if kind == "lsgan" else torch.sigmoid(raw)


class LossCurve(NamedTuple):
    """G's loss and its gradient w.r.t. D's raw output, for each value of ``D(G(z))``."""

    loss: torch.Tensor
    grad: torch.Tensor


def generator_loss_curve(p: torch.Tensor, kind: LossKind) -> LossCurve:
    """G's per-sample loss and ``d loss / d raw output`` as functions of ``p = D(G(z))``.

    This is the plot that explains the non-saturating trick: when D confidently rejects fakes
    (``p → 0``, early in training) the minimax loss is flat, its gradient ``-p`` vanishes and G
    stops learning; ``-log p`` has gradient ``-(1 - p) → -1`` there.

    Args:
        p: ``[N]`` (any shape) values of ``D(G(z))``; strictly inside ``(0, 1)`` for the log-losses,
            where the raw output is the logit ``log(p / (1 - p))``. For ``"lsgan"`` ``p`` is the raw
            score itself.
        kind: one of :data:`LOSS_KINDS`.

    Returns:
        ``LossCurve(loss, grad)``, both shaped like ``p``; ``grad`` is taken w.r.t. the logit (the
        signal that flows back into G through D), or w.r.t. the score for LSGAN.
    """
    _check_kind(kind)
    p = torch.as_tensor(p, dtype=torch.float64)
    if kind != "lsgan" and not bool(((p > 0) & (p < 1)).all()):
        raise NstlibError(
            f"p must lie strictly inside (0, 1) for kind={kind!r}; got values in "
            f"[{p.min().item():.3g}, {p.max().item():.3g}]. Try torch.linspace(0.001, 0.999, 200)."
        )
    raw = (p if kind == "lsgan" else torch.logit(p)).detach().requires_grad_(True)
    loss = _generator_loss_terms(raw, kind)
    (grad,) = torch.autograd.grad(loss.sum(), raw)
    return LossCurve(loss.detach(), grad)
