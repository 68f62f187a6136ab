"""Checkers for lesson 02 (residual blocks).

* :func:`check_residual_forward`: the block's forward pass ``y = x + F(x)``, no ReLU after the sum.
* :func:`check_cyclegan_branch`: the branch ``F`` exactly as CycleGAN builds it: reflection pad,
  3×3 conv, instance norm, ReLU, reflection pad, 3×3 conv, instance norm.

Both run the student's code on small fixed inputs, compare with :class:`nstlib.blocks.ResidualBlock`
and, when the answer is wrong, compare it with the usual mistakes (a ReLU after the sum, a
forgotten skip, zero padding, batch norm...) to name the likely one in the hint. Both also compare
the gradient that reaches the input and the weights, so a detached answer does not pass.

The student's branch may be any module, its layers registered in any order: the checker records
the order in which its convs *run* and copies their weights into the reference in that order.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from nstlib.blocks import Norm, Padding, ResidualBlock
from nstlib.exercises import CheckResult, Mismatch, expect_close, name_mistake, run_check
from nstlib.exercises.gradients import expect_gradient

TOLERANCE = 1e-5
CHANNELS = 4


class _BlockUnderTest(ResidualBlock):
    """The reference block, except that calling it is refused: the exercise *is* its forward."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise Mismatch(
            "your function called block(x), which runs nstlib's answer.",
            "build the output yourself from block.branch, the branch F.",
        )


def _reference_block(seed: int, channels: int = CHANNELS) -> ResidualBlock:
    """A block with fixed random weights."""
    torch.manual_seed(seed)
    return _BlockUnderTest(channels)


def check_residual_forward(
    residual_forward: Callable[[ResidualBlock, torch.Tensor], torch.Tensor],
) -> CheckResult:
    """Check ``residual_forward(block, x)`` against ``ResidualBlock.forward``: ``x + block.branch(x)``.

    ``x`` is ``[B, C, H, W]``; the result has the same shape and may be negative (no ReLU after
    the sum). The student's function must not change ``x`` in place.
    """

    def body() -> str:
        rng = torch.Generator().manual_seed(2)
        shapes = [(2, CHANNELS, 8, 8), (1, CHANNELS, 5, 7), (3, CHANNELS, 6, 6)]
        for seed, shape in enumerate(shapes):
            block = _reference_block(seed)
            x_leaf = torch.randn(shape, generator=rng).requires_grad_(True)
            x = x_leaf.clone()  # not a leaf: an in-place `x += ...` runs, and is caught below
            branch = block.branch(x_leaf)
            expected = x_leaf + branch
            x_before = x.detach().clone()
            actual = residual_forward(block, x)
            if not torch.equal(x.detach(), x_before):
                raise Mismatch(
                    "your function changed its input x in place.",
                    "write `x + block.branch(x)`, not `x += ...`: the caller still needs x.",
                )
            mistakes = {
                "there is no ReLU after the sum in CycleGAN's block: return x + F(x) as it is, "
                "so the block can output negative values.": torch.relu(expected),
                "you returned F(x) only: add the skip connection, x + block.branch(x).": branch,
                "you returned x only: add the branch's output, x + block.branch(x).": x,
                "you added x twice: block.branch(x) already excludes x, so return "
                "x + block.branch(x).": 2 * x + branch,
                "you subtracted the branch: the block is x + F(x).": x - branch,
                "no ReLU on the branch's output either: F ends with instance norm.": x
                + torch.relu(branch),
            }
            what = f"the output for x of shape {list(shape)}"
            name_mistake(actual, expected, mistakes, what, atol=1e-4)
            expect_close(
                actual,
                expected,
                what,
                "return x + block.branch(x), with nothing applied after the sum.",
                atol=TOLERANCE,
            )
            expect_gradient(
                actual,
                expected,
                {"x": x_leaf, "block.branch's weights": list(block.branch.parameters())},
                what,
            )
        return f"matches nstlib's ResidualBlock on {len(shapes)} random inputs."

    return run_check("residual_forward", body)


