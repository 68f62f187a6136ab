"""Optimise an image's pixels against a loss, with L-BFGS or Adam, recording the loss terms.

Gatys' style transfer and the AdaIN variant of lesson 06 train no network: the *image* is the
parameter. Both run this one loop, which differs from training a network in three ways:

* the tensor being optimised is a copy of the starting image with ``requires_grad=True``;
* after every step the pixels are **clamped to [0, 1]** (as the PyTorch tutorial does), so every
  intermediate image is a valid picture;
* L-BFGS (Gatys' choice) runs one iteration per step with no line search and no stopping
  tolerances, so one step is one forward + backward pass and the step count is the cost.

A loss that becomes NaN or infinite (a learning rate or weight far too large) stops the loop with
a clear error at once: continuing would only turn the picture black.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from tqdm.auto import tqdm

from nstlib.errors import NstlibError
from nstlib.style import LOSS_TERMS, LossTerms
from nstlib.validate import check_finite, check_finite_loss, check_int

DEFAULT_LEARNING_RATES = {"lbfgs": 1.0, "adam": 0.02}


def optimize_pixels(
    image: torch.Tensor,
    loss: Callable[[torch.Tensor], LossTerms],
    steps: int,
    history: dict[str, list[float]],
    *,
    optimizer: str = "lbfgs",
    lr: float | None = None,
    bar: tqdm | None = None,
) -> torch.Tensor:
    """Run ``steps`` optimiser steps on a copy of ``image``, clamping it to [0, 1] after each.

    Args:
        image: the starting image ``[1, 3, H, W]`` in ``[0, 1]`` (not modified).
        loss: maps an image to its :class:`nstlib.style.LossTerms` (e.g. ``GatysLoss``).
        steps: optimiser steps (one forward + backward each).
        history: ``{"total", "content", "style", "tv"}`` lists (:func:`nstlib.style.loss_history`);
            one entry per loss evaluation is appended: the evaluation inside each step, then the
            returned image's, so ``k`` steps add ``k + 1`` entries.
        optimizer: ``"lbfgs"`` or ``"adam"``; ``lr`` defaults to :data:`DEFAULT_LEARNING_RATES`.
        bar: a tqdm bar advanced once per step, showing the latest style and content terms.

    Returns the optimised image, detached, on ``image``'s device.
    """
    if optimizer not in DEFAULT_LEARNING_RATES:
        raise NstlibError(
            f"optimizer={optimizer!r} is not one of {', '.join(map(repr, DEFAULT_LEARNING_RATES))}."
        )
    steps = check_int(steps, "steps", low=1)
    if lr is not None:
        lr = check_finite(lr, "lr", low=0, low_open=True)
    # contiguous: L-BFGS flattens the gradient with .view(-1); decoded photos are often HWC-strided.
    x = image.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    lr = DEFAULT_LEARNING_RATES[optimizer] if lr is None else lr
    if optimizer == "lbfgs":
        # No tolerances: we decide the number of steps (the defaults stop silently on small losses).
        opt = torch.optim.LBFGS(
            [x], lr=lr, max_iter=1, history_size=50, tolerance_grad=0, tolerance_change=0
        )
    else:
        opt = torch.optim.Adam([x], lr=lr)

    def closure(step: int) -> torch.Tensor:
        opt.zero_grad()
        terms = loss(x)
        total = terms.total
        total.backward()
        terms.record(history)  # reads the values anyway: checking them costs nothing more
        check_finite_loss({name: history[name][-1] for name in LOSS_TERMS}, step)
        return total

    for step in range(steps):
        opt.step(functools.partial(closure, step))  # the optimiser calls it without arguments
        with torch.no_grad():
            x.clamp_(0, 1)
        if bar is not None:
            bar.update()
            bar.set_postfix(
                style=f"{history['style'][-1]:.3g}", content=f"{history['content'][-1]:.3g}"
            )
    with torch.no_grad():
        loss(x).record(history)  # the losses of the image actually returned
    return x.detach()
