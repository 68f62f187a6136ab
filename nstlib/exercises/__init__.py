"""Checkers for the lessons' exercises.

Each lesson's exercises are checked against nstlib's reference by a function in this package
(one module per lesson topic). A checker takes the student's function or class, runs it on small
fixed inputs, and returns a :class:`CheckResult` that prints one line::

    PASS gram_matrix: matches the reference on 3 random feature maps.
    FAIL gram_matrix: values differ from the reference (max error 12.5).
         Hint: did you divide by C·H·W? This exercise asks for the raw sum.

Checkers never raise: a missing solution (``NotImplementedError``), a wrong shape or a crash all
become a FAIL with a hint that names the likely mistake; a crash also shows the student's own line
that raised it (:mod:`nstlib.exercises.tracebacks`). Checkers of answers that feed training compare
gradients as well as values (:mod:`nstlib.exercises.gradients`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from nstlib.exercises.tracebacks import crash_report

# .item() (or float()) is the usual way a loss stops being a tensor: say so instead of a formula.
ITEM_HINT = "return the tensor itself: .item() turns it into a plain number and cuts the gradient."


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one exercise check; prints as a PASS/FAIL line (plus a hint on FAIL)."""

    name: str
    passed: bool
    message: str
    hint: str = ""

    def __str__(self) -> str:
        line = f"{'PASS' if self.passed else 'FAIL'} {self.name}: {self.message}"
        return f"{line}\n     Hint: {self.hint}" if self.hint else line

    def __repr__(self) -> str:  # the notebook shows the same line as print()
        return str(self)

    def __bool__(self) -> bool:
        return self.passed


class Mismatch(Exception):
    """Raised inside a checker body to report a FAIL with a hint."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def run_check(name: str, body: Callable[[], str]) -> CheckResult:
    """Run a checker body; its return value is the PASS message, a :class:`Mismatch` is a FAIL.

    The body may seed and draw random inputs freely: the student's global random state is
    restored afterwards, so checking an exercise never changes the lesson's later results. It runs
    on one CPU thread: its inputs are tiny, and on a busy 2-core machine extra threads made the
    CycleGAN checks 20 times slower (measured); the thread count is restored afterwards too.
    Autograd is switched on for the body, so that a notebook running under ``torch.no_grad()``
    cannot make a right answer fail the gradient comparison.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]), torch.enable_grad():
            return CheckResult(name, True, body())
    except NotImplementedError:
        return CheckResult(
            name,
            False,
            "not implemented yet.",
            "replace `raise NotImplementedError` with your code.",
        )
    except Mismatch as exc:
        return CheckResult(name, False, exc.message, exc.hint)
    except Exception as exc:  # a student's crash is a FAIL naming their line, never a traceback
        return CheckResult(name, False, *crash_report(exc))
    finally:
        torch.set_num_threads(threads)


def _close(actual: object, reference: torch.Tensor, atol: float, rtol: float) -> bool:
    """``actual`` is a tensor with ``reference``'s values (a one-element result may be any shape)."""
    if not isinstance(actual, torch.Tensor) or actual.numel() != reference.numel():
        return False
    if actual.shape != reference.shape and actual.numel() != 1:
        return False
    values = actual.detach().float().reshape(reference.shape)
    return torch.allclose(values, reference.float(), atol=atol, rtol=rtol)


def name_mistake(
    actual: object,
    expected: torch.Tensor,
    mistakes: dict[str, torch.Tensor],
    what: str,
    *,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> None:
    """Raise :class:`Mismatch` with the hint of the first known mistake that ``actual`` matches.

    ``mistakes`` maps a hint to what that mistake would return on the same input. A mistake that
    gives the right answer on this input (batch norm equals instance norm for one image) names
    nothing. Returns quietly when ``actual`` is right or matches no known mistake: the caller's
    :func:`expect_close` then reports the plain difference.
    """
    if _close(actual, expected, atol, rtol):
        return
    for hint, wrong in mistakes.items():
        if _close(actual, wrong, atol, rtol) and not _close(wrong, expected, atol, rtol):
            raise Mismatch(f"{what} differs from the reference.", hint)


def expect_close(
    actual: object, expected: torch.Tensor, what: str, hint: str, *, atol: float = 1e-5
) -> None:
    """Raise :class:`Mismatch` unless ``actual`` is a tensor of ``expected``'s shape and values."""
    if isinstance(actual, (int, float)):
        raise Mismatch(f"{what} is a Python number, not a tensor.", ITEM_HINT)
    if not isinstance(actual, torch.Tensor):
        raise Mismatch(f"{what} should be a torch.Tensor, got {type(actual).__name__}.", hint)
    if actual.shape != expected.shape:
        raise Mismatch(
            f"{what} has shape {list(actual.shape)}, expected {list(expected.shape)}.", hint
        )
    error = (actual.detach().float() - expected.float()).abs().max().item()
    if not error <= atol * max(1.0, expected.abs().max().item()):
        raise Mismatch(f"{what} differs from the reference (max error {error:.4g}).", hint)
