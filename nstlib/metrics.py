"""Image comparison numbers the lessons print: relative change, correlation and PSNR.

Each takes two tensors of one shape and returns a Python float, so a lesson can print it or a
test can compare it. They are the plain textbook formulas, in float64 where precision matters.
"""

from __future__ import annotations

import math

import torch

from nstlib.images import check_same_shape


def relative_change(y: torch.Tensor, x: torch.Tensor) -> float:
    """``‖y − x‖ / ‖x‖`` over all elements: 0 means y is x; 1 means a change as large as x."""
    check_same_shape(y, x, ("y", "x"))
    return ((y - x).norm() / x.norm()).item()


def correlation(y: torch.Tensor, x: torch.Tensor) -> float:
    """Pearson correlation of all elements of ``y`` and ``x``, in ``[-1, 1]``.

    1 means y is x up to a positive scale and shift; 0 means y keeps no (linear) trace of x.
    """
    check_same_shape(y, x, ("y", "x"))
    pair = torch.stack([y.detach().flatten(), x.detach().flatten()]).double().cpu()
    return torch.corrcoef(pair)[0, 1].item()


def psnr(y: torch.Tensor, x: torch.Tensor, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB: ``10 · log10(range² / mean((y − x)²))``.

    ``data_range`` is the span of the pixel values (1 for ``[0, 1]``, 2 for ``[-1, 1]``). Identical
    images give ``inf``; 30 dB and above looks "almost identical" to most people.
    """
    check_same_shape(y, x, ("y", "x"))
    mse = torch.mean((y.detach().double() - x.detach().double()) ** 2).item()
    return math.inf if mse == 0 else 10 * math.log10(data_range**2 / mse)
