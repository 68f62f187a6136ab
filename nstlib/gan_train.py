"""The alternating GAN training loop, with a history that makes its dynamics visible.

Each step first trains the discriminator ``d_steps`` times (real batch vs. a detached fake batch),
then the generator once with the discriminator frozen. An optional R1 gradient penalty on D
(Mescheder et al. 2018) is the one stabiliser offered: it is what lets the 2-D ring cover all
its modes in a CPU-sized run.

The returned :class:`GANHistory` holds the two losses, D's mean "realness" score on real and fake
samples (their gap is the simplest *discriminator-dominance* diagnostic: near 1, D wins and G's
gradient may vanish; near 0, D is fooled or confused) and snapshots of what G draws from a fixed
batch of noise.

The same loop trains the 2-D ring MLPs and the image DCGAN. Reference: Goodfellow et al. 2014
(Algorithm 1); Radford et al. 2016 (DCGAN, Adam with lr 2e-4 and betas (0.5, 0.999));
Mescheder et al. 2018 ("Which training methods for GANs do actually converge?", R1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from nstlib.errors import NstlibError
from nstlib.gan_losses import LossKind, discriminator_loss, generator_loss, real_score
from nstlib.runtime import set_requires_grad
from nstlib.validate import check_finite_loss


@dataclass(frozen=True)
class Snapshot:
    """What the generator drew from the fixed noise after ``step`` steps (detached, on the CPU)."""

    step: int
    samples: torch.Tensor


@dataclass
class GANHistory:
    """Per-step records of a GAN run; every tensor is ``[steps]`` float32 on the CPU.

    Attributes:
        d_loss: D's GAN loss at its last update of each step (without the R1 penalty).
        g_loss: G's loss.
        d_real: D's mean score on the real batch (a probability for the log-losses, see
            :func:`nstlib.gan_losses.real_score`).
        d_fake: D's mean score on the fake batch, same scale.
        snapshots: G's samples for the fixed noise, at step 0 and every ``snapshot_every`` steps.
    """

    d_loss: torch.Tensor
    g_loss: torch.Tensor
    d_real: torch.Tensor
    d_fake: torch.Tensor
    snapshots: list[Snapshot] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.d_loss)

    @property
    def d_gap(self) -> torch.Tensor:
        """``d_real - d_fake`` per step: near 1 means D dominates, near 0 that it cannot tell."""
        return self.d_real - self.d_fake


def r1_penalty(real_raw: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean squared norm of D's gradient w.r.t. its real inputs, ``E‖∇ₓ D(x)‖²`` (a scalar).

    Penalising it (Mescheder et al. 2018, "R1") keeps D flat on the real data, so D cannot
    overshoot and the players settle instead of circling. ``real`` must require grad and
    ``real_raw = D(real)``; the graph is kept so the penalty itself can be backpropagated.
    """
    (grad,) = torch.autograd.grad(real_raw.sum(), real, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    sample_real: Callable[[int], torch.Tensor],
    *,
    steps: int,
    loss: LossKind = "non_saturating",
    batch_size: int = 64,
    z_dim: int | None = None,
    lr: float = 2e-4,
    betas: tuple[float, float] = (0.5, 0.999),
    d_steps: int = 1,
    r1_gamma: float = 0.0,
    snapshot_every: int = 0,
    fixed_z: torch.Tensor | None = None,
    rng: torch.Generator | None = None,
    progress: bool = True,
) -> GANHistory:
    """Train ``generator`` against ``discriminator`` for ``steps`` generator updates.

    Args:
        generator: maps ``[B, z_dim]`` noise to samples shaped like ``sample_real``'s output.
        discriminator: maps a batch of samples to raw scores (logits), no sigmoid.
        sample_real: ``sample_real(n)`` returns ``n`` real samples on the models' device.
        steps: number of generator updates.
        loss: ``"minimax"``, ``"non_saturating"`` or ``"lsgan"`` (see :mod:`nstlib.gan_losses`).
        batch_size: samples per real and per fake batch.
        z_dim: noise size; defaults to ``generator.z_dim``.
        lr, betas: Adam settings, shared by both networks.
        d_steps: discriminator updates per generator update.
        r1_gamma: weight γ of the R1 penalty ``γ/2 · E‖∇ₓ D(x)‖²`` added to D's loss (0: off).
            On the 8-Gaussian ring γ = 1 turns a collapsing run into one that covers all modes.
        snapshot_every: record G's samples on ``fixed_z`` every this many steps (0: only at the
            start and the end).
        fixed_z: ``[N, z_dim]`` noise for the snapshots; default 64 vectors drawn from ``rng``.
        rng: a CPU ``torch.Generator`` for the noise. Seed it, the global RNG (model init) and
            ``sample_real``'s own ``rng`` to make a run repeatable.
        progress: show a ``tqdm.auto`` bar.

    Returns:
        The :class:`GANHistory`. The models are trained in place.
    """
    if steps < 1 or batch_size < 1 or d_steps < 1 or snapshot_every < 0 or r1_gamma < 0:
        raise NstlibError(
            "steps, batch_size and d_steps must be positive, snapshot_every and r1_gamma >= 0; "
            f"got steps={steps}, batch_size={batch_size}, d_steps={d_steps}, "
            f"snapshot_every={snapshot_every}, r1_gamma={r1_gamma}."
        )
    z_dim = z_dim if z_dim is not None else getattr(generator, "z_dim", None)
    if z_dim is None:
        raise NstlibError("Pass z_dim=..., or give the generator a z_dim attribute.")
    device = next(generator.parameters()).device
    rng = rng if rng is not None else torch.Generator().manual_seed(0)
    fixed_z = fixed_z if fixed_z is not None else torch.randn(64, z_dim, generator=rng)
    if fixed_z.dim() != 2 or fixed_z.shape[1] != z_dim:
        raise NstlibError(f"fixed_z must have shape [N, {z_dim}]; got {list(fixed_z.shape)}.")

    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=betas)

    def noise() -> torch.Tensor:
        return torch.randn(batch_size, z_dim, generator=rng).to(device)

    def snapshot(step: int) -> Snapshot:
        generator.eval()  # batch norm uses its running statistics, as at sampling time
        with torch.no_grad():
            samples = generator(fixed_z.to(device)).cpu()
        generator.train()
        return Snapshot(step, samples)

    records = torch.zeros(4, steps, device=device)  # d_loss, g_loss, d_real, d_fake; no GPU sync
    snapshots = [snapshot(0)]
    generator.train()
    discriminator.train()
    for step in tqdm(range(steps), desc=f"GAN ({loss})", disable=not progress):
        set_requires_grad(discriminator, True)
        for _ in range(d_steps):
            real = sample_real(batch_size).to(device).requires_grad_(r1_gamma > 0)
            with torch.no_grad():
                fake = generator(noise())
            real_raw, fake_raw = discriminator(real), discriminator(fake)
            d_loss = discriminator_loss(real_raw, fake_raw, loss)
            penalty = r1_penalty(real_raw, real) * (r1_gamma / 2) if r1_gamma > 0 else 0.0
            opt_d.zero_grad(set_to_none=True)
            (d_loss + penalty).backward()
            opt_d.step()

        set_requires_grad(discriminator, False)  # G's update needs no gradients for D's weights
        g_loss = generator_loss(discriminator(generator(noise())), loss)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()

        records[:, step] = torch.stack(
            [
                d_loss.detach(),
                g_loss.detach(),
                real_score(real_raw.detach(), loss).mean(),
                real_score(fake_raw.detach(), loss).mean(),
            ]
        )
        if (snapshot_every and (step + 1) % snapshot_every == 0) or step + 1 == steps:
            # Checked here, not every step: reading the losses would make a GPU wait each step.
            _check_finite(records[:2, : step + 1])
            snapshots.append(snapshot(step + 1))
    set_requires_grad(discriminator, True)
    d_loss_hist, g_loss_hist, d_real, d_fake = records.cpu()
    return GANHistory(d_loss_hist, g_loss_hist, d_real, d_fake, snapshots)


def _check_finite(losses: torch.Tensor) -> None:
    """Stop with a clear error if a recorded ``[d_loss, g_loss]`` column is NaN or infinite."""
    finite = torch.isfinite(losses).all(dim=0)
    if not finite.all():
        first = int((~finite).nonzero()[0])
        d_loss, g_loss = losses[:, first].tolist()
        check_finite_loss({"d_loss": d_loss, "g_loss": g_loss}, first, fix="lower lr")
