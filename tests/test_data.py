import numpy as np
import pytest
import torch
from PIL import Image

from nstlib.data import PHOTOS, STYLES, photo, resolve_image, style
from nstlib.errors import NstlibError


def test_every_photo_loads_offline_as_unit_rgb():
    for name in PHOTOS:
        image = photo(name, size=64)
        assert image.shape[:2] == (1, 3) and max(image.shape[-2:]) == 64, name
        assert image.dtype == torch.float32 and 0 <= image.min() and image.max() <= 1, name


def test_photo_full_size_and_aspect():
    cat = photo("chelsea")
    assert cat.shape == (1, 3, 300, 451)
    assert photo("chelsea", size=100).shape == (1, 3, 67, 100)


def test_every_style_loads_as_unit_rgb():
    for name in STYLES:
        image = style(name, size=48)
        assert image.shape == (1, 3, 48, 48), name
        assert 0 <= image.min() and image.max() <= 1, name


def test_grey_textures_are_repeated_to_rgb():
    brick = style("brick")
    assert brick.shape == (1, 3, 512, 512)
    assert torch.equal(brick[:, 0], brick[:, 1]) and torch.equal(brick[:, 1], brick[:, 2])


def test_resolve_image_accepts_names_and_files(tmp_path):
    assert torch.equal(resolve_image("chelsea", 64), photo("chelsea", 64))
    assert torch.equal(resolve_image("swirl", 64), style("swirl", 64))
    path = tmp_path / "red.png"
    Image.fromarray(np.full((10, 20, 3), (255, 0, 0), dtype=np.uint8)).save(path)
    image = resolve_image(path)
    assert image.shape == (1, 3, 10, 20)
    assert image[0, 0].min() == 1 and image[0, 1:].max() == 0
    assert resolve_image(str(path), size=40).shape == (1, 3, 20, 40)


def test_unknown_names_list_the_choices():
    with pytest.raises(NstlibError) as excinfo:
        resolve_image("kitten")
    message = str(excinfo.value)
    assert "kitten" in message and "chelsea" in message and "mosaic" in message
    with pytest.raises(NstlibError, match="astronaut"):
        photo("swirl")
    with pytest.raises(NstlibError, match="gravel"):
        style("chelsea")


def test_the_photos_of_other_packages_load_at_their_own_sizes():
    sizes = {
        name: tuple(photo(name).shape[-2:])
        for name in ("china", "flower", "grace_hopper", "motorcycle_left")
    }
    assert sizes == {
        "china": (427, 640),
        "flower": (427, 640),
        "grace_hopper": (600, 512),
        "motorcycle_left": (500, 741),
    }
    left, right = photo("motorcycle_left"), photo("motorcycle_right")
    assert not torch.equal(left, right)  # the two views of the stereo pair
