"""Lesson 04's toy CycleGAN: network sizes, the paired held-out set and the collapse measures."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nstlib.errors import NstlibError
from nstlib.metrics import correlation
from nstlib.toy_cyclegan import (
    colour_spread,
    domain_sampler,
    evaluate,
    held_out_batches,
    input_correlation,
    object_colours,
    toy_cyclegan,
)


def test_toy_nets_have_the_lesson_sizes():
    G_AB, G_BA, D_A, D_B = toy_cyclegan()
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(G_AB) == count(G_BA) == 346_371
    assert count(D_A) == count(D_B) == 42_865
    assert G_AB(torch.zeros(2, 3, 32, 32)).shape == (2, 3, 32, 32)
    assert D_A(torch.zeros(2, 3, 32, 32)).shape == (2, 1, 6, 6)


def test_toy_nets_leave_the_global_random_state_alone():
    before = torch.get_rng_state()
    toy_cyclegan(seed=5)
    assert torch.equal(torch.get_rng_state(), before)


def test_domain_sampler_draws_fresh_repeatable_batches():
    first, again = domain_sampler("texture", "A", seed=1), domain_sampler("texture", "A", seed=1)
    batch = first(3)
    assert batch.shape == (3, 3, 32, 32) and batch.min() >= -1 and batch.max() <= 1
    assert torch.equal(batch, again(3))
    assert not torch.equal(first(3), batch)  # the sampler's random generator moves on


def test_held_out_batches_are_paired_and_repeatable():
    a, b = held_out_batches("texture", 8)
    a2, _ = held_out_batches("texture", 8)
    assert torch.equal(a, a2) and a.shape == b.shape == (8, 3, 32, 32)
    # Paired content: the same object colour in both domains.
    assert (object_colours(a) - object_colours(b)).abs().max() < 0.08


def test_object_colours_of_an_empty_image_is_the_background():
    grey = torch.full((1, 3, 16, 16), 0.5)  # in [-1, 1]: a plain background, no object
    assert torch.allclose(object_colours(grey), torch.full((1, 3), 1 / 3))


def test_colour_spread_and_input_correlation():
    a, b = held_out_batches("texture", 16)
    assert colour_spread(a) > 0.2
    assert colour_spread(a[:1].repeat(5, 1, 1, 1)) == pytest.approx(0.0, abs=1e-7)
    assert input_correlation(a, a) == pytest.approx(1.0)
    assert input_correlation(a, -a) == pytest.approx(-1.0)
    assert input_correlation(a, b) > 0.5  # paired content: same place, same colour
    per_image = [correlation(y, x) for x, y in zip(a[:2], b[:2], strict=True)]
    assert input_correlation(a[:2], b[:2]) == pytest.approx(sum(per_image) / 2)
    with pytest.raises(NstlibError, match="at least 2"):
        colour_spread(a[:1])
    with pytest.raises(NstlibError, match="same shape"):
        input_correlation(a, b[:3])


def test_evaluate_scores_the_identity_as_no_translation():
    class Identity(nn.Module):
        def __init__(self):
            super().__init__()
            self.dummy = nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return x

    a, b = held_out_batches("texture", 16)
    scores = evaluate(Identity(), Identity(), "texture", a, b)
    assert scores.score_AB < 0.05 and scores.score_BA > 0.95  # nothing was translated
    assert scores.rec_A == scores.rec_B == 0.0
    assert scores.colour_shift == pytest.approx(0.0, abs=1e-6) and scores.mask_iou == 1.0
