"""Two folders of unpaired photos, served the way the reference CycleGAN code serves them.

CycleGAN learns from two *unpaired* sets: ``DIR/trainA/`` (say horses) and ``DIR/trainB/`` (zebras),
any number of image files in each, nothing matched. The reference code's ``UnalignedDataset``
defines an epoch as ``max(len(A), len(B))`` samples; sample ``i`` is A image ``i mod len(A)`` paired
with a B image drawn at random, so every epoch pairs each horse with different zebras. Each image is
then augmented like the reference's ``resize_and_crop`` preprocessing:

1. resize to ``load_size × load_size`` (bicubic; the aspect ratio is *not* kept), 286 by default;
2. crop a random ``crop_size × crop_size`` square, 256 by default (the network's training size);
3. flip left–right with probability 1/2 (``flip=False`` turns this off);
4. scale to ``[-1, 1]``, the range of the generator's ``tanh``.

**Randomness keyed by position.** The reference draws the B index, the crop and the flip from
global random generators, inside whichever data-loader worker happens to load the sample. Here
each sample's draws come from its own generator seeded by ``(seed, epoch, index)``: the same sample
gets the same B partner, crop and flip whatever the number of workers, processes or GPUs, and a
resumed run that skips the first ``k`` samples of an epoch sees exactly what the uninterrupted run
saw after them. :func:`epoch_order` gives the shuffled order of the indices, through PyTorch's
``DistributedSampler`` so that one process and many split the same order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, DistributedSampler

from nstlib.errors import NstlibError

# The reference's IMG_EXTENSIONS (compared in lower case), plus WebP.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".tif", ".tiff", ".webp")
LAYOUT = (
    "a folder with trainA/ and trainB/ (one image file per photo, any names; optional testA/ and "
    "testB/ for the sample grid), e.g. the reference's datasets/horse2zebra"
)


def list_images(folder: Path) -> list[Path]:
    """Every image file under ``folder`` (sub-folders included), sorted by path."""
    return sorted(
        p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
    )


def domain_images(root: Path, folder: str) -> list[Path]:
    """The images of ``root/folder`` (e.g. ``trainA``); a missing or empty folder is an error."""
    path = Path(root) / folder
    if not path.is_dir():
        raise NstlibError(f"--data {root} has no {folder}/ folder; expected {LAYOUT}.")
    images = list_images(path)
    if not images:
        raise NstlibError(
            f"{path} holds no image files ({', '.join(IMAGE_EXTENSIONS)}); expected {LAYOUT}."
        )
    return images


def load_rgb(path: Path) -> Image.Image:
    """An image file as an RGB PIL image (grey and RGBA files are converted, as the reference does)."""
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, Image.DecompressionBombError) as exc:
        raise NstlibError(
            f"{path} could not be read as an image ({exc}); remove or replace it."
        ) from exc


def to_signed_tensor(image: Image.Image) -> torch.Tensor:
    """A PIL RGB image → ``[3, H, W]`` float32 in ``[-1, 1]``."""
    array = np.asarray(image, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


class UnalignedImages(Dataset):
    """``root/{phase}A`` and ``root/{phase}B`` as unpaired, augmented training samples.

    Args:
        root: the dataset folder (see :data:`LAYOUT`).
        phase: ``"train"`` reads ``trainA``/``trainB``.
        load_size: side of the square each image is first resized to (reference: 286).
        crop_size: side of the random square crop the networks see (reference: 256).
        flip: random left–right flips.
        seed: mixed into every sample's random draws (see the module docstring).

    ``dataset[i]`` is ``{"A": [3, crop, crop], "B": [3, crop, crop]}``, float32 in ``[-1, 1]``;
    ``len(dataset)`` is ``max(len(A), len(B))``. Call :meth:`set_epoch` before each epoch.
    """

    def __init__(
        self,
        root: str | Path,
        phase: str = "train",
        load_size: int = 286,
        crop_size: int = 256,
        flip: bool = True,
        seed: int = 0,
    ) -> None:
        if crop_size > load_size:
            raise NstlibError(
                f"--crop-size {crop_size} is larger than --load-size {load_size}; the crop is taken "
                "from the resized image, so use a crop size ≤ the load size."
            )
        if crop_size % 4:
            raise NstlibError(
                f"--crop-size {crop_size} is not divisible by 4, which the generator needs; "
                f"use {crop_size - crop_size % 4} or {crop_size + 4 - crop_size % 4}."
            )
        self.root = Path(root)
        self.paths_A = domain_images(self.root, f"{phase}A")
        self.paths_B = domain_images(self.root, f"{phase}B")
        self.load_size, self.crop_size, self.flip, self.seed = load_size, crop_size, flip, seed
        self.epoch = 0

    def __len__(self) -> int:
        return max(len(self.paths_A), len(self.paths_B))

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s random draws (B partners, crops, flips) from now on."""
        self.epoch = epoch

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        # A fresh generator per sample, seeded by where the sample is, not by what ran before.
        rng = np.random.default_rng([self.seed, self.epoch, index])
        partner = int(rng.integers(len(self.paths_B)))  # the reference's random B index
        return {
            "A": self._augment(self.paths_A[index % len(self.paths_A)], rng),
            "B": self._augment(self.paths_B[partner], rng),
        }

    def _augment(self, path: Path, rng: np.random.Generator) -> torch.Tensor:
        size, crop = self.load_size, self.crop_size
        image = load_rgb(path).resize((size, size), Image.Resampling.BICUBIC)
        top, left = (int(v) for v in rng.integers(0, size - crop + 1, size=2))
        image = image.crop((left, top, left + crop, top + crop))
        if self.flip and rng.random() < 0.5:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return to_signed_tensor(image)


def epoch_order(
    dataset: UnalignedImages, epoch: int, seed: int, rank: int = 0, world_size: int = 1
) -> list[int]:
    """The sample indices process ``rank`` of ``world_size`` visits in ``epoch``, in order.

    All processes shuffle the same permutation (seeded by ``seed + epoch``) and process ``rank``
    takes every ``world_size``-th index from position ``rank``: with 2 processes and batch 1 per
    process, step ``k`` sees positions ``2k`` and ``2k + 1``, exactly the batch of 2 that one
    process sees at step ``k``. When the length does not divide, ``DistributedSampler`` repeats a
    few indices so that every process gets as many.
    """
    sampler = DistributedSampler(
        dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=seed, drop_last=False
    )
    sampler.set_epoch(epoch)
    return list(sampler)


def fixed_images(root: str | Path, count: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``count`` images of each domain, for a sample grid that is comparable across epochs.

    Taken from ``testA``/``testB`` (held out from training) when both exist, else from
    ``trainA``/``trainB``. Each is resized to ``size × size`` (bicubic), with no crop or flip.
    Returns ``(A, B)``, each ``[n, 3, size, size]`` in ``[-1, 1]``, ``n ≤ count``.
    """
    root = Path(root)
    phase = "test" if (root / "testA").is_dir() and (root / "testB").is_dir() else "train"
    pictures = []
    for domain in "AB":
        paths = domain_images(root, f"{phase}{domain}")[:count]
        pictures.append(
            torch.stack(
                [
                    to_signed_tensor(load_rgb(p).resize((size, size), Image.Resampling.BICUBIC))
                    for p in paths
                ]
            )
        )
    return pictures[0], pictures[1]