def _reference_branch(
    convs: list[nn.Conv2d],
    *,
    norm: Norm = "instance",
    padding: Padding = "reflect",
    relu_middle: bool = True,
    relu_end: bool = False,
) -> nn.Module:
    """The reference branch (or a known variant of it) carrying the student's conv weights."""
    channels = convs[0].in_channels
    branch = ResidualBlock(channels, norm=norm, padding=padding).branch
    ours = [m for m in branch if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        for mine, theirs in zip(ours, convs, strict=True):
            mine.weight.copy_(theirs.weight)
            if mine.bias is not None:
                mine.bias.copy_(theirs.bias if theirs.bias is not None else 0.0)
    layers = list(branch)
    if not relu_middle:
        layers = [m for m in layers if not isinstance(m, nn.ReLU)]
    if relu_end:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _convs_in_execution_order(branch: nn.Module, x: torch.Tensor) -> list[nn.Conv2d]:
    """The branch's ``Conv2d`` modules in the order its forward pass runs them (one per call).

    Registration order (``branch.modules()``) is how the student happened to write ``__init__``;
    only the order of the calls says which conv comes first in the computation.
    """
    ran: list[nn.Conv2d] = []
    hooks = [
        m.register_forward_hook(lambda module, inputs, output: ran.append(module))
        for m in branch.modules()
        if isinstance(m, nn.Conv2d)
    ]
    try:
        with torch.no_grad():
            branch(x)
    finally:
        for hook in hooks:
            hook.remove()
    return ran


def check_cyclegan_branch(make_branch: Callable[[int], nn.Module]) -> CheckResult:
    """Check ``make_branch(channels)`` against ``ResidualBlock(channels).branch``.

    The branch maps ``[B, C, H, W] → [B, C, H, W]``: reflection pad 1, conv 3×3 (with bias),
    ``InstanceNorm2d`` (no affine, no running stats), ReLU, reflection pad 1, conv 3×3,
    ``InstanceNorm2d``. The checker copies the student's two conv weights into the reference, in
    the order the student's forward runs them, so that both compute with the same numbers; it
    compares outputs in training and in eval mode, and the gradients.
    """

    def body() -> str:
        channels = CHANNELS
        torch.manual_seed(3)
        branch = make_branch(channels)
        if not isinstance(branch, nn.Module):
            raise Mismatch(
                f"make_branch should return an nn.Module, got {type(branch).__name__}.",
                "return nn.Sequential(pad, conv, norm, ReLU, pad, conv, norm).",
            )
        convs = [m for m in branch.modules() if isinstance(m, nn.Conv2d)]
        shapes = [tuple(c.weight.shape) for c in convs]
        if shapes != [(channels, channels, 3, 3)] * 2:
            raise Mismatch(
                f"expected two 3×3 convs from {channels} to {channels} channels; "
                f"found conv weights of shapes {shapes}.",
                "use nn.Conv2d(channels, channels, kernel_size=3) twice.",
            )
        if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in branch.modules()):
            raise Mismatch(
                "the branch uses batch norm.",
                "CycleGAN trains with batch size 1: use nn.InstanceNorm2d(channels), which "
                "normalises each image on its own.",
            )
        running = [
            m
            for m in branch.modules()
            if isinstance(m, nn.InstanceNorm2d) and m.track_running_stats
        ]
        if running:
            raise Mismatch(
                "an nn.InstanceNorm2d keeps running statistics (track_running_stats=True).",
                "keep the default track_running_stats=False: in eval mode running averages would "
                "replace each image's own statistics, and the generator would change its output.",
            )
        expected_params = 2 * (9 * channels**2 + channels)
        n_params = sum(p.numel() for p in branch.parameters())
        if n_params != expected_params:
            no_bias = any(c.bias is None for c in convs)
            hint = (
                "keep the conv bias (bias=True, the default): the reference keeps it with "
                "instance norm, and its parameter count counts it."
                if no_bias
                else "use nn.InstanceNorm2d(channels) with its defaults (affine=False): the "
                "reference's norm has no learned scale and shift."
            )
            raise Mismatch(f"{n_params} parameters, expected {expected_params}.", hint)

        rng = torch.Generator().manual_seed(4)
        x = torch.randn(2, channels, 10, 12, generator=rng)
        ran = _convs_in_execution_order(branch, x)
        if len(ran) != 2 or len(set(ran)) != 2:
            raise Mismatch(
                f"your forward ran {len(ran)} conv call(s) on {len(set(ran))} different conv(s).",
                "call each of the two convs exactly once: pad, conv1, norm, ReLU, pad, conv2, norm.",
            )
        convs = ran
        reference = _reference_branch(convs)
        with torch.no_grad():
            actual = branch(x)
            expected = reference(x)
            mistakes = {
                "zero padding (padding=1 in the conv) sees a black frame around the image: pad "
                "with nn.ReflectionPad2d(1) and give the conv padding=0.": _reference_branch(
                    convs, padding="zero"
                )(x),
                "replication padding repeats the edge pixel; CycleGAN mirrors it with "
                "nn.ReflectionPad2d(1).": _reference_branch(convs, padding="replicate")(x),
                "the branch ends with instance norm, not a ReLU: the correction F(x) must be able "
                "to be negative.": _reference_branch(convs, relu_end=True)(x),
                "put a ReLU between the two convs (after the first instance norm).": (
                    _reference_branch(convs, relu_middle=False)(x)
                ),
                "add nn.InstanceNorm2d(channels) after each conv.": _reference_branch(
                    convs, norm="none"
                )(x),
            }
        if isinstance(actual, torch.Tensor) and actual.shape[-2:] != x.shape[-2:]:
            raise Mismatch(
                f"the output has size {list(actual.shape[-2:])}, expected {list(x.shape[-2:])}.",
                "pad each 3×3 conv by 1 pixel (nn.ReflectionPad2d(1)) so H and W are kept.",
            )
        name_mistake(actual, expected, mistakes, "the branch's output", atol=1e-4)
        expect_close(
            actual,
            expected,
            "the branch's output",
            "the order is pad, conv, instance norm, ReLU, pad, conv, instance norm.",
            atol=1e-4,
        )
        x_leaf = x.clone().requires_grad_(True)
        expect_gradient(
            branch(x_leaf),
            reference(x_leaf),
            {"x": x_leaf, "the convs' weights": [p for c in convs for p in c.parameters()]},
            "the branch's output",
            reference_inputs={
                "x": x_leaf,
                "the convs' weights": [
                    p for m in reference if isinstance(m, nn.Conv2d) for p in m.parameters()
                ],
            },
        )
        was_training = branch.training
        branch.eval()
        reference.eval()
        with torch.no_grad():
            in_eval = branch(x)
        branch.train(was_training)  # the student's module is theirs: leave its mode as it was
        with torch.no_grad():
            expect_close(
                in_eval,
                reference(x),
                "the branch's output in eval mode",
                "use layers that behave the same in training and in eval mode: instance norm "
                "with its defaults, no dropout.",
                atol=1e-4,
            )
        return (
            f"same layers and outputs as ResidualBlock({channels}).branch "
            f"({n_params} parameters = 2·(9·{channels}² + {channels}))."
        )

    return run_check("cyclegan_branch", body)
