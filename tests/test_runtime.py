import pytest
import torch
from torch import nn

import nstlib
from nstlib.errors import NstlibError
from nstlib.runtime import resolve_device, set_requires_grad


def test_profile_defaults_to_student(monkeypatch):
    monkeypatch.delenv("NSTLIB_PROFILE", raising=False)
    assert nstlib.profile() == "student"


@pytest.mark.parametrize(("name", "expected"), [("ci", 1), ("student", 2), ("full", 3)])
def test_pick_follows_the_profile(monkeypatch, name, expected):
    monkeypatch.setenv("NSTLIB_PROFILE", name)
    assert nstlib.pick(ci=1, student=2, full=3) == expected


def test_pick_full_falls_back_to_student(monkeypatch):
    monkeypatch.setenv("NSTLIB_PROFILE", "full")
    assert nstlib.pick(ci=1, student=2) == 2


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NSTLIB_PROFILE", "fast")
    with pytest.raises(NstlibError, match="NSTLIB_PROFILE='fast'.*ci, student, full"):
        nstlib.profile()


def test_device_can_be_forced_and_defaults_to_an_available_one(monkeypatch):
    monkeypatch.setenv("NSTLIB_DEVICE", "cpu")
    assert nstlib.device() == torch.device("cpu")
    monkeypatch.delenv("NSTLIB_DEVICE")
    assert nstlib.device().type in {"cpu", "cuda", "mps"}
    if not torch.cuda.is_available():
        assert nstlib.device().type != "cuda"


def test_resolve_device_names_the_argument_or_variable_to_fix(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(NstlibError, match="device='banana' is not a device"):
        resolve_device("banana")
    monkeypatch.setenv("NSTLIB_DEVICE", "gpu")
    with pytest.raises(NstlibError, match="NSTLIB_DEVICE='gpu' is not a device"):
        nstlib.device()
    if not torch.cuda.is_available():
        with pytest.raises(NstlibError, match="not available on this machine"):
            resolve_device("cuda")


def test_seed_everything_makes_draws_repeatable():
    nstlib.seed_everything(3)
    first = torch.rand(4)
    rng = nstlib.seed_everything(3)
    assert torch.equal(first, torch.rand(4))
    assert torch.equal(
        torch.rand(4, generator=rng),
        torch.rand(4, generator=torch.Generator().manual_seed(3)),
    )


def test_set_requires_grad_switches_one_module_or_several():
    d_a, d_b = nn.Linear(2, 1), nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    set_requires_grad(d_a, False)
    assert not any(p.requires_grad for p in d_a.parameters())
    set_requires_grad((d_a, d_b), False)
    assert not any(p.requires_grad for p in d_b.parameters())
    set_requires_grad([d_a, d_b], True)
    assert all(p.requires_grad for m in (d_a, d_b) for p in m.parameters())
