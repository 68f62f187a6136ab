"""What is recorded or run in eval mode really is, and instance norm ignores the mode.

Batch norm behaves differently in training (batch statistics) and eval mode (running averages), so
a GAN's snapshots must be drawn in eval mode, as at sampling time. Instance norm with the
reference's ``track_running_stats=False`` normalises each image by its own statistics in both
modes, so CycleGAN's blocks and generator give the same output either way.
"""

from __future__ import annotations

import copy

import torch

from nstlib.blocks import ResidualBlock
from nstlib.cyclegan import ResnetGenerator
from nstlib.dcgan import DCGANDiscriminator, DCGANGenerator
from nstlib.gan_train import train_gan


def test_gan_snapshots_are_drawn_in_eval_mode():
    torch.manual_seed(0)
    generator, discriminator = (
        DCGANGenerator(z_dim=8, size=8, ngf=4),
        DCGANDiscriminator(size=8, ndf=4),
    )
    untrained = copy.deepcopy(generator).eval()
    fixed_z = torch.randn(6, 8)
    history = train_gan(
        generator,
        discriminator,
        lambda n: torch.rand(n, 1, 8, 8) * 2 - 1,
        steps=1,
        batch_size=4,
        fixed_z=fixed_z,
        progress=False,
    )
    with torch.no_grad():
        torch.testing.assert_close(history.snapshots[0].samples, untrained(fixed_z))
        torch.testing.assert_close(history.snapshots[-1].samples, generator.eval()(fixed_z))


def test_residual_block_and_generator_give_the_same_output_in_train_and_eval_mode():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    for model, inputs in ((ResidualBlock(3), x), (ResnetGenerator(ngf=4, n_blocks=1), x)):
        with torch.no_grad():
            in_training = model.train()(inputs)
            model(inputs * 0.5)  # a second batch: running statistics, if any, would move
            torch.testing.assert_close(model.eval()(inputs), in_training)
