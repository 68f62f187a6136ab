"""The CycleGAN training step, its learning-rate schedule and a training loop.

One :meth:`CycleGANTrainer.step` follows the reference's ``optimize_parameters``:

1. translate both ways: ``fake_B = G_AB(a)``, ``rec_A = G_BA(fake_B)``, ``fake_A = G_BA(b)``,
   ``rec_B = G_AB(fake_A)``;
2. update **both generators together** (one Adam over their parameters) on
   adversarial + cycle + identity losses, with the discriminators frozen (``requires_grad=False``)
   so that no time is spent on gradients nobody uses;
3. update **both discriminators** on real images against fakes drawn from the image pools,
   each D loss halved so that D learns more slowly than G.

Naming: ``D_A`` judges domain A (real ``a`` against ``G_BA(b)``) and ``D_B`` judges domain B. (The
reference names its discriminators after the generator they face, so its ``D_A`` judges B.)

The learning rate is constant for ``n_epochs`` epochs, then decays linearly to nearly 0 over
``n_epochs_decay`` epochs (``LambdaLR`` with the reference's rule, see :func:`lr_factor`).

Speed and scale: the trainer can run the step under autocast (``precision``, see
:mod:`nstlib.precision`; fp32, the default, is exactly the reference's arithmetic), and can wrap
its networks in ``DistributedDataParallel`` (``distributed=True``) so that many processes train
one model, as ``python -m nstlib train-cyclegan`` does under torchrun (:mod:`nstlib.distributed`).

Saving and resuming a run exactly lives beside the trainer, in :mod:`nstlib.cyclegan_checkpoint`.
Reference: junyanz/pytorch-CycleGAN-and-pix2pix ``models/cycle_gan_model.py``,
``models/networks.py`` (``get_scheduler``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from nstlib.cyclegan import cycle_loss, identity_loss
from nstlib.errors import NstlibError
from nstlib.gan_losses import LOSS_KINDS, LossKind, discriminator_loss, generator_loss
from nstlib.image_pool import ImagePool
from nstlib.precision import Precision, choose_precision
from nstlib.runtime import set_requires_grad
from nstlib.validate import check_finite, check_finite_loss, check_int

LOSS_NAMES = ("G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "D_A", "D_B")
MODEL_NAMES = ("G_AB", "G_BA", "D_A", "D_B")  # the trainer's attributes holding the networks


@dataclass
class CycleGANConfig:
    """Hyper-parameters, defaulting to the reference's.

    ``lambda_identity`` scales the cycle weights for the identity loss (0.5 · 10 = 5); 0 turns the
    identity loss off. ``gan_mode`` is a :mod:`nstlib.gan_losses` kind: ``"lsgan"`` (reference
    default) or ``"non_saturating"`` (the reference's ``"vanilla"``, BCE on logits). ``seed`` seeds
    the two image pools (``seed`` and ``seed + 1``).
    """

    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    lambda_A: float = 10.0
    lambda_B: float = 10.0
    lambda_identity: float = 0.5
    gan_mode: LossKind = "lsgan"
    pool_size: int = 50
    n_epochs: int = 100
    n_epochs_decay: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        check_finite(self.lr, "lr", low=0, low_open=True)
        for i, beta in enumerate(self.betas):
            check_finite(beta, f"betas[{i}]", low=0, high=0.9999)
        for name in ("lambda_A", "lambda_B", "lambda_identity"):
            check_finite(getattr(self, name), name, low=0)
        for name in ("pool_size", "n_epochs", "n_epochs_decay"):
            setattr(self, name, check_int(getattr(self, name), name, low=0))
        self.seed = check_int(self.seed, "seed")
        if self.gan_mode not in LOSS_KINDS:
            raise NstlibError(
                f"gan_mode={self.gan_mode!r} is not a GAN loss; use one of {', '.join(LOSS_KINDS)} "
                "(the reference's 'vanilla' is 'non_saturating')."
            )


def lr_factor(epoch: int, n_epochs: int, n_epochs_decay: int) -> float:
    """The multiplier of the initial lr during ``epoch`` (0-based): the reference's ``lambda`` rule.

    ``1 − max(0, epoch + 1 − n_epochs) / (n_epochs_decay + 1)``: 1 for the first ``n_epochs``
    epochs, then down by ``1/(n_epochs_decay + 1)`` per epoch. With 100 + 100 epochs the last
    epoch runs at ``2e-4 · 1/101 ≈ 1.98e-6``.

    After ``n_epochs + n_epochs_decay`` epochs the rule would go negative, and a negative learning
    rate is gradient *ascent*: training on past the schedule would undo it. The factor is clamped
    at 0 instead, so extra epochs leave the networks as they are.
    """
    return max(0.0, 1.0 - max(0, epoch + 1 - n_epochs) / float(n_epochs_decay + 1))


class CycleGANTrainer:
    """Trains ``G_AB: A → B``, ``G_BA: B → A`` and the discriminators ``D_A``, ``D_B`` in place.

    Args:
        G_AB, G_BA: generators ``[B, 3, H, W] → [B, 3, H, W]`` in ``[-1, 1]``.
        D_A, D_B: discriminators returning raw scores (e.g. a PatchGAN map), no sigmoid.
        config: hyper-parameters (reference defaults).
        device: where to train; defaults to the device of ``G_AB``'s parameters.
        precision: the arithmetic (see :func:`nstlib.precision.choose_precision`); the default,
            fp32, computes exactly the reference's step. On a CUDA GPU the networks and batches
            also use the ``channels_last`` memory layout, which its convolution kernels prefer.
        distributed: wrap the four networks in ``DistributedDataParallel`` (the process group
            must be set up, see :mod:`nstlib.distributed`): each backward pass then averages the
            gradients over all processes, so that every process applies the same update.

    Attributes ``step_count`` (steps done) and ``epoch`` (epochs finished) count progress.
    """

    def __init__(
        self,
        G_AB: nn.Module,
        G_BA: nn.Module,
        D_A: nn.Module,
        D_B: nn.Module,
        config: CycleGANConfig | None = None,
        device: torch.device | str | None = None,
        precision: Precision | None = None,
        distributed: bool = False,
    ) -> None:
        self.config = config = config or CycleGANConfig()
        if device is None:
            device = next(G_AB.parameters()).device
        self.device = torch.device(device)
        self.precision = precision or choose_precision(self.device, "fp32")
        # channels_last suits cuDNN; on CPUs it made this network slower (REFERENCE.md §5).
        self.memory_format = (
            torch.channels_last if self.device.type == "cuda" else torch.contiguous_format
        )
        for name, net in zip(MODEL_NAMES, (G_AB, G_BA, D_A, D_B), strict=True):
            setattr(self, name, net.to(self.device, memory_format=self.memory_format))
        # The forward passes whose gradients update a network go through these: under DDP, the
        # wrappers that average gradients across processes. The attributes above stay the plain
        # networks, so checkpoints keep the usual parameter names.
        self._synced = {
            name: (
                nn.parallel.DistributedDataParallel(getattr(self, name))
                if distributed
                else getattr(self, name)
            )
            for name in MODEL_NAMES
        }
        # fp16 gradients underflow to 0 unless the loss is scaled up first; for bf16 and fp32 the
        # scaler is disabled and passes losses and steps through unchanged.
        self.scaler = torch.amp.GradScaler(
            self.device.type, enabled=self.precision.needs_grad_scaler
        )
        self.pool_A = ImagePool(config.pool_size, seed=config.seed)  # past G_BA(b), for D_A
        self.pool_B = ImagePool(config.pool_size, seed=config.seed + 1)  # past G_AB(a), for D_B
        self.opt_G = torch.optim.Adam(
            itertools.chain(G_AB.parameters(), G_BA.parameters()), lr=config.lr, betas=config.betas
        )
        self.opt_D = torch.optim.Adam(
            itertools.chain(D_A.parameters(), D_B.parameters()), lr=config.lr, betas=config.betas
        )

        def rule(epoch: int) -> float:
            return lr_factor(epoch, config.n_epochs, config.n_epochs_decay)

        self.schedulers = [
            torch.optim.lr_scheduler.LambdaLR(opt, rule) for opt in (self.opt_G, self.opt_D)
        ]
        self.step_count = 0
        self.epoch = 0

    @property
    def lr(self) -> float:
        """The current learning rate (the same for generators and discriminators)."""
        return self.opt_G.param_groups[0]["lr"]

    def step(self, real_A: torch.Tensor, real_B: torch.Tensor) -> dict[str, float]:
        """One training step on a batch from each domain, ``[B, 3, H, W]`` in ``[-1, 1]``.

        Returns the losses as floats: ``G_A`` / ``G_B`` the adversarial losses of ``G_AB`` /
        ``G_BA``, ``cycle_A`` = λ_A·|G_BA(G_AB(a)) − a|, ``cycle_B`` = λ_B·|G_AB(G_BA(b)) − b|,
        ``idt_A`` = λ_B·λ_idt·|G_AB(b) − b|, ``idt_B`` = λ_A·λ_idt·|G_BA(a) − a| (as in the
        reference), and ``D_A`` / ``D_B`` the halved discriminator losses. Careful when comparing
        plots with the reference: its generator names are ours (``G_A`` is ``G_AB``'s loss, faced
        by our ``D_B``), but its ``D_A`` is our ``D_B`` (see the module docstring).
        """
        c = self.config
        real_A, real_B = (
            x.to(self.device, memory_format=self.memory_format) for x in (real_A, real_B)
        )
        G_AB, G_BA, D_A, D_B = (self._synced[name] for name in MODEL_NAMES)
        with self.precision.autocast():
            fake_B = G_AB(real_A)
            rec_A = G_BA(fake_B)
            fake_A = G_BA(real_B)
            rec_B = G_AB(fake_A)

            # The frozen discriminators run as plain modules: nothing of theirs is updated here,
            # so there are no gradients to average across processes.
            set_requires_grad((self.D_A, self.D_B), False)
            losses = {
                "G_A": generator_loss(self.D_B(fake_B), c.gan_mode),
                "G_B": generator_loss(self.D_A(fake_A), c.gan_mode),
                "cycle_A": cycle_loss(real_A, rec_A, c.lambda_A),
                "cycle_B": cycle_loss(real_B, rec_B, c.lambda_B),
            }
            if c.lambda_identity > 0:
                losses["idt_A"] = identity_loss(
                    real_B, G_AB(real_B), c.lambda_B * c.lambda_identity
                )
                losses["idt_B"] = identity_loss(
                    real_A, G_BA(real_A), c.lambda_A * c.lambda_identity
                )
        self.opt_G.zero_grad()
        self.scaler.scale(sum(losses.values())).backward()
        # Checked before the update: one NaN step would make every weight NaN for good.
        self._check_finite(losses)
        self.scaler.step(self.opt_G)

        set_requires_grad((self.D_A, self.D_B), True)
        self.opt_D.zero_grad()
        with self.precision.autocast():
            # The pools detach the fakes, so the D losses do not reach the generators. The 0.5
            # slows D down relative to G, as in the reference.
            fake_B, fake_A = self.pool_B.query(fake_B), self.pool_A.query(fake_A)
            losses["D_B"] = 0.5 * discriminator_loss(D_B(real_B), D_B(fake_B), c.gan_mode)
            losses["D_A"] = 0.5 * discriminator_loss(D_A(real_A), D_A(fake_A), c.gan_mode)
        self.scaler.scale(losses["D_A"] + losses["D_B"]).backward()
        self._check_finite({"D_A": losses["D_A"], "D_B": losses["D_B"]})
        self.scaler.step(self.opt_D)
        self.scaler.update()

        self.step_count += 1
        result = dict.fromkeys(LOSS_NAMES, 0.0)
        result.update({name: loss.item() for name, loss in losses.items()})
        return result

    def _check_finite(self, losses: dict[str, torch.Tensor]) -> None:
        """Stop before an optimiser step if a loss is NaN or infinite (the weights stay as they are)."""
        values = torch.stack([loss.detach() for loss in losses.values()])
        if not torch.isfinite(values).all():
            check_finite_loss(
                dict(zip(losses, values.tolist(), strict=True)),
                self.step_count,
                fix="lower config.lr or the loss weights (lambda_A, lambda_B), or check the data",
            )

    def end_epoch(self) -> None:
        """Mark an epoch as finished and move both learning-rate schedules on by one epoch."""
        self.epoch += 1
        for scheduler in self.schedulers:
            scheduler.step()


History = dict[str, list[float]]


def train(
    trainer: CycleGANTrainer,
    sample_A: Callable[[int], torch.Tensor],
    sample_B: Callable[[int], torch.Tensor],
    steps: int,
    *,
    batch_size: int = 1,
    steps_per_epoch: int | None = None,
    progress: bool = True,
    callback: Callable[[CycleGANTrainer, History], None] | None = None,
    every: int = 100,
) -> History:
    """Run ``steps`` training steps on batches from two samplers; return the per-step losses.

    Args:
        sample_A, sample_B: ``sampler(n)`` returns a batch ``[n, 3, H, W]`` in ``[-1, 1]``.
        steps: how many steps to run (continuing from ``trainer.step_count``).
        steps_per_epoch: call ``trainer.end_epoch()`` (the lr schedule) every this many steps;
            ``None`` keeps the learning rate constant.
        progress: show a tqdm progress bar with the latest losses.
        callback: ``callback(trainer, history)`` every ``every`` steps and after the last one,
            e.g. to save snapshots or redraw a live plot.

    Returns ``history``: for each loss name, the list of its value at each step run here.
    """
    steps = check_int(steps, "steps", low=0)
    every = check_int(every, "every", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    if steps_per_epoch is not None:
        steps_per_epoch = check_int(steps_per_epoch, "steps_per_epoch", low=1)
    history: History = {name: [] for name in LOSS_NAMES}
    bar = tqdm(range(steps), desc="CycleGAN", disable=not progress)
    for i in bar:
        losses = trainer.step(sample_A(batch_size), sample_B(batch_size))
        for name, value in losses.items():
            history[name].append(value)
        if steps_per_epoch and trainer.step_count % steps_per_epoch == 0:
            trainer.end_epoch()
        bar.set_postfix(
            G=f"{losses['G_A'] + losses['G_B']:.3f}",
            cyc=f"{losses['cycle_A'] + losses['cycle_B']:.3f}",
            D=f"{losses['D_A'] + losses['D_B']:.3f}",
            refresh=False,
        )
        if callback is not None and ((i + 1) % every == 0 or i + 1 == steps):
            callback(trainer, history)
    return history
