"""The lesson 03 checkers name each typical mistake and accept equivalent right answers.

That every checker passes the reference and fails the stub is tested in test_exercises.py.
"""

from __future__ import annotations

import pytest

from nstlib.exercises.patchgan import (
    check_patchgan_layers,
    check_receptive_field,
    patchgan_layers_reference,
)
from nstlib.patchgan import receptive_field


def solution_rf(layers):
    rf = 1
    for kernel, stride in reversed(layers):
        rf = (rf - 1) * stride + kernel
    return rf


def solution_layers(n_layers):
    return [(4, 2)] * n_layers + [(4, 1), (4, 1)]


def walk(layers, step, start=1, backwards=True):
    rf = start
    for kernel, stride in reversed(layers) if backwards else layers:
        rf = step(rf, kernel, stride)
    return rf


def test_reference_layers_give_the_known_receptive_fields():
    rfs = [receptive_field(patchgan_layers_reference(n)) for n in range(1, 6)]
    assert rfs == [16, 34, 70, 142, 286]
    assert receptive_field([(4, 2)] * 5) == 94


def test_receptive_field_passes_on_the_solution():
    result = check_receptive_field(solution_rf)
    assert result.passed, str(result)
    assert str(result).startswith("PASS receptive_field")
    assert "16, 34, 70, 142, 286" in str(result)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda L: walk(L, lambda rf, k, s: (rf - 1) * 2 + k), "every conv had stride 2"),
        (lambda L: walk(L, lambda rf, k, s: (rf - 1) * s + k, backwards=False), "walk *back*"),
        (lambda L: walk(L, lambda rf, k, s: rf * s + k), "forgot the − 1"),
        (lambda L: walk(L, lambda rf, k, s: (rf - 1) * s + k, start=0), "start from RF = 1"),
        (lambda L: walk(L, lambda rf, k, s: rf + k - 1), "the strides matter"),
        (lambda L: float(solution_rf(L)), "not an int"),
        (lambda L: 70, "expected 16"),  # only knows the 3-layer PatchGAN
        (lambda L: solution_rf(L) + 1, "RF = (RF − 1)·stride + kernel"),
        (lambda L: L[0], "crashed"),
    ],
)
def test_receptive_field_names_the_mistake(wrong, hint):
    result = check_receptive_field(wrong)
    assert not result.passed
    if hint == "crashed":
        assert "not an int" in str(result), str(result)
    else:
        assert hint in str(result), str(result)


def test_receptive_field_reports_94_for_the_all_stride_2_mistake():
    result = check_receptive_field(lambda L: walk(L, lambda rf, k, s: (rf - 1) * 2 + k))
    assert "you got 94, expected 70" in str(result)


def test_patchgan_layers_passes_on_the_solution():
    result = check_patchgan_layers(solution_layers)
    assert result.passed, str(result)
    assert str(result).startswith("PASS patchgan_layers")


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda n: [(4, 2)] * (n + 2), "RF 94 instead of 70"),
        (lambda n: [(4, 2)] * n + [(4, 1)], "4 convs instead of 5"),
        (lambda n: [(4, 2)] * (n + 1) + [(4, 1), (4, 1)], "n_layers counts the stride-2 convs"),
        (lambda n: [(3, 2)] * n + [(3, 1), (3, 1)], "every kernel is 4×4"),
        (lambda n: 70, "list of (kernel, stride) tuples"),
        (lambda n: [(4, 2, 1)] * n + [(4, 1, 1)] * 2, "list of (kernel, stride) tuples"),
        (lambda n: {}[n], "KeyError"),
    ],
)
def test_patchgan_layers_names_the_mistake(wrong, hint):
    result = check_patchgan_layers(wrong)
    assert not result.passed
    assert hint in str(result), str(result)


def test_all_stride_2_layers_report_rf_94_at_three_layers():
    result = check_patchgan_layers(lambda n: [(4, 2)] * (n + 2))
    assert "for n_layers=3" in str(result) and "(RF 94)" in str(result)
