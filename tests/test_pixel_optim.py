"""The pixel-optimisation loop shared by Gatys and AdaIN: steps, clamping, history, choices."""

import pytest
import torch

from nstlib.errors import NstlibError
from nstlib.pixel_optim import optimize_pixels
from nstlib.style import LossTerms, loss_history

TARGET = torch.tensor([1.3, 0.5, -0.2]).view(1, 3, 1, 1)  # partly outside [0, 1]


def distance_to_target(image: torch.Tensor) -> LossTerms:
    """A toy loss: 'content' pulls the pixels towards TARGET, the other terms are constant zero."""
    zero = image.sum() * 0
    return LossTerms(content=((image - TARGET) ** 2).mean(), style=zero, tv=zero)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_pixels_move_towards_the_target_and_stay_in_range(optimizer):
    start = torch.full((1, 3, 4, 4), 0.5)
    history = loss_history()
    lr = 0.1 if optimizer == "adam" else None
    out = optimize_pixels(start, distance_to_target, 20, history, optimizer=optimizer, lr=lr)
    assert 0 <= out.min() and out.max() <= 1  # clamped after every step
    assert not out.requires_grad and torch.equal(start, torch.full((1, 3, 4, 4), 0.5))
    assert out[0, 0].mean() > 0.9 and out[0, 2].mean() < 0.1  # pushed to the edges of the range
    assert {k: len(v) for k, v in history.items()} == dict.fromkeys(history, 21)  # steps + 1
    assert history["total"][-1] < history["total"][0]
    assert history["total"] == history["content"]


def test_bad_choices_are_named():
    image = torch.rand(1, 3, 4, 4)
    with pytest.raises(NstlibError, match="optimizer"):
        optimize_pixels(image, distance_to_target, 1, loss_history(), optimizer="sgd")
    with pytest.raises(NstlibError, match="steps"):
        optimize_pixels(image, distance_to_target, 0, loss_history())


def test_a_loss_that_becomes_nan_stops_the_loop_at_once():
    calls = []

    def diverging(image: torch.Tensor) -> LossTerms:
        calls.append(1)
        terms = distance_to_target(image)
        if len(calls) >= 2:  # the second evaluation: step 2 diverges
            return LossTerms(content=terms.content, style=terms.style + float("nan"), tv=terms.tv)
        return terms

    with pytest.raises(
        NstlibError, match=r"diverged at step 2 \(total=nan.*Lower the learning rate"
    ):
        optimize_pixels(torch.rand(1, 3, 4, 4), diverging, 50, loss_history(), optimizer="adam")
    assert len(calls) == 2  # not 50: stopped at once


@pytest.mark.parametrize(("lr", "words"), [(float("nan"), "finite"), (-1.0, "greater than 0")])
def test_an_impossible_learning_rate_is_refused_before_any_step(lr, words):
    with pytest.raises(NstlibError, match=f"lr must be .*{words}"):
        optimize_pixels(torch.rand(1, 3, 4, 4), distance_to_target, 1, loss_history(), lr=lr)
