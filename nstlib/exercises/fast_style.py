"""Checkers for lesson 06 (fast and arbitrary style transfer).

* :func:`check_conditional_instance_norm`: instance-normalise, then scale and shift with the
  style-weighted blend of per-style ``γ`` and ``β`` (Dumoulin et al. 2017).
* :func:`check_adain`: give content features the style features' per-channel mean and standard
  deviation (Huang & Belongie 2017).

Both run the student's function on small fixed inputs, compare with :mod:`nstlib.cin` and
:mod:`nstlib.adain`, and when the answer is wrong, compare it with the usual mistakes (unbiased
variance, missing ``eps``, wrong axes, swapped roles...) to name the likely one in the hint. Both
also compare gradients: a network is trained through these layers, so a detached output would
print the right values and stop every layer before it from learning.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from nstlib.adain import EPS, adain
from nstlib.cin import conditional_instance_norm
from nstlib.exercises import CheckResult, Mismatch, expect_close, name_mistake, run_check
from nstlib.exercises.gradients import expect_gradient

TOLERANCE = 1e-4


def _features(rng: torch.Generator, batch: int, channels: int, h: int, w: int):
    """Features with a different mean and spread per channel, and one constant channel (σ = 0)."""
    x = torch.randn(batch, channels, h, w, generator=rng)
    scale = torch.rand(1, channels, 1, 1, generator=rng) * 3 + 0.5
    shift = torch.randn(1, channels, 1, 1, generator=rng) * 2
    x = x * scale + shift
    x[:, -1] = 1.5  # a constant channel: dividing by σ without eps gives NaN
    return x


def _normalise(x: torch.Tensor, dims: tuple[int, ...], *, unbiased: bool = False, eps=EPS):
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, keepdim=True, unbiased=unbiased)
    return (x - mean) / torch.sqrt(var + eps)


def _blend(weights: torch.Tensor, table: torch.Tensor, channels: int) -> torch.Tensor:
    return (weights @ table).reshape(-1, channels, 1, 1)


def _diagnose(actual: object, expected: torch.Tensor, mistakes: dict[str, torch.Tensor], what: str):
    """A NaN means a missing eps; otherwise name the first known mistake ``actual`` matches."""
    if isinstance(actual, torch.Tensor) and actual.shape == expected.shape:
        if torch.isnan(actual).any():
            raise Mismatch(
                f"{what} contains NaN.",
                "a constant channel has σ = 0: add eps inside the square root, sqrt(var + eps).",
            )
        name_mistake(actual, expected, mistakes, what, atol=TOLERANCE, rtol=TOLERANCE)


def check_conditional_instance_norm(
    fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> CheckResult:
    """Check ``fn(x, style_weights, gamma, beta)`` against :func:`nstlib.cin.conditional_instance_norm`.

    ``x`` is ``[B, C, H, W]``, ``style_weights`` ``[S]`` or ``[B, S]``, ``gamma`` and ``beta``
    ``[S, C]``; the result is ``γ(w)·(x − μ)/sqrt(σ² + eps) + β(w)`` with ``eps = 1e-5``.
    """

    def body() -> str:
        rng = torch.Generator().manual_seed(6)
        styles, channels = 5, 4
        gamma = (torch.rand(styles, channels, generator=rng) * 2 + 0.5).requires_grad_(True)
        beta = torch.randn(styles, channels, generator=rng).requires_grad_(True)
        one_hot = torch.zeros(styles)
        one_hot[2] = 1.0
        blend = torch.tensor([0.5, 0.0, 0.2, 0.3, 0.0])
        per_image = torch.softmax(torch.randn(2, styles, generator=rng), dim=1)
        cases = [("one style", one_hot, 1), ("a blend", blend, 1), ("a [B, S] blend", per_image, 2)]
        for label, weights, batch in cases:
            x = _features(rng, batch, channels, 4, 6).requires_grad_(True)
            expected = conditional_instance_norm(x, weights, gamma, beta)
            actual = fn(x.clone(), weights.clone(), gamma.clone(), beta.clone())
            _diagnose_cin(
                actual, expected, x.detach(), weights, gamma.detach(), beta.detach(), label
            )
            expect_close(
                actual,
                expected,
                f"the output for {label}",
                "normalise each channel of each image over H and W, then γ(w)·x̂ + β(w) with "
                "γ(w) = style_weights @ gamma reshaped to [B, C, 1, 1].",
                atol=TOLERANCE,
            )
            expect_gradient(
                actual, expected, {"x": x, "gamma": gamma, "beta": beta}, f"the output for {label}"
            )
        return "matches the reference for one style, a blend and per-image blends."

    return run_check("conditional_instance_norm", body)


def _diagnose_cin(
    actual: object,
    expected: torch.Tensor,
    x: torch.Tensor,
    weights: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    label: str,
) -> None:
    """Name the first usual CIN mistake that ``actual`` matches (on values, without gradients)."""
    styles, channels = gamma.shape
    scale, shift = _blend(weights, gamma, channels), _blend(weights, beta, channels)
    uniform = torch.full_like(weights, 1 / styles)
    x_hat = _normalise(x, (2, 3))
    centred = x - x.mean(dim=(2, 3), keepdim=True)
    var = x.var(dim=(2, 3), keepdim=True, unbiased=False)
    mistakes = {
        "use the biased variance (unbiased=False): instance norm divides by H·W, "
        "not H·W − 1.": _normalise(x, (2, 3), unbiased=True) * scale + shift,
        "take μ and σ² over H and W only (dim=(2, 3)); over (1, 2, 3) it is layer "
        "norm.": _normalise(x, (1, 2, 3)) * scale + shift,
        "take μ and σ² per image (dim=(2, 3)); including dim 0 mixes the batch (batch "
        "norm).": _normalise(x, (0, 2, 3)) * scale + shift,
        "γ scales and β shifts: γ(w)·x̂ + β(w), not β(w)·x̂ + γ(w).": x_hat * shift + scale,
        "blend the styles: γ(w) = style_weights @ gamma (a weighted sum of rows), not "
        "the plain mean of gamma.": x_hat * _blend(uniform, gamma, channels)
        + _blend(uniform, beta, channels),
        "divide by the standard deviation sqrt(σ² + eps), not by the variance.": centred
        / (var + EPS)
        * scale
        + shift,
    }
    _diagnose(actual, expected, mistakes, f"the output for {label}")


def check_adain(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> CheckResult:
    """Check ``fn(content, style)`` against :func:`nstlib.adain.adain` (``eps = 1e-5``).

    ``content`` is ``[B, C, H, W]`` and ``style`` ``[B, C, H', W']`` of a different size.
    """

    def body() -> str:
        rng = torch.Generator().manual_seed(7)
        for batch in (1, 2):
            content = _features(rng, batch, 4, 5, 6).requires_grad_(True)
            style = _features(rng, batch, 4, 7, 3)
            style[:, -1] += torch.linspace(-1, 1, 21).reshape(7, 3)  # give it a spread: σ > 0
            style.requires_grad_(True)
            expected = adain(content, style)
            actual = fn(content.clone(), style.clone())
            what = f"AdaIN of a batch of {batch}"
            if isinstance(actual, torch.Tensor) and actual.shape == style.shape:
                raise Mismatch(
                    f"{what} has the style's shape {list(style.shape)}.",
                    "normalise the content and give it the style's statistics; the output keeps "
                    "the content's layout and size.",
                )
            s_mean = style.mean(dim=(2, 3), keepdim=True)
            s_var = style.var(dim=(2, 3), keepdim=True, unbiased=False)
            s_std_unbiased = torch.sqrt(style.var(dim=(2, 3), keepdim=True) + EPS)
            whole_mean = style.mean(dim=(1, 2, 3), keepdim=True)
            whole_std = torch.sqrt(style.var(dim=(1, 2, 3), keepdim=True, unbiased=False) + EPS)
            mistakes = {
                "use the biased variance (unbiased=False) for both images.": _normalise(
                    content, (2, 3), unbiased=True
                )
                * s_std_unbiased
                + s_mean,
                "scale by the style's standard deviation sqrt(σ² + eps), not its "
                "variance.": _normalise(content, (2, 3)) * (s_var + EPS) + s_mean,
                "compute μ and σ per channel (dim=(2, 3)), not over the whole tensor.": _normalise(
                    content, (1, 2, 3)
                )
                * whole_std
                + whole_mean,
                "normalise the content first: subtract its own mean and divide by its own σ "
                "before giving it the style's σ and μ.": content * torch.sqrt(s_var + EPS) + s_mean,
            }
            _diagnose(actual, expected, mistakes, what)
            expect_close(
                actual,
                expected,
                what,
                "σ(style)·(content − μ(content))/σ(content) + μ(style), with μ, σ over dims (2, 3) "
                "and σ = sqrt(biased var + eps).",
                atol=TOLERANCE,
            )
            expect_gradient(actual, expected, {"content": content, "style": style}, what)
        return "matches the reference on batches of 1 and 2, content and style of different sizes."

    return run_check("adain", body)
