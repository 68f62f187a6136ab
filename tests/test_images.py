import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from nstlib.errors import NstlibError
from nstlib.images import (
    UNIT_RANGE_TOLERANCE,
    check_image,
    check_same_shape,
    check_unit_range,
    figure_png,
    load_image,
    pad_to_multiple,
    png_bytes,
    resize_longer_side,
    save_image,
    to_signed,
    to_unit,
)


def write_png(path, array):
    Image.fromarray(array).save(path)
    return path


def test_load_image_gives_rgb_unit_range(tmp_path):
    rng = np.random.default_rng(0)
    path = write_png(tmp_path / "a.png", rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))
    image = load_image(path)
    assert image.shape == (1, 3, 20, 30) and image.dtype == torch.float32
    assert 0 <= image.min() and image.max() <= 1


def test_grey_images_become_three_channels_and_alpha_is_composited(tmp_path):
    grey = load_image(write_png(tmp_path / "g.png", np.full((8, 8), 128, np.uint8)))
    assert grey.shape == (1, 3, 8, 8) and torch.allclose(grey[0, 0], grey[0, 2])
    rgba = np.zeros((8, 8, 4), np.uint8)  # fully transparent black composites onto white
    assert load_image(write_png(tmp_path / "t.png", rgba)).min() == 1.0


def test_resize_keeps_aspect(tmp_path):
    path = write_png(tmp_path / "a.png", np.zeros((50, 100, 3), np.uint8))
    assert load_image(path, size=40).shape == (1, 3, 20, 40)
    assert resize_longer_side(torch.zeros(1, 3, 100, 50), 10).shape == (1, 3, 10, 5)


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(NstlibError, match="not found: .*missing.png"):
        load_image(tmp_path / "missing.png")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(NstlibError, match="notes.txt is not an image"):
        load_image(text)
    with pytest.raises(NstlibError, match="is a folder"):
        load_image(tmp_path)


def test_save_round_trip_and_range_check(tmp_path):
    image = torch.rand(1, 3, 6, 7)
    path = save_image(image, tmp_path / "out.png")
    assert torch.allclose(load_image(path), image, atol=1 / 255)
    with pytest.raises(NstlibError, match=r"\[0, 1\].*to_unit"):
        save_image(to_signed(image) - 0.5, tmp_path / "bad.png")
    with pytest.raises(NstlibError, match="does not exist"):
        save_image(image, tmp_path / "nope" / "out.png")


def test_check_image_messages():
    with pytest.raises(NstlibError, match="unsqueeze"):
        check_image(torch.zeros(3, 8, 8))
    with pytest.raises(NstlibError, match="3 \\(RGB\\) channels; got 4"):
        check_image(torch.zeros(1, 4, 8, 8))
    with pytest.raises(NstlibError, match="divisible by 4; got 10×8. Crop or resize to 8×8"):
        check_image(torch.zeros(1, 3, 10, 8), multiple_of=4)
    with pytest.raises(NstlibError, match="float"):
        check_image(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))
    check_image(torch.zeros(2, 3, 8, 12), multiple_of=4)


def test_a_huge_file_loads_only_with_a_size(tmp_path):
    path = tmp_path / "scan.png"
    Image.new("RGB", (5000, 3500), (255, 0, 0)).save(path)  # 17.5 Mpx > MAX_PIXELS = 4096²
    with pytest.raises(NstlibError, match=r"5000×3500 pixels.*pass size="):
        load_image(path)
    small = load_image(path, 256)
    assert small.shape == (1, 3, 179, 256)
    assert torch.allclose(small[0, :, 90, 128], torch.tensor([1.0, 0.0, 0.0]))


def test_check_same_shape_names_both_arguments_instead_of_broadcasting():
    one, four = torch.zeros(1, 3, 8, 8), torch.zeros(4, 3, 8, 8)
    with pytest.raises(NstlibError, match=r"real and fake must have the same shape; got \[1, 3"):
        check_same_shape(one, four, ("real", "fake"))
    check_same_shape(four, four.clone(), ("real", "fake"))


