"""Every checker, against a table of plausible student answers: wrong ones FAIL with the hint that
names their mistake, right ones written differently from nstlib PASS.

The wrong answers centre on the mistakes the per-lesson tables (``test_exercises_<topic>.py``) do
not cover: answers with the right value that cut the gradient (``.detach()``, ``torch.no_grad()``,
a re-wrapped ``.item()``), the most common slips of each exercise, and crashes, whose report must
show the student's own line. The right answers are the equivalent forms a student is likely to
write: another formula, another layer order in ``__init__``, a numpy integer.
"""

from __future__ import annotations

from collections.abc import Callable

import IPython
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nstlib.adain import adain, channel_mean_std
from nstlib.cin import conditional_instance_norm
from nstlib.cyclegan import cycle_loss, identity_loss
from nstlib.exercises.blocks import check_cyclegan_branch, check_residual_forward
from nstlib.exercises.cyclegan import check_cycle_losses, check_identity_losses
from nstlib.exercises.fast_style import check_adain, check_conditional_instance_norm
from nstlib.exercises.gan import check_discriminator_loss, check_generator_loss
from nstlib.exercises.patchgan import check_patchgan_layers, check_receptive_field
from nstlib.exercises.style import check_gram_matrix, check_style_loss
from nstlib.gan_losses import discriminator_loss, generator_loss
from nstlib.patchgan import receptive_field
from nstlib.style import gram_matrix, style_loss

NO_GRADIENT = "cut the gradient"
NEW_LEAF = "makes a new tensor with the right value but no link to the inputs"


def under_no_grad(fn: Callable) -> Callable:
    """``fn`` computed under ``torch.no_grad()``: the right value, no graph."""

    def wrapped(*args):
        with torch.no_grad():
            return fn(*args)

    return wrapped


def rewrapped(fn: Callable) -> Callable:
    """``torch.tensor(fn(...).item(), requires_grad=True)``: the right value, a disconnected leaf."""
    return lambda *args: torch.tensor(fn(*args).item(), requires_grad=True)


def reference_cycle(G_AB, G_BA, a, b, lam):
    return cycle_loss(a, G_BA(G_AB(a)), lam), cycle_loss(b, G_AB(G_BA(b)), lam)


def reference_identity(G_AB, G_BA, a, b, lam, idt):
    return identity_loss(b, G_AB(b), lam * idt), identity_loss(a, G_BA(a), lam * idt)


def branch_layers(c: int, norm: Callable[[int], nn.Module] = nn.InstanceNorm2d) -> list[nn.Module]:
    return [
        nn.ReflectionPad2d(1),
        nn.Conv2d(c, c, 3),
        norm(c),
        nn.ReLU(),
        nn.ReflectionPad2d(1),
        nn.Conv2d(c, c, 3),
        norm(c),
    ]


class ReorderedBranch(nn.Module):
    """A correct branch whose second conv is registered first (``modules()`` lists it first)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv_out = nn.Conv2d(c, c, 3)
        self.conv_in = nn.Conv2d(c, c, 3)
        self.pad = nn.ReflectionPad2d(1)
        self.norm = nn.InstanceNorm2d(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.norm(self.conv_in(self.pad(x))))
        return self.norm(self.conv_out(self.pad(h)))


class DetachingBranch(ReorderedBranch):
    """Right values, but the first half is cut from the graph."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.norm(self.conv_in(self.pad(x)))).detach()
        return self.norm(self.conv_out(self.pad(h)))


