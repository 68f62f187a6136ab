"""Checkers for lesson 03 (the PatchGAN's receptive field).

* :func:`check_receptive_field`: the arithmetic ``RF_in = (RF_out − 1)·stride + k``, walked back
  from one output cell, for a list of ``(kernel, stride)`` convs.
* :func:`check_patchgan_layers`: the ``(kernel, stride)`` list of ``PatchDiscriminator(n_layers)``.

Both compare with values read from the model itself (:func:`nstlib.patchgan.conv_layers` and
:func:`nstlib.patchgan.receptive_field`) for ``n_layers`` 1…5 (receptive fields 16, 34, 70, 142,
286) and recognise the usual mistakes: walking forward, forgetting the ``− 1``, and giving every
conv stride 2 (receptive field 94 instead of 70).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import torch

from nstlib.exercises import CheckResult, Mismatch, run_check
from nstlib.patchgan import PatchDiscriminator, conv_layers, receptive_field

# The depths checked, n_layers = 3 first: there every typical mistake gives a different wrong
# answer, and the all-stride-2 one gives the well-known 94.
CHECK_ORDER = (3, 1, 2, 4, 5)
# Chains other than the PatchGAN, so a function that only knows the PatchGAN does not pass.
OTHER_CHAINS: tuple[tuple[tuple[int, int], ...], ...] = (
    ((3, 1), (3, 1), (3, 1)),  # three 3×3 convs: 7
    ((7, 1), (3, 2), (3, 2), (3, 1)),  # CycleGAN's generator stem and a block conv: 19
    ((2, 2), (2, 2), (2, 2)),  # non-overlapping 2×2 windows: 8
)


def patchgan_layers_reference(n_layers: int) -> list[tuple[int, int]]:
    """``(kernel, stride)`` of each conv of ``PatchDiscriminator(n_layers=n_layers)``, read from it."""
    model = PatchDiscriminator(ndf=1, n_layers=n_layers, norm="none")
    return [(kernel, stride) for kernel, stride, _ in conv_layers(model)]


def _walk(
    layers: Sequence[tuple[int, int]],
    step: Callable[[int, int, int], int],
    *,
    start: int = 1,
    backwards: bool = True,
) -> int:
    """Apply ``rf = step(rf, kernel, stride)`` over the layers: the right walk and wrong ones."""
    rf = start
    for kernel, stride in reversed(list(layers)) if backwards else layers:
        rf = step(rf, kernel, stride)
    return rf


def _forward_walk(layers: Sequence[tuple[int, int]], *, jump_first: bool) -> int:
    """The forward walk ``rf += (k − 1)·jump; jump *= s``, or with the jump updated too early."""
    rf, jump = 1, 1
    for kernel, stride in layers:
        if jump_first:
            jump *= stride
        rf += (kernel - 1) * jump
        if not jump_first:
            jump *= stride
    return rf


def _as_int(actual: object, layers: list[tuple[int, int]]) -> int:
    """The student's answer as a Python int, accepting any integer type (numpy's included)."""
    if isinstance(actual, numbers.Integral) and not isinstance(actual, bool):
        return int(actual)
    answer = f"for layers={layers} your function returned {actual!r} ({type(actual).__name__})"
    if isinstance(actual, torch.Tensor):
        raise Mismatch(
            f"{answer}, a tensor.",
            "the receptive field is plain arithmetic on ints: return a Python int, e.g. int(rf).",
        )
    if isinstance(actual, numbers.Real) and not isinstance(actual, bool):
        raise Mismatch(
            f"{answer}, not an int.",
            "/ always gives a float in Python 3: keep ints with // or int(...), and return an int.",
        )
    raise Mismatch(f"{answer}, not an int.", "return the side of the square as a Python int.")


def _mistakes(layers: Sequence[tuple[int, int]]) -> dict[int, str]:
    """The wrong answers for ``layers`` that typical mistakes give, each with its hint."""
    wrong = {
        _walk(layers, lambda rf, k, s: (rf - 1) * 2 + k): (
            "that is the answer if every conv had stride 2 (94 for the PatchGAN): use each "
            "layer's own stride; the PatchGAN's last two convs have stride 1."
        ),
        _walk(layers, lambda rf, k, s: (rf - 1) * s + k, backwards=False): (
            "walk *back* from one output cell: loop over reversed(layers), from the last conv "
            "to the first."
        ),
        _walk(layers, lambda rf, k, s: rf * s + k): (
            "you forgot the − 1: RF_in = (RF_out − 1)·stride + kernel (RF_out cells span "
            "RF_out − 1 strides, plus one kernel)."
        ),
        _walk(layers, lambda rf, k, s: (rf - 1) * s + k, start=0): (
            "start from RF = 1 (one output cell), not 0."
        ),
        _walk(layers, lambda rf, k, s: rf + k - 1): (
            "the strides matter: after a stride-s conv one step in the output is s steps in the "
            "input, so multiply (RF_out − 1) by the stride."
        ),
        _walk(layers, lambda rf, k, s: (rf - 1 + k) * s): (
            "you multiplied by the stride after adding the kernel: it is the *output* span "
            "(RF_out − 1) that the stride stretches, RF_in = (RF_out − 1)·stride + kernel."
        ),
        _forward_walk(layers, jump_first=True): (
            "walking forward, a conv's kernel adds (k − 1)·jump with the jump of the layers "
            "*before* it: update jump *= stride after adding the kernel term, not before."
        ),
    }
    wrong.pop(receptive_field(list(layers)), None)  # a "mistake" that happens to be right here
    return wrong


def check_receptive_field(fn: Callable[[list[tuple[int, int]]], int]) -> CheckResult:
    """Check ``fn(layers)``: the receptive field of a chain of ``(kernel, stride)`` convs.

    ``layers`` is listed from the input to the output; the answer is an integer (a Python or
    numpy int), the side in input pixels of the square one output cell sees. Checked on the PatchGAN for ``n_layers``
    1…5 (16, 34, 70, 142, 286, from the model's own convs) and on three other chains.
    """

    def body() -> str:
        cases = [patchgan_layers_reference(n) for n in CHECK_ORDER] + [
            list(c) for c in OTHER_CHAINS
        ]
        for layers in cases:
            expected = receptive_field(layers)
            actual = _as_int(fn([tuple(layer) for layer in layers]), layers)
            if actual != expected:
                hint = _mistakes(layers).get(
                    actual,
                    "start from RF = 1 and apply RF = (RF − 1)·stride + kernel from the "
                    "last conv back to the first.",
                )
                raise Mismatch(f"for layers={layers} you got {actual}, expected {expected}.", hint)
        return (
            "matches the model-derived receptive fields 16, 34, 70, 142, 286 for "
            f"n_layers = 1…5 and {len(OTHER_CHAINS)} other conv chains."
        )

    return run_check("receptive_field", body)


def check_patchgan_layers(fn: Callable[[int], list[tuple[int, int]]]) -> CheckResult:
    """Check ``fn(n_layers)``: the ``(kernel, stride)`` of each conv of the PatchGAN, in order.

    ``PatchDiscriminator(n_layers)`` has ``n_layers + 2`` 4×4 convs: ``n_layers`` with stride 2
    (the first conv counts), then a stride-1 conv to ``8·ndf`` features and a stride-1 conv to
    one channel. Checked for ``n_layers`` 1…5 against the model's own convs.
    """

    def body() -> str:
        for n in CHECK_ORDER:
            expected = patchgan_layers_reference(n)
            actual = fn(n)
            try:
                actual = [tuple(int(v) for v in layer) for layer in actual]
                if any(len(layer) != 2 for layer in actual):
                    raise ValueError
            except (TypeError, ValueError):
                raise Mismatch(
                    f"for n_layers={n} your function returned {actual!r}.",
                    "return a list of (kernel, stride) tuples, e.g. [(4, 2), (4, 2), …].",
                ) from None
            if actual == expected:
                continue
            what = (
                f"for n_layers={n} you gave {actual} (RF {_safe_rf(actual)}), expected {expected}"
            )
            if actual == [(4, 2)] * (n + 2):
                raise Mismatch(
                    f"{what}.",
                    "every conv has stride 2 here, the common mistake (RF 94 instead of 70 for "
                    "n_layers = 3): the last two convs keep the resolution, stride 1.",
                )
            if len(actual) != n + 2:
                raise Mismatch(
                    f"{what}: {len(actual)} convs instead of {n + 2}.",
                    "n_layers counts the stride-2 convs, the first one included; then come a "
                    "stride-1 conv to 8·ndf features and the stride-1 conv to one channel.",
                )
            raise Mismatch(f"{what}.", "every kernel is 4×4; strides are n_layers × 2, then 1, 1.")
        return "same convs as PatchDiscriminator(n_layers) for n_layers = 1…5."

    return run_check("patchgan_layers", body)


def _safe_rf(layers: list[tuple[int, ...]]) -> str:
    try:
        return str(receptive_field(layers))
    except Exception:  # noqa: BLE001  (a malformed list has no receptive field to report)
        return "undefined"