def test_signed_unit_round_trip():
    x = torch.rand(2, 3, 4, 4)
    assert torch.allclose(to_unit(to_signed(x)), x)
    assert to_signed(torch.zeros(1)).item() == -1 and to_signed(torch.ones(1)).item() == 1


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_check_unit_range_refuses_nan_and_infinity(bad):
    image = torch.full((1, 3, 2, 2), 0.5)
    image[0, 1, 0, 1] = bad
    with pytest.raises(NstlibError, match="result contains NaN or infinite values"):
        check_unit_range(image, "result")


def test_check_unit_range_tolerates_rounding_but_not_a_signed_image():
    check_unit_range(torch.tensor([-UNIT_RANGE_TOLERANCE / 2, 1 + UNIT_RANGE_TOLERANCE / 2]))
    with pytest.raises(NstlibError, match=r"output must hold values in \[0, 1\].*to_unit"):
        check_unit_range(torch.tensor([-1.0, 1.0]), "output")


def test_pad_to_multiple_reflects_and_crops_back():
    image = torch.arange(5 * 6, dtype=torch.float32).reshape(1, 1, 5, 6)
    padded = pad_to_multiple(image, 4)
    assert padded.shape == (1, 1, 8, 8)
    assert torch.equal(padded[..., :5, :6], image)  # the original sits top-left, untouched
    assert torch.equal(padded[..., 5, :6], image[..., 3, :])  # row 5 mirrors row 3
    assert torch.equal(padded[..., :5, 6], image[..., :, 4])  # column 6 mirrors column 4
    assert torch.equal(pad_to_multiple(padded, 4), padded)  # already a multiple: nothing added


def test_pad_to_multiple_errors():
    with pytest.raises(NstlibError, match="multiple must be a positive"):
        pad_to_multiple(torch.zeros(1, 3, 4, 4), 0)
    with pytest.raises(NstlibError, match="too small"):
        pad_to_multiple(torch.zeros(1, 3, 2, 8), 4)


def test_png_encoders_give_png_bytes():
    assert png_bytes(torch.zeros(1, 3, 4, 4))[:8] == b"\x89PNG\r\n\x1a\n"
    from matplotlib.figure import Figure

    figure = Figure(figsize=(1, 1), dpi=20)
    figure.subplots().plot([0, 1])
    assert figure_png(figure)[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_exif_orientation_of_a_phone_photo_is_applied(tmp_path):
    stored = np.zeros((20, 40, 3), np.uint8)  # stored landscape, left half white
    stored[:, :20] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": a portrait photo, top half white
    Image.fromarray(stored).save(tmp_path / "phone.jpg", exif=exif)
    for size in (None, 16):  # with a size, the shrink-while-decoding path
        image = load_image(tmp_path / "phone.jpg", size)
        assert image.shape[-2:] == ((40, 20) if size is None else (16, 8))
        top, bottom = image[..., : image.shape[-2] // 2, :], image[..., image.shape[-2] // 2 :, :]
        assert top.mean() > 0.9 and bottom.mean() < 0.1


def test_save_image_writes_png_only(tmp_path):
    for name in ("a.jpg", "a.webp", "a"):
        with pytest.raises(NstlibError, match="PNG"):
            save_image(torch.rand(1, 3, 4, 4), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_keeps_the_previous_picture_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = save_image(torch.zeros(1, 3, 4, 4), tmp_path / "a.png")
    before = path.read_bytes()

    def disk_full(self, fp, *args, **kwargs):
        with open(fp, "wb") as file:
            file.write(b"half a PNG")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(OSError, match="No space"):
        save_image(torch.ones(1, 3, 4, 4), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_pillows_decompression_bomb_warning_is_not_shown_for_a_file_we_shrink(tmp_path):
    """Over Pillow's 89.5 Mpx warning threshold; MAX_PIXELS (stricter) already says what to do."""
    Image.new("L", (9500, 9500), 128).save(tmp_path / "huge.jpg", quality=30)  # 1 MB on disk
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        assert load_image(tmp_path / "huge.jpg", size=32).shape == (1, 3, 32, 32)
