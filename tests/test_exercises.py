"""What every exercise checker promises, tested once for all twelve.

Each checker passes nstlib's own reference, fails the student copy's stub with a hint, and leaves
the student's random state alone (so checking an exercise never changes a lesson's later
results). The per-lesson files (``test_exercises_<topic>.py``) test the other side: each checker
names the typical wrong answers of its exercise.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

import pytest
import torch

import nstlib.exercises
from nstlib.adain import adain
from nstlib.blocks import ResidualBlock
from nstlib.cin import conditional_instance_norm
from nstlib.cyclegan import cycle_loss, identity_loss
from nstlib.exercises import CheckResult
from nstlib.exercises.blocks import check_cyclegan_branch, check_residual_forward
from nstlib.exercises.cyclegan import check_cycle_losses, check_identity_losses
from nstlib.exercises.fast_style import check_adain, check_conditional_instance_norm
from nstlib.exercises.gan import check_discriminator_loss, check_generator_loss
from nstlib.exercises.patchgan import (
    check_patchgan_layers,
    check_receptive_field,
    patchgan_layers_reference,
)
from nstlib.exercises.style import check_gram_matrix, check_style_loss
from nstlib.gan_losses import discriminator_loss, generator_loss
from nstlib.patchgan import receptive_field
from nstlib.style import gram_matrix, style_loss


def stub(*args):
    raise NotImplementedError  # what `python lessons/course.py student-copies` leaves


def reference_cycle(G_AB, G_BA, a, b, lam):
    return cycle_loss(a, G_BA(G_AB(a)), lam), cycle_loss(b, G_AB(G_BA(b)), lam)


def reference_identity(G_AB, G_BA, a, b, lam, lambda_idt):
    weight = lam * lambda_idt
    return identity_loss(b, G_AB(b), weight), identity_loss(a, G_BA(a), weight)


# (checker, the name it prints, nstlib's reference solution), one row per exercise in the course.
CHECKERS: list[tuple[Callable[[Callable], CheckResult], str, Callable]] = [
    (check_discriminator_loss, "discriminator_loss", discriminator_loss),
    (check_generator_loss, "generator_loss", generator_loss),
    (check_residual_forward, "residual_forward", ResidualBlock.forward),
    (check_cyclegan_branch, "cyclegan_branch", lambda channels: ResidualBlock(channels).branch),
    (check_receptive_field, "receptive_field", receptive_field),
    (check_patchgan_layers, "patchgan_layers", patchgan_layers_reference),
    (check_cycle_losses, "cycle_losses", reference_cycle),
    (check_identity_losses, "identity_losses", reference_identity),
    (check_gram_matrix, "gram_matrix", lambda features: gram_matrix(features, normalise="none")),
    (check_style_loss, "style_loss", style_loss),
    (check_conditional_instance_norm, "conditional_instance_norm", conditional_instance_norm),
    (check_adain, "adain", adain),
]
IDS = [name for _, name, _ in CHECKERS]


@pytest.mark.parametrize("check, name, reference", CHECKERS, ids=IDS)
def test_checker_passes_the_reference_and_leaves_the_rng_alone(check, name, reference):
    torch.manual_seed(123)
    expected_draw = torch.rand(3)
    torch.manual_seed(123)
    result = check(reference)
    assert result.passed, str(result)
    assert str(result).startswith(f"PASS {name}:")
    assert torch.equal(torch.rand(3), expected_draw), f"check_{name} moved the global RNG"


@pytest.mark.parametrize("check, name, reference", CHECKERS, ids=IDS)
def test_checker_fails_the_stub_and_says_what_to_do(check, name, reference):
    result = check(stub)
    assert not result.passed
    assert str(result).startswith(f"FAIL {name}: not implemented")
    assert "replace `raise NotImplementedError`" in result.hint


def test_the_table_lists_every_checker_in_nstlib_exercises():
    found = set()
    for module in pkgutil.iter_modules(nstlib.exercises.__path__):
        loaded = importlib.import_module(f"nstlib.exercises.{module.name}")
        found |= {name for name in vars(loaded) if name.startswith("check_")}
    assert found == {check.__name__ for check, _, _ in CHECKERS}
