"""Does a student's answer carry the reference's gradient, not just its value?

An answer that computes the right number but cuts the graph (``loss.detach()``, a body under
``torch.no_grad()``, ``torch.tensor(loss.item(), requires_grad=True)``, ``G(a).detach()`` inside a
cycle loss) prints the right value and trains nothing. So every checker whose answer feeds training
also compares gradients: it backpropagates the same fixed random weighting of the student's output
and of the reference's, and compares the gradients that reach each input or parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from nstlib.exercises import Mismatch

Tensors = torch.Tensor | Sequence[torch.Tensor]

NO_GRAPH_HINT = (
    "compute the result with torch operations on the inputs: .detach(), torch.no_grad(), "
    ".item() and .numpy() cut the gradient, and then nothing upstream can learn from it."
)
NEW_LEAF_HINT = (
    "torch.tensor(x.item(), requires_grad=True) makes a new tensor with the right value but no "
    "link to the inputs, so no gradient reaches them: return the tensor you computed."
)


def _as_list(tensors: Tensors) -> list[torch.Tensor]:
    return [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)


def _weighting(like: torch.Tensor) -> torch.Tensor:
    """Fixed random weights for a non-scalar output, so that every element's gradient counts."""
    if like.dim() == 0:
        return torch.ones((), dtype=like.dtype)
    rng = torch.Generator().manual_seed(1234)
    return torch.randn(like.shape, generator=rng, dtype=like.dtype)


def _grads(output: torch.Tensor, tensors: list[torch.Tensor], weights: torch.Tensor) -> list:
    """``d(Σ weights · output) / d tensor`` for each tensor; zeros where none reaches it."""
    total = (output.reshape(weights.shape) * weights.to(output.device)).sum()
    grads = torch.autograd.grad(total, tensors, allow_unused=True)
    return [torch.zeros_like(t) if g is None else g for t, g in zip(tensors, grads, strict=True)]


def expect_graph(actual: torch.Tensor, what: str) -> None:
    """Raise :class:`Mismatch` unless ``actual`` was computed, with autograd on, from the inputs."""
    if not actual.requires_grad:
        raise Mismatch(f"{what} has the right value but carries no gradient.", NO_GRAPH_HINT)
    if actual.grad_fn is None:
        raise Mismatch(
            f"{what} has the right value but is not connected to the inputs.", NEW_LEAF_HINT
        )


def expect_gradient(
    actual: torch.Tensor,
    expected: torch.Tensor,
    inputs: Mapping[str, Tensors],
    what: str,
    *,
    reference_inputs: Mapping[str, Tensors] | None = None,
    hints: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`Mismatch` unless ``actual`` has ``expected``'s gradient w.r.t. each input.

    Call it once the values agree. ``inputs`` names the tensors (or groups of tensors, such as a
    network's parameters) that the gradient must reach, e.g. ``{"real_logits": real}``.
    ``reference_inputs`` gives the reference's own copies when they differ (a module with the
    student's weights copied in); by default the reference used the same tensors. ``hints``
    replaces the hint for an input that no gradient reaches, to name the usual culprit there.
    """
    expect_graph(actual, what)
    weights = _weighting(expected)
    reference_inputs = reference_inputs or inputs
    hints = hints or {}
    student_tensors = [t for name in inputs for t in _as_list(inputs[name])]
    reference_tensors = [t for name in inputs for t in _as_list(reference_inputs[name])]
    got = iter(_grads(actual, student_tensors, weights))
    wanted = iter(_grads(expected, reference_tensors, weights))
    grads = {
        name: [(next(got), next(wanted)) for _ in _as_list(tensors)]
        for name, tensors in inputs.items()
    }
    # First an input that gets no gradient at all (the telling case: a cut), then any difference.
    for name, pairs in grads.items():
        reaches = max(g.abs().max().item() for g, _ in pairs) > 0
        if not reaches and max(w.abs().max().item() for _, w in pairs) > 0:
            raise Mismatch(
                f"{what} has the right value, but no gradient reaches {name}.",
                hints.get(
                    name,
                    f"something cuts the graph between {name} and the result (a .detach(), "
                    "torch.no_grad() or .item() on the way): it would never learn from this.",
                ),
            )
    for name, pairs in grads.items():
        size = max(w.abs().max().item() for _, w in pairs)
        error = max((g - w).abs().max().item() for g, w in pairs)
        if error > 1e-4 * max(1.0, size):
            raise Mismatch(
                f"{what} has the right value, but its gradient w.r.t. {name} differs from the "
                f"reference's (max error {error:.3g}).",
                "part of the computation is cut from the graph (a .detach() or a value "
                "computed under torch.no_grad()), so some of the gradient goes missing.",
            )