class SameConvTwice(ReorderedBranch):
    """Two convs registered, but the forward pass runs the first one twice."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.norm(self.conv_in(self.pad(x))))
        return self.norm(self.conv_in(self.pad(h)))


def crashing_d_loss(real, fake, kind):
    both = real @ fake  # the student's line: [4, 1] @ [6, 1] cannot be multiplied
    return both.mean()


def style_loss_per_layer_item(features, targets):
    total = sum(((gram_matrix(features[n]) - t) ** 2).mean().item() for n, t in targets.items())
    return torch.tensor(total, requires_grad=True)


def style_loss_one_layer_detached(features, targets):
    terms = [((gram_matrix(features[n]) - t) ** 2).mean() for n, t in targets.items()]
    return terms[0].detach() + terms[1]


def rf_forward_walk(layers):
    rf, jump = 1, 1
    for kernel, stride in layers:
        rf += (kernel - 1) * jump
        jump *= stride
    return rf


def rf_jump_too_early(layers):
    rf, jump = 1, 1
    for kernel, stride in layers:
        jump *= stride
        rf += (kernel - 1) * jump
    return rf


def rf_stride_after_kernel(layers):
    rf = 1
    for kernel, stride in reversed(layers):
        rf = (rf - 1 + kernel) * stride
    return rf


def adain_by_hand(content, style):
    c_var, c_mean = torch.var_mean(content, dim=(2, 3), keepdim=True, unbiased=False)
    s_var, s_mean = torch.var_mean(style, dim=(2, 3), keepdim=True, unbiased=False)
    return (content - c_mean) / torch.sqrt(c_var + 1e-5) * torch.sqrt(s_var + 1e-5) + s_mean


def adain_unnormalised(content, style):
    s_mean, s_std = channel_mean_std(style)
    return content * s_std + s_mean


def cin_with_instance_norm(x, w, gamma, beta):
    c = x.shape[1]
    scale, shift = (w @ gamma).reshape(-1, c, 1, 1), (w @ beta).reshape(-1, c, 1, 1)
    return F.instance_norm(x, eps=1e-5) * scale + shift


WRONG = [
    # (checker, answer, the words its FAIL must contain)
    pytest.param(
        check_discriminator_loss,
        lambda r, f, k: discriminator_loss(r, f, k).detach(),
        NO_GRADIENT,
        id="d_loss-detach",
    ),
    pytest.param(
        check_discriminator_loss,
        under_no_grad(discriminator_loss),
        NO_GRADIENT,
        id="d_loss-no_grad",
    ),
    pytest.param(
        check_discriminator_loss, rewrapped(discriminator_loss), NEW_LEAF, id="d_loss-rewrapped"
    ),
    pytest.param(
        check_discriminator_loss,
        lambda r, f, k: (
            discriminator_loss(r, f, k)
            if k == "lsgan"
            else F.softplus(-r).mean() + F.softplus(-f).mean()
        ),
        "the fakes got the real label",
        id="d_loss-fakes-labelled-real",
    ),
    pytest.param(
        check_discriminator_loss,
        lambda r, f, k: (
            ((r - 1) ** 2).mean() + ((f - 1) ** 2).mean()
            if k == "lsgan"
            else discriminator_loss(r, f, k)
        ),
        "the fakes got the real target",
        id="d_loss-lsgan-fakes-to-1",
    ),
    pytest.param(
        check_discriminator_loss,
        lambda r, f, k: discriminator_loss(r.detach(), f, k),
        "no gradient reaches real_logits",
        id="d_loss-real-detached",
    ),
    pytest.param(
        check_discriminator_loss,
        crashing_d_loss,
        "both = real @ fake",
        id="d_loss-crash-shows-the-line",
    ),
    pytest.param(
        check_generator_loss,
        lambda f, k: generator_loss(f, k).detach(),
        NO_GRADIENT,
        id="g_loss-detach",
    ),
    pytest.param(check_generator_loss, rewrapped(generator_loss), NEW_LEAF, id="g_loss-rewrapped"),
    pytest.param(
        check_residual_forward,
        lambda block, x: x + block.branch(x).detach(),
        "no gradient reaches block.branch's weights",
        id="residual-branch-detached",
    ),
    pytest.param(
        check_residual_forward,
        under_no_grad(lambda block, x: x + block.branch(x)),
        NO_GRADIENT,
        id="residual-no_grad",
    ),
    pytest.param(
        check_cyclegan_branch,
        lambda c: nn.Sequential(
            *branch_layers(c, lambda n: nn.InstanceNorm2d(n, track_running_stats=True))
        ),
        "track_running_stats=False",
        id="branch-running-stats",
    ),
    pytest.param(
        check_cyclegan_branch, DetachingBranch, "no gradient reaches", id="branch-detached-inside"
    ),
    pytest.param(
        check_cyclegan_branch,
        SameConvTwice,
        "exactly once",
        id="branch-one-conv-twice",
    ),
    pytest.param(
        check_receptive_field, rf_jump_too_early, "update jump *= stride after", id="rf-jump-early"
    ),
    pytest.param(
        check_receptive_field,
        rf_stride_after_kernel,
        "multiplied by the stride after adding the kernel",
        id="rf-stride-after-kernel",
    ),
    pytest.param(
        check_receptive_field,
        lambda layers: receptive_field(layers) / 1,
        "/ always gives a float",
        id="rf-float",
    ),
    pytest.param(
        check_receptive_field,
        lambda layers: torch.tensor(receptive_field(layers)),
        "return a Python int",
        id="rf-tensor",
    ),
    pytest.param(
        check_patchgan_layers,
        lambda n: [(4, 2)] * n + [(4, 1)] + [(4, 1)][n:],
        "4 convs instead of 5",
        id="layers-crash-free-miscount",
    ),
    pytest.param(
        check_cycle_losses,
        lambda G, Fn, a, b, lam: (
            cycle_loss(a, Fn(G(a).detach()), lam),
            cycle_loss(b, G(Fn(b).detach()), lam),
        ),
        "don't detach (or compute under torch.no_grad()) the images that G_AB makes",
        id="cycle-translation-detached",
    ),
    pytest.param(
        check_cycle_losses, under_no_grad(reference_cycle), NO_GRADIENT, id="cycle-no_grad"
    ),
    pytest.param(
        check_identity_losses,
        lambda G, Fn, a, b, lam, idt: tuple(
            x.detach() for x in reference_identity(G, Fn, a, b, lam, idt)
        ),
        NO_GRADIENT,
        id="identity-detach",
    ),
    pytest.param(
        check_gram_matrix,
        lambda f: gram_matrix(f, "none").detach(),
        NO_GRADIENT,
        id="gram-detach",
    ),
    pytest.param(
        check_style_loss, lambda f, t: style_loss(f, t).item(), ".item()", id="style-item"
    ),
    pytest.param(check_style_loss, style_loss_per_layer_item, NEW_LEAF, id="style-rewrapped"),
    pytest.param(
        check_style_loss,
        style_loss_one_layer_detached,
        "the relu1_1 term is cut from the graph",
        id="style-one-layer-detached",
    ),
    pytest.param(
        check_conditional_instance_norm,
        lambda x, w, g, b: conditional_instance_norm(x, w, g, b).detach(),
        NO_GRADIENT,
        id="cin-detach",
    ),
    pytest.param(
        check_conditional_instance_norm,
        lambda x, w, g, b: conditional_instance_norm(x, w, g.detach(), b),
        "no gradient reaches gamma",
        id="cin-gamma-detached",
    ),
    pytest.param(check_adain, lambda c, s: adain(c, s).detach(), NO_GRADIENT, id="adain-detach"),
    pytest.param(
        check_adain, adain_unnormalised, "normalise the content first", id="adain-unnormalised"
    ),
]

RIGHT = [
    # (checker, a correct answer written differently from nstlib's)
    pytest.param(
        check_discriminator_loss,
        lambda r, f, k: (
            F.mse_loss(r, torch.ones_like(r)) + F.mse_loss(f, torch.zeros_like(f))
            if k == "lsgan"
            else F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
            + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))
        ),
        id="d_loss-library-losses",
    ),
    pytest.param(
        check_generator_loss,
        lambda f, k: {
            "minimax": -F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)),
            "non_saturating": F.binary_cross_entropy_with_logits(f, torch.ones_like(f)),
            "lsgan": F.mse_loss(f, torch.ones_like(f)),
        }[k],
        id="g_loss-library-losses",
    ),
    pytest.param(
        check_residual_forward, lambda block, x: block.branch(x) + x, id="residual-swapped-sum"
    ),
    pytest.param(
        check_residual_forward,
        lambda block, x: torch.add(x, block.branch(x)),
        id="residual-torch.add",
    ),
    pytest.param(check_cyclegan_branch, ReorderedBranch, id="branch-registered-in-another-order"),
    pytest.param(
        check_cyclegan_branch, lambda c: nn.Sequential(*branch_layers(c)), id="branch-sequential"
    ),
    pytest.param(check_receptive_field, rf_forward_walk, id="rf-forward-walk"),
    pytest.param(
        check_receptive_field, lambda layers: np.int64(receptive_field(layers)), id="rf-numpy-int"
    ),
    pytest.param(
        check_patchgan_layers,
        lambda n: [(np.int64(4), np.int64(2 if i < n else 1)) for i in range(n + 2)],
        id="layers-numpy-ints",
    ),
    pytest.param(
        check_cycle_losses,
        lambda G, Fn, a, b, lam: (
            lam * (Fn(G(a)) - a).abs().mean(),
            torch.mean(torch.abs(G(Fn(b)) - b)) * lam,
        ),
        id="cycle-by-hand",
    ),
    pytest.param(
        check_identity_losses,
        lambda G, Fn, a, b, lam, idt: (
            F.l1_loss(G(b), b) * lam * idt,
            (Fn(a) - a).abs().mean() * (lam * idt),
        ),
        id="identity-by-hand",
    ),
    pytest.param(
        check_gram_matrix,
        lambda f: torch.bmm(f.flatten(2), f.flatten(2).transpose(1, 2)),
        id="gram-bmm",
    ),
    pytest.param(
        check_style_loss,
        lambda f, t: sum(F.mse_loss(gram_matrix(f[n]), g) for n, g in t.items()),
        id="style-mse_loss",
    ),
    pytest.param(check_conditional_instance_norm, cin_with_instance_norm, id="cin-instance_norm"),
    pytest.param(check_adain, adain_by_hand, id="adain-var_mean"),
]


@pytest.mark.parametrize(("check", "answer", "hint"), WRONG)
def test_wrong_answer_fails_with_its_hint(check, answer, hint):
    result = check(answer)
    assert not result.passed, str(result)
    assert hint in str(result), str(result)


@pytest.mark.parametrize(("check", "answer"), RIGHT)
def test_right_answer_written_differently_passes(check, answer):
    result = check(answer)
    assert result.passed, str(result)


def test_a_crash_report_names_the_students_file_and_line():
    result = check_discriminator_loss(crashing_d_loss)
    line = crashing_d_loss.__code__.co_firstlineno + 1
    assert f"{__file__}, line {line}" in str(result), str(result)
    assert "RuntimeError" in str(result), str(result)


def test_a_checked_branch_keeps_its_training_mode():
    branch = ReorderedBranch(4)
    check_cyclegan_branch(lambda c: branch)
    assert branch.training


def test_a_crash_in_a_notebook_cell_is_named_as_ipython_names_it(monkeypatch):
    class Compiler:
        def format_code_name(self, filename: str) -> tuple[str, str] | None:
            return ("Cell", "In[7]") if filename == __file__ else None

    class Shell:
        compile = Compiler()

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    result = check_discriminator_loss(crashing_d_loss)
    line = crashing_d_loss.__code__.co_firstlineno + 1
    assert f"at Cell In[7], line {line}: both = real @ fake" in str(result), str(result)


def test_a_right_answer_passes_even_when_the_notebook_turned_autograd_off():
    with torch.no_grad():
        result = check_discriminator_loss(discriminator_loss)
    assert result.passed, str(result)
