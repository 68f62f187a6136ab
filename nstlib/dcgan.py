"""A small DCGAN for tiny images, and the tiny face data set it learns from.

DCGAN's recipe (Radford et al. 2016) is what made convolutional GANs train: no pooling or fully
connected layers, strided transposed convs to upsample in G and strided convs to downsample in D,
batch norm in both (but not on G's output or D's input), ReLU in G with a ``tanh`` output,
LeakyReLU(0.2) in D, weights drawn from N(0, 0.02) and Adam with lr 2e-4, beta1 0.5.

The data are the 100 face crops of ``skimage.data.lfw_subset()`` (grey, 25×25, shipped inside the
scikit-image wheel, so they load offline), resized to ``size`` and scaled to ``[-1, 1]``.
Reference: the PyTorch DCGAN example (pytorch/examples ``dcgan/main.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from skimage import data as skdata
from torch import nn
from torchvision.transforms.v2 import functional as TF

from nstlib.errors import NstlibError

LFW_FACES = 100  # lfw_subset holds 100 faces followed by 100 non-face crops


def _check_size(size: int) -> int:
    """Number of ×2 resamplings between 4×4 and ``size``; ``size`` must be 8, 16, 32, 64..."""
    n = size.bit_length() - 3
    if size < 8 or size != 4 * 2**n:
        raise NstlibError(
            f"size={size} is not supported; use a power of two from 8 (e.g. 16 or 32)."
        )
    return n


def init_dcgan_weights(module: nn.Module) -> None:
    """DCGAN's initialisation, for ``model.apply``: convs N(0, 0.02); batch norm N(1, 0.02), bias 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """Noise to image: ``[B, z_dim] → [B, channels, size, size]`` in ``[-1, 1]``.

    A 4×4 transposed conv turns the noise into a ``4×4`` map of ``ngf·size/8`` channels; each
    following stride-2 transposed conv doubles H and W and halves the channels, down to ``ngf`` at
    ``size/2``; the last one outputs ``channels`` at ``size`` through ``tanh``. With the defaults
    (size 32, ngf 16) the maps are 64×4×4 → 32×8×8 → 16×16×16 → 1×32×32 (106,977 parameters).
    The PyTorch DCGAN example uses ngf 64 at 64 px (the paper's widths, 1024 channels at 4×4,
    correspond to ngf 128); 16 keeps a CPU run to a minute or two.
    """

    def __init__(self, z_dim: int = 64, channels: int = 1, size: int = 32, ngf: int = 16) -> None:
        super().__init__()
        n_up = _check_size(size)
        self.z_dim, self.channels, self.size = z_dim, channels, size
        width = ngf * 2 ** (n_up - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(z_dim, width, 4, 1, 0, bias=False),  # batch norm supplies the bias
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        ]
        for _ in range(n_up - 1):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                nn.ReLU(inplace=True),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan_weights)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise NstlibError(f"z must have shape [B, {self.z_dim}]; got {list(z.shape)}.")
        return self.net(z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """Image to one logit: ``[B, channels, size, size] → [B, 1]`` (no sigmoid).

    Stride-2 4×4 convs halve H and W down to ``4×4`` while the channels double from ``ndf``
    (no batch norm on the first); a final 4×4 conv with no padding reads the whole ``4×4`` map.
    With the defaults (size 32, ndf 16): 16×16×16 → 32×8×8 → 64×4×4 → 1×1×1 (42,449 parameters).
    """

    def __init__(self, channels: int = 1, size: int = 32, ndf: int = 16) -> None:
        super().__init__()
        n_down = _check_size(size)
        self.channels, self.size = channels, size
        layers: list[nn.Module] = [
            nn.Conv2d(channels, ndf, 4, 2, 1),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        width = ndf
        for _ in range(n_down - 1):
            layers += [
                nn.Conv2d(width, width * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            width *= 2
        layers.append(nn.Conv2d(width, 1, 4, 1, 0))
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = [self.channels, self.size, self.size]
        if x.dim() != 4 or list(x.shape[1:]) != expected:
            raise NstlibError(
                f"The discriminator expects images of shape [B, {', '.join(map(str, expected))}]; "
                f"got {list(x.shape)}. Resize the images or build it with matching channels/size."
            )
        return self.net(x).flatten(1)


def tiny_faces(size: int = 32) -> torch.Tensor:
    """The 100 grey face crops of LFW bundled with scikit-image: ``[100, 1, size, size]`` in ``[-1, 1]``.

    The 25×25 originals are resized (bilinear, antialiased) to ``size``. They come from Labeled
    Faces in the Wild (Huang et al. 2007, news photographs collected from the web), as shipped
    inside scikit-image; LFW is distributed for research and states no licence.
    """
    _check_size(size)
    faces = torch.from_numpy(skdata.lfw_subset()[:LFW_FACES]).float().unsqueeze(1)  # [0, 1]
    faces = TF.resize(faces, [size, size], antialias=True)  # bilinear: stays inside [0, 1]
    return faces * 2 - 1


def image_sampler(
    images: torch.Tensor,
    *,
    hflip: bool = True,
    device: torch.device | str = "cpu",
    rng: torch.Generator | None = None,
) -> Callable[[int], torch.Tensor]:
    """A ``sample_real(n)`` for :func:`nstlib.gan_train.train_gan`: ``n`` random images, on ``device``.

    Images are drawn with replacement from ``images`` (``[N, C, H, W]``); ``hflip`` mirrors each
    one with probability 1/2, which doubles a small face set for free. ``rng`` (a seeded CPU
    ``torch.Generator``) makes the draws repeatable.
    """
    if images.dim() != 4:
        raise NstlibError(f"images must be [N, C, H, W]; got {list(images.shape)}.")
    images = images.to(device)

    def sample_real(n: int) -> torch.Tensor:
        batch = images[torch.randint(len(images), (n,), generator=rng).to(images.device)]
        if hflip:
            flip = (torch.rand(n, generator=rng) < 0.5).to(images.device)
            batch = torch.where(flip[:, None, None, None], batch.flip(-1), batch)
        return batch

    return sample_real
