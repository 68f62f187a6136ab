import pytest
import torch

from nstlib.errors import NstlibError
from nstlib.image_pool import ImagePool


def numbered(start: int, n: int = 1) -> torch.Tensor:
    """``n`` 1×1 single-channel "images" holding the values start, start+1, ..."""
    return torch.arange(start, start + n, dtype=torch.float32).view(n, 1, 1, 1)


def test_size_zero_returns_the_input_detached():
    pool = ImagePool(0)
    x = torch.rand(3, 3, 4, 4, requires_grad=True)
    out = pool.query(x)
    assert torch.equal(out, x) and not out.requires_grad
    assert len(pool) == 0


def test_fill_phase_stores_and_returns_new_images():
    pool = ImagePool(5)
    for i in range(5):
        assert torch.equal(pool.query(numbered(i)), numbered(i))
    assert len(pool) == 5
    assert sorted(x.item() for x in pool.images) == [0, 1, 2, 3, 4]


def test_a_batch_fills_image_by_image():
    pool = ImagePool(3)
    out = pool.query(numbered(0, 4))  # 3 stored and returned, the 4th goes through the 50% rule
    assert out.shape == (4, 1, 1, 1)
    assert torch.equal(out[:3], numbered(0, 3))
    assert len(pool) == 3


def test_once_full_half_the_queries_swap_with_a_stored_image():
    pool = ImagePool(10, seed=1)
    pool.query(numbered(0, 10))
    n, swapped = 4000, 0
    for i in range(10, 10 + n):
        before = {x.item() for x in pool.images}
        out = pool.query(numbered(i)).item()
        after = {x.item() for x in pool.images}
        if out != i:  # an old image came back: it must have been in the pool and now be replaced
            swapped += 1
            assert out in before and out not in after and i in after
        else:
            assert after == before
        assert len(pool) == 10  # the cap holds
    assert swapped / n == pytest.approx(0.5, abs=0.03)


def test_returned_images_are_detached_and_stored_as_copies():
    pool = ImagePool(2)
    x = torch.rand(2, 3, 4, 4, requires_grad=True)
    out = pool.query(x)
    assert not out.requires_grad and not any(im.requires_grad for im in pool.images)
    with torch.no_grad():
        x.zero_()  # changing the generator's tensor later must not change the history
    assert all(im.abs().sum() > 0 for im in pool.images)


def test_same_seed_same_draws_and_state_round_trip():
    a, b = ImagePool(4, seed=3), ImagePool(4, seed=3)
    for i in range(0, 40, 2):
        assert torch.equal(a.query(numbered(i, 2)), b.query(numbered(i, 2)))
    resumed = ImagePool(4, seed=99)
    resumed.load_state_dict(a.state_dict())
    for i in range(40, 80, 2):
        assert torch.equal(a.query(numbered(i, 2)), resumed.query(numbered(i, 2)))


def test_bad_arguments():
    with pytest.raises(NstlibError, match="pool_size"):
        ImagePool(-1)
    with pytest.raises(NstlibError, match="pool_size=4"):
        ImagePool(5).load_state_dict(ImagePool(4).state_dict())
    with pytest.raises(NstlibError, match=r"\[B, C, H, W\]"):
        ImagePool(5).query(torch.zeros(3, 4, 4))
