"""Lesson 01's ring GAN with and without R1, over seeds 0, 1 and 2: is the collapse the seed's?

Runs exactly lesson 01's ``train_ring`` (student profile: 3,000 steps, snapshots every 200) and
prints, per seed and setting, the modes covered at the end and the fewest covered over the last
five snapshots. One CPU thread (the ring's MLPs are too small for more); about 5 minutes.

    python tests/benchmarks/ring_seeds.py
"""

import torch

from nstlib import seed_everything
from nstlib.gan_train import train_gan
from nstlib.ring import RingDiscriminator, RingGenerator, mode_coverage, sample_ring

STEPS, EVERY = 3000, 200


def train_ring(r1_gamma: float, seed: int):
    # lesson 01, section 2's train_ring, verbatim apart from the fixed profile values
    seed_everything(seed)
    g, d = RingGenerator(), RingDiscriminator()
    data = torch.Generator().manual_seed(seed + 1)
    fixed_z = torch.randn(2000, g.z_dim, generator=torch.Generator().manual_seed(seed + 2))
    return train_gan(
        g, d, lambda n: sample_ring(n, rng=data),
        steps=STEPS, loss="non_saturating", batch_size=256, lr=1e-3, r1_gamma=r1_gamma,
        snapshot_every=EVERY, fixed_z=fixed_z, rng=torch.Generator().manual_seed(seed + 3),
    )  # fmt: skip


if __name__ == "__main__":
    torch.set_num_threads(1)
    print("modes covered (of 8): at the end / fewest over the last 5 snapshots")
    for seed in (0, 1, 2):
        row = []
        for name, gamma in (("R1 γ=1", 1.0), ("no R1", 0.0)):
            modes = [mode_coverage(s.samples).modes_covered for s in train_ring(gamma, seed).snapshots]
            row.append(f"{name}: {modes[-1]} / {min(modes[-5:])}")
        print(f"seed {seed}: " + "   ".join(row), flush=True)
