"""A history of generated images for the discriminators (Shrivastava et al. 2017).

If a discriminator only ever sees the generator's *latest* fakes, the two can chase each other in
circles: the generator moves to whatever the discriminator currently misses, the discriminator
forgets the old mistakes, and the generator moves back. CycleGAN therefore shows each
discriminator a mix of fresh fakes and fakes from up to 50 earlier steps.

The rule, per image of the batch (reference ``util/image_pool.py``):

* while the pool holds fewer than ``pool_size`` images, store the new image and return it;
* once full, with probability 1/2 return a random *stored* image and put the new one in its place,
  otherwise return the new image and leave the pool as it is.

Unlike the reference, which draws from Python's global ``random``, the pool owns a seeded
``torch.Generator``: its draws do not disturb (and are not disturbed by) other random numbers,
and :meth:`ImagePool.state_dict` captures them, so a resumed run draws exactly what an
uninterrupted run would have.
"""

from __future__ import annotations

import torch

from nstlib.errors import NstlibError


class ImagePool:
    """A buffer of up to ``pool_size`` past fakes with the reference's 50% swap rule.

    Args:
        pool_size: how many images to remember; 0 turns the pool off (``query`` returns its
            input, detached).
        seed: seed of the pool's own random generator.
    """

    def __init__(self, pool_size: int = 50, seed: int = 0) -> None:
        if pool_size < 0:
            raise NstlibError(f"pool_size must be ≥ 0 (0 disables the pool); got {pool_size}.")
        self.pool_size = pool_size
        self.images: list[torch.Tensor] = []  # each [C, H, W], detached
        self.rng = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.images)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """Return a batch of the same shape to show the discriminator, updating the pool.

        ``images``: ``[B, C, H, W]`` new fakes. Returns ``[B, C, H, W]``, detached from the graph
        (the discriminator's loss must not flow back into the generator), each row either the new
        image or an older one it replaced.
        """
        if images.dim() != 4:
            raise NstlibError(f"ImagePool.query expects [B, C, H, W]; got {list(images.shape)}.")
        if self.pool_size == 0:
            return images.detach()
        returned = []
        for image in images.detach():
            if len(self.images) < self.pool_size:
                self.images.append(image.clone())
                returned.append(image)
            elif torch.rand((), generator=self.rng) > 0.5:
                slot = int(torch.randint(self.pool_size, (), generator=self.rng))
                returned.append(self.images[slot])
                self.images[slot] = image.clone()
            else:
                returned.append(image)
        return torch.stack(returned)

    def state_dict(self) -> dict:
        """Pool contents and random state as tensors and ints (``weights_only``-loadable)."""
        return {
            "pool_size": self.pool_size,
            "images": list(self.images),
            "rng": self.rng.get_state(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned; the pool sizes must agree."""
        if state["pool_size"] != self.pool_size:
            raise NstlibError(
                f"saved pool has pool_size={state['pool_size']}, this one {self.pool_size}; "
                "build the pool with the saved size."
            )
        self.images = list(state["images"])
        self.rng.set_state(state["rng"])
