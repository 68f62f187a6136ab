"""What a CycleGAN reaches on the toy texture pair in a fixed CPU budget (default 5 minutes).

    .venv/bin/python tests/benchmarks/cyclegan_budget.py [--seconds 300] [--pair texture]

Trains nstlib's CycleGAN (ResnetGenerator + PatchDiscriminator, reference losses and optimiser)
on 32-px toy images until the wall-clock budget is spent, and every ``--every`` seconds prints,
on 64 held-out images of each domain:

* ``score(G_AB(a))``: mean :func:`nstlib.toy_domains.domain_score` of the translations A → B
  (0 looks like A, 1 looks like B; real B images score about 1);
* ``score(G_BA(b))``: the same for B → A (the goal is 0);
* ``cycle L1``: mean |G_BA(G_AB(a)) − a| in [-1, 1] units (and the same from B);
* ``IoU``: how well the object keeps its place and shape under A → B (1 = unchanged).
"""

from __future__ import annotations

import argparse
import time

import torch

from nstlib.cyclegan import ResnetGenerator, init_weights
from nstlib.cyclegan_train import CycleGANConfig, CycleGANTrainer
from nstlib.patchgan import PatchDiscriminator
from nstlib.runtime import seed_everything
from nstlib.toy_domains import content_change, domain_score, sample_domain


def evaluate(trainer: CycleGANTrainer, pair: str, test_A, test_B) -> dict[str, float]:
    """Scores of the current generators on fixed held-out batches."""
    with torch.no_grad():
        fake_B, fake_A = trainer.G_AB(test_A), trainer.G_BA(test_B)
        rec_A, rec_B = trainer.G_BA(fake_B), trainer.G_AB(fake_A)
    return {
        "score(G_AB(a))": domain_score(fake_B, pair).mean().item(),
        "score(G_BA(b))": domain_score(fake_A, pair).mean().item(),
        "cycle L1 A": (rec_A - test_A).abs().mean().item(),
        "cycle L1 B": (rec_B - test_B).abs().mean().item(),
        "IoU A→B": content_change(test_A, fake_B).mask_iou.mean().item(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--every", type=float, default=30)
    parser.add_argument("--pair", default="texture", choices=["texture", "geometry"])
    parser.add_argument("--ngf", type=int, default=16)
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--ndf", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--lr", type=float, default=2e-4)
    args = parser.parse_args()

    seed_everything(0)
    generators = [ResnetGenerator(ngf=args.ngf, n_blocks=args.blocks) for _ in range(2)]
    discriminators = [PatchDiscriminator(ndf=args.ndf, n_layers=2) for _ in range(2)]
    nets = [init_weights(m) for m in (*generators, *discriminators)]
    trainer = CycleGANTrainer(*nets, CycleGANConfig(lr=args.lr))
    g_A, g_B = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    test_A = sample_domain(args.pair, "A", 64, generator=torch.Generator().manual_seed(99))
    test_B = sample_domain(args.pair, "B", 64, generator=torch.Generator().manual_seed(99))
    print(
        f"{args.pair} pair, 32 px, batch {args.batch_size}, G ngf {args.ngf} × {args.blocks} "
        f"blocks, D ndf {args.ndf}, {torch.get_num_threads()} threads, {args.seconds:.0f} s budget"
    )
    real = {
        "score(real a)": domain_score(test_A, args.pair).mean().item(),
        "score(real b)": domain_score(test_B, args.pair).mean().item(),
    }
    print("  ".join(f"{k} {v:.3f}" for k, v in real.items()))
    header = ["seconds", "steps", *evaluate(trainer, args.pair, test_A, test_B)]
    print("  ".join(f"{h:>14}" for h in header))
    start, next_report = time.perf_counter(), 0.0
    while True:
        elapsed = time.perf_counter() - start
        if elapsed >= next_report or elapsed >= args.seconds:
            row = evaluate(trainer, args.pair, test_A, test_B)
            values = [f"{elapsed:14.0f}", f"{trainer.step_count:14d}"]
            print("  ".join(values + [f"{v:14.3f}" for v in row.values()]), flush=True)
            next_report += args.every
            if elapsed >= args.seconds:
                break
        trainer.step(
            sample_domain(args.pair, "A", args.batch_size, generator=g_A),
            sample_domain(args.pair, "B", args.batch_size, generator=g_B),
        )


if __name__ == "__main__":
    main()
