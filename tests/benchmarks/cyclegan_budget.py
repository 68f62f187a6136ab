"""What a CycleGAN reaches on a toy pair in a fixed CPU budget (default 5 minutes).

    .venv/bin/python tests/benchmarks/cyclegan_budget.py [--seconds 300] [--pair texture]

Trains lesson 04's toy CycleGAN (``nstlib.toy_cyclegan.toy_cyclegan``: ResnetGenerator ngf 16
with 4 blocks, PatchGANs ndf 16 with 2 layers; the reference losses and optimiser) on 32-px toy
images until the wall-clock budget is spent, and every ``--every`` seconds prints, on lesson 04's
64 held-out images of each domain (``nstlib.toy_cyclegan.evaluate``):

* ``score_AB``: mean :func:`nstlib.toy_domains.domain_score` of the translations A → B
  (0 looks like A, 1 looks like B; real B images score 1);
* ``score_BA``: the same for B → A (the goal is 0);
* ``rec_A``, ``rec_B``: mean |G_BA(G_AB(a)) − a| in [-1, 1] units, and the same from B;
* ``colour_shift``: how far A → B moves each object's hue (0 = kept);
* ``mask_iou``: how well the object keeps its place and shape under A → B (1 = unchanged).
"""

from __future__ import annotations

import argparse
import time

import torch

from nstlib.cyclegan_train import CycleGANConfig, CycleGANTrainer
from nstlib.toy_cyclegan import domain_sampler, evaluate, held_out_batches, toy_cyclegan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--every", type=float, default=30)
    parser.add_argument("--pair", default="texture", choices=["texture", "geometry"])
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="lesson 04 uses 1 on a CPU")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    trainer = CycleGANTrainer(*toy_cyclegan(seed=0), CycleGANConfig())
    sample_A = domain_sampler(args.pair, "A", seed=1)
    sample_B = domain_sampler(args.pair, "B", seed=2)
    test_A, test_B = held_out_batches(args.pair)
    print(
        f"{args.pair} pair, 32 px, batch {args.batch_size}, lesson 04's toy CycleGAN, "
        f"{torch.get_num_threads()} threads, {args.seconds:.0f} s budget"
    )
    header = [
        "seconds",
        "steps",
        *evaluate(trainer.G_AB, trainer.G_BA, args.pair, test_A, test_B)._fields,
    ]
    print("  ".join(f"{h:>12}" for h in header))
    start, next_report = time.perf_counter(), 0.0
    while True:
        elapsed = time.perf_counter() - start
        if elapsed >= next_report or elapsed >= args.seconds:
            with torch.no_grad():
                scores = evaluate(trainer.G_AB, trainer.G_BA, args.pair, test_A, test_B)
            values = [f"{elapsed:12.0f}", f"{trainer.step_count:12d}"]
            print("  ".join(values + [f"{v:12.3f}" for v in scores]), flush=True)
            next_report += args.every
            if elapsed >= args.seconds:
                break
        trainer.step(sample_A(args.batch_size), sample_B(args.batch_size))


if __name__ == "__main__":
    main()
