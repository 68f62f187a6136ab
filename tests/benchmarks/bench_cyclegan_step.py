"""Benchmark: nstlib's CycleGAN training step, per precision, against the plain reference step.

    .venv/bin/python tests/benchmarks/bench_cyclegan_step.py [--sizes 128 256] [--repeats 3]
        [--precisions auto fp32 bf16] [--threads 1] [--loss-steps 50] [--loss-size 64]

**Speed.** The baseline is the reference's ``optimize_parameters`` written out with plain torch
(fp32, NCHW; the same update as ``test_step_matches_a_hand_written_reference_step``), on the
reference networks (9 blocks, ngf = ndf = 64), batch 1, pools off. Each nstlib precision runs
:class:`CycleGANTrainer.step` on copies of the same networks and inputs, and so does the plain
step in ``channels_last``. Timings are CPU seconds of this process (``time.process_time``, robust
to other load on a shared machine; on CUDA, wall seconds after a synchronise), one warm-up step
each, then ``repeats`` rounds that interleave all variants. The median is printed with its ratio
to the plain fp32 step (above 1 = faster).

**Accuracy.** For each precision other than fp32, ``loss-steps`` training steps from the same
weights and batches at ``loss-size`` px, compared with fp32: the mean of the total generator loss
and of the total discriminator loss over the last 10 steps must lie within ``TOLERANCE`` (10 %)
of fp32's. GAN training is chaotic, so single-step losses drift apart in any precision; the
mean over steps is what a user sees in ``losses.csv``.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
import torch.nn.functional as F

from nstlib.cyclegan import ResnetGenerator, init_weights
from nstlib.cyclegan_train import CycleGANConfig, CycleGANTrainer
from nstlib.patchgan import PatchDiscriminator
from nstlib.precision import choose_precision

TOLERANCE = 0.10


def networks(seed: int = 0) -> list[torch.nn.Module]:
    torch.manual_seed(seed)
    return [init_weights(ResnetGenerator()) for _ in "AB"] + [
        init_weights(PatchDiscriminator()) for _ in "AB"
    ]


def plain_step(nets, opt_G, opt_D, a, b) -> None:
    """cycle_gan_model.py's optimize_parameters with plain torch: G_A/G_B, then D_A/D_B."""
    G_AB, G_BA, D_A, D_B = nets
    fake_B, fake_A = G_AB(a), G_BA(b)
    rec_A, rec_B = G_BA(fake_B), G_AB(fake_A)
    for p in [*D_A.parameters(), *D_B.parameters()]:
        p.requires_grad_(False)
    p_B, p_A = D_B(fake_B), D_A(fake_A)
    loss_G = (
        F.mse_loss(p_B, torch.ones_like(p_B))
        + F.mse_loss(p_A, torch.ones_like(p_A))
        + 10 * F.l1_loss(rec_A, a)
        + 10 * F.l1_loss(rec_B, b)
        + 5 * F.l1_loss(G_AB(b), b)
        + 5 * F.l1_loss(G_BA(a), a)
    )
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    for p in [*D_A.parameters(), *D_B.parameters()]:
        p.requires_grad_(True)
    opt_D.zero_grad()
    loss_D = 0.0
    for D, real, fake in ((D_A, a, fake_A), (D_B, b, fake_B)):
        pr, pf = D(real), D(fake.detach())
        loss_D = loss_D + 0.5 * (
            F.mse_loss(pr, torch.ones_like(pr)) + F.mse_loss(pf, torch.zeros_like(pf))
        )
    loss_D.backward()
    opt_D.step()


