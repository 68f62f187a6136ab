"""Benchmark: nstlib's Gatys step against a plain, tutorial-style loop on the same input.

    .venv/bin/python tests/benchmarks/bench_gatys.py [--size 256] [--steps 20] [--repeats 3]

Both run L-BFGS (one function evaluation per step) on the same photo, painting, backbone, layers
and weights. The plain loop is what the PyTorch tutorial writes by hand: walk the VGG layers,
keep the outputs at the chosen indices, Gram by ``view`` and ``mm``, MSE losses. nstlib adds
names, checks, a loss history (with one extra evaluation of the returned image) and a progress
bar; this measures what they cost. Both timings include computing the targets, as
``StylizeResult.seconds`` does. The two are interleaved ``repeats`` times because the machines
are noisy; the script prints the median of each and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from nstlib.backbones import load_backbone
from nstlib.data import resolve_image
from nstlib.images import resize_longer_side
from nstlib.stylize import stylize

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def plain_gatys(features, indices, photo, painting, steps, style_weight):
    """The hand-written loop: returns seconds per step."""
    content_index, style_indices = indices
    deepest = max(content_index, *style_indices)

    def run(x):
        outputs, h = {}, (x - MEAN) / STD
        for i, layer in enumerate(features[: deepest + 1]):
            h = layer(h)
            outputs[i] = h
        return outputs

    def gram(t):
        b, c, hh, ww = t.shape
        flat = t.view(c, hh * ww)
        return flat @ flat.t() / (c * hh * ww)

    start = time.perf_counter()  # the same scope as StylizeResult.seconds: targets included
    with torch.no_grad():
        content_target = run(photo)[content_index]
        style_targets = {i: gram(f) for i, f in run(painting).items() if i in style_indices}
    x = photo.clone(memory_format=torch.contiguous_format).requires_grad_(True)
    opt = torch.optim.LBFGS([x], max_iter=1, history_size=50, tolerance_grad=0, tolerance_change=0)

    def closure():
        opt.zero_grad()
        out = run(x)
        loss = F.mse_loss(out[content_index], content_target)
        loss = loss + style_weight * sum(
            F.mse_loss(gram(out[i]), style_targets[i]) for i in style_indices
        )
        loss.backward()
        return loss

    for _ in range(steps):
        opt.step(closure)
        with torch.no_grad():
            x.clamp_(0, 1)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    backbone = load_backbone("auto", "cpu")
    photo = resize_longer_side(resolve_image("chelsea"), args.size)
    painting = resize_longer_side(resolve_image("swirl"), args.size)
    names = backbone.layers
    indices = (names[backbone.content_layers[0]], [names[n] for n in backbone.style_layers])
    print(f"backbone: {backbone.name}")
    print(
        f"photo {list(photo.shape)}, {args.steps} L-BFGS steps, {torch.get_num_threads()} threads"
    )

    ours, plain = [], []
    for _ in range(args.repeats):
        result = stylize(
            photo,
            painting,
            steps=args.steps,
            size=None,
            backbone=backbone,
            device="cpu",
            progress=False,
        )
        ours.append(result.seconds / args.steps)
        plain.append(
            plain_gatys(
                backbone.features, indices, photo, painting, args.steps, backbone.style_weight
            )
        )
    ours_ms, plain_ms = 1000 * statistics.median(ours), 1000 * statistics.median(plain)
    print(f"nstlib.stylize : {ours_ms:7.1f} ms/step  (runs: {[round(1000 * t) for t in ours]})")
    print(f"plain loop     : {plain_ms:7.1f} ms/step  (runs: {[round(1000 * t) for t in plain]})")
    print(f"ratio nstlib / plain: {ours_ms / plain_ms:.2f}")


if __name__ == "__main__":
    main()