def variants(device: torch.device, precisions: list[str]) -> dict:
    """name → a function running one step on (a, b); all start from the same weights."""
    base = networks()
    found = {}

    def plain(memory_format):
        nets = [copy.deepcopy(n).to(device, memory_format=memory_format) for n in base]
        opt_G = torch.optim.Adam(
            [*nets[0].parameters(), *nets[1].parameters()], 2e-4, betas=(0.5, 0.999)
        )
        opt_D = torch.optim.Adam(
            [*nets[2].parameters(), *nets[3].parameters()], 2e-4, betas=(0.5, 0.999)
        )
        return lambda a, b: plain_step(
            nets, opt_G, opt_D, *(x.contiguous(memory_format=memory_format) for x in (a, b))
        )

    found["plain fp32 (reference)"] = plain(torch.contiguous_format)
    found["plain fp32 channels_last"] = plain(torch.channels_last)
    for requested in precisions:
        precision = choose_precision(device, requested)
        trainer = CycleGANTrainer(
            *(copy.deepcopy(n) for n in base), CycleGANConfig(pool_size=0), device, precision
        )
        found[f"nstlib {requested} (= {precision.name})"] = trainer.step
    return found


def timed(step, a, b, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
        start = time.perf_counter()
        step(a, b)
        torch.cuda.synchronize()
        return time.perf_counter() - start
    start = time.process_time()
    step(a, b)
    return time.process_time() - start


def speed(size: int, device: torch.device, precisions: list[str], repeats: int) -> None:
    g = torch.Generator().manual_seed(1)
    a, b = ((torch.rand(1, 3, size, size, generator=g) * 2 - 1).to(device) for _ in "AB")
    steps = variants(device, precisions)
    for step in steps.values():
        timed(step, a, b, device)  # warm-up: allocations, kernel selection
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            times[name].append(timed(step, a, b, device))
    baseline = statistics.median(times["plain fp32 (reference)"])
    print(f"\n{size}×{size}, batch 1, {device}, median of {repeats}:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:32s} {median:8.3f} s/step   speed-up ×{baseline / median:.2f}")


def accuracy(size: int, device: torch.device, precisions: list[str], steps: int) -> None:
    g = torch.Generator().manual_seed(2)
    batches = [
        [(torch.rand(1, 3, size, size, generator=g) * 2 - 1) for _ in "AB"] for _ in range(steps)
    ]
    means = {}
    for requested in ["fp32", *[p for p in precisions if p != "fp32"]]:
        precision = choose_precision(device, requested)
        trainer = CycleGANTrainer(*networks(), CycleGANConfig(pool_size=0), device, precision)
        history = [trainer.step(a, b) for a, b in batches]
        last = history[-10:]
        means[requested] = (
            statistics.mean(sum(h[k] for k in h if not k.startswith("D")) for h in last),
            statistics.mean(h["D_A"] + h["D_B"] for h in last),
        )
    print(f"\nlosses after {steps} steps at {size}×{size} (mean of the last 10 steps):")
    for requested, (loss_G, loss_D) in means.items():
        rel = max(abs(loss_G / means["fp32"][0] - 1), abs(loss_D / means["fp32"][1] - 1))
        verdict = (
            ""
            if requested == "fp32"
            else f"  vs fp32 {rel:.1%} ({'within' if rel <= TOLERANCE else 'OUTSIDE'} {TOLERANCE:.0%})"
        )
        print(f"  {requested:6s} G {loss_G:.4f}  D {loss_D:.4f}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--precisions", nargs="+", default=["auto", "fp32", "bf16"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads on a CPU")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: best)")
    parser.add_argument("--loss-steps", type=int, default=50, help="0 skips the accuracy check")
    parser.add_argument("--loss-size", type=int, default=64)
    args = parser.parse_args()
    from nstlib.runtime import resolve_device

    device = resolve_device(args.device)
    torch.set_num_threads(args.threads)
    print(f"device {device}, {torch.get_num_threads()} thread(s), torch {torch.__version__}")
    for size in args.sizes:
        speed(size, device, args.precisions, args.repeats)
    if args.loss_steps:
        accuracy(args.loss_size, device, args.precisions, args.loss_steps)


if __name__ == "__main__":
    main()
