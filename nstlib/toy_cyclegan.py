"""Lesson 04's small CycleGAN on the toy domains: its four networks, its data and its scores.

* :func:`toy_cyclegan` builds CycleGAN's two generators and two PatchGANs, shrunk for 32 px images
  on a CPU;
* :func:`domain_sampler` (a :class:`DomainSampler`) draws endless *unpaired* training batches of
  one toy domain
  (:mod:`nstlib.toy_domains`); :func:`held_out_batches` draws one fixed *paired* test set;
* :func:`evaluate` reports what the generators do on the test set (:class:`ToyScores`), and
  :func:`colour_spread` and :func:`input_correlation` measure the collapse of a generator trained
  with an adversarial loss only (every input mapped to one plausible output).

Images are ``[n, 3, H, W]`` in ``[-1, 1]``, the range of the generators' ``tanh``.

Reference: Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks".
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from nstlib.colour import chromaticity
from nstlib.cyclegan import ResnetGenerator, init_weights
from nstlib.errors import NstlibError
from nstlib.images import check_image, check_same_shape, to_unit
from nstlib.metrics import correlation
from nstlib.patchgan import PatchDiscriminator
from nstlib.toy_domains import content_change, domain_score, object_mask, sample_domain

HELD_OUT_SEED = 1234  # one seed for both domains: the test objects are paired


def toy_cyclegan(
    ngf: int = 16, n_blocks: int = 4, ndf: int = 16, n_layers: int = 2, seed: int = 0
) -> tuple[ResnetGenerator, ResnetGenerator, PatchDiscriminator, PatchDiscriminator]:
    """CycleGAN's four networks, shrunk for 32 px images on a CPU: ``G_AB, G_BA, D_A, D_B``.

    The generators are :class:`ResnetGenerator` with ``ngf`` channels and ``n_blocks`` blocks
    (the reference: 64 and 9). The discriminators are PatchGANs with ``n_layers`` stride-2 convs:
    2 gives a 34×34 receptive field and a 6×6 output map on 32 px images (the reference's 3 layers
    and 70×70 patches would see the whole image). All weights are initialised as in the reference
    (N(0, 0.02²)), from ``seed``; the global random state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        generators = [init_weights(ResnetGenerator(ngf=ngf, n_blocks=n_blocks)) for _ in range(2)]
        discriminators = [
            init_weights(PatchDiscriminator(ndf=ndf, n_layers=n_layers)) for _ in range(2)
        ]
    return generators[0], generators[1], discriminators[0], discriminators[1]


class DomainSampler:
    """``sampler(n)``: ``n`` fresh images ``[n, 3, size, size]`` in ``[-1, 1]`` of one toy domain.

    Each sampler owns a random generator seeded with ``seed``; give the two domains different
    seeds so that training never sees matching A and B objects (the data are *unpaired*). Its
    :meth:`state_dict` is that generator's state: pass the samplers to
    :func:`nstlib.cyclegan_checkpoint.save_checkpoint` so that a resumed run draws the very
    batches the uninterrupted run would have drawn.
    """

    def __init__(
        self, pair: str, domain: str, seed: int, size: int = 32, device: torch.device | str = "cpu"
    ) -> None:
        self.pair, self.domain, self.size, self.device = pair, domain, size, device
        self.rng = torch.Generator().manual_seed(seed)

    def __call__(self, n: int) -> torch.Tensor:
        return sample_domain(self.pair, self.domain, n, self.size, rng=self.rng).to(self.device)

    def state_dict(self) -> dict:
        """The random generator's state (a uint8 tensor, ``weights_only``-loadable)."""
        return {"rng": self.rng.get_state()}

    def load_state_dict(self, state: dict) -> None:
        """Continue from what :meth:`state_dict` returned."""
        self.rng.set_state(state["rng"])


def domain_sampler(
    pair: str, domain: str, seed: int, size: int = 32, device: torch.device | str = "cpu"
) -> DomainSampler:
    """A :class:`DomainSampler`: ``sampler(n)`` draws ``n`` fresh images of one toy domain."""
    return DomainSampler(pair, domain, seed, size, device)


def held_out_batches(pair: str, n: int = 64, size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Held-out ``(a, b)``, each ``[n, 3, size, size]``, drawn with the same seed: paired content.

    Equal seeds give the same objects in both domains (see :mod:`nstlib.toy_domains`), so
    evaluation could compare G(a) with "the right answer"; training never sees this pairing.
    """
    a = sample_domain(pair, "A", n, size, rng=torch.Generator().manual_seed(HELD_OUT_SEED))
    b = sample_domain(pair, "B", n, size, rng=torch.Generator().manual_seed(HELD_OUT_SEED))
    return a, b


def object_colours(images: torch.Tensor) -> torch.Tensor:
    """``[n, 3]``: the chromaticity ``(r, g, b) / (r + g + b)`` of each image's object.

    The object is :func:`nstlib.toy_domains.object_mask` (pixels far from the background);
    brightness cancels, so a striped object and its flat twin have the same chromaticity. An image
    with no object pixels gets the chromaticity of the whole image (its background).
    """
    check_image(images, "images")
    images = images.detach().float().cpu()
    mask = object_mask(images).unsqueeze(1).float()
    mask = torch.where(mask.sum(dim=(2, 3), keepdim=True) > 0, mask, torch.ones_like(mask))
    return chromaticity(to_unit(images), mask)


def colour_spread(images: torch.Tensor) -> float:
    """How different the objects' colours are across a batch ``[n, 3, H, W]`` (n ≥ 2).

    The mean over all pairs of half the L1 distance between their :func:`object_colours` (the
    units of ``content_change``'s colour shift): 0 when every object has the same hue, about 0.3
    for the toy domains' random hues. A generator that maps every input to one output scores ~0.
    """
    if images.shape[0] < 2:
        raise NstlibError(
            f"colour_spread compares images pairwise, so images needs at least 2 of them; got "
            f"{images.shape[0]}. Pass a batch [n, 3, H, W] with n ≥ 2."
        )
    colours = object_colours(images)
    n = colours.shape[0]
    return (torch.cdist(colours, colours, p=1).sum() / 2 / (n * (n - 1))).item()


def input_correlation(inputs: torch.Tensor, outputs: torch.Tensor) -> float:
    """The mean over the batch of each image's :func:`nstlib.metrics.correlation` with its input.

    Both ``[n, 3, H, W]``. Near 1: the output keeps the input's layout (where the object is, its
    colour); near 0: the output no longer depends on its input.
    """
    check_image(inputs, "inputs")
    check_image(outputs, "outputs")
    check_same_shape(inputs, outputs, ("inputs", "outputs"))
    per_image = [correlation(y, x) for x, y in zip(inputs, outputs, strict=True)]
    return sum(per_image) / len(per_image)


class ToyScores(NamedTuple):
    """What a CycleGAN does on held-out toy images (means over the batch).

    ``score_AB``: domain score of G_AB(a), 0 = looks like A, 1 = looks like B (want 1).
    ``score_BA``: domain score of G_BA(b) (want 0). ``rec_A``, ``rec_B``: mean |F(G(a)) − a| and
    |G(F(b)) − b| in ``[-1, 1]`` units (want 0). ``colour_shift`` and ``mask_iou`` compare each
    object in a with the one in G_AB(a) (:func:`nstlib.toy_domains.content_change`): same hue
    (shift 0) and same place and outline (IoU 1) mean the content survived.
    """

    score_AB: float
    score_BA: float
    rec_A: float
    rec_B: float
    colour_shift: float
    mask_iou: float


@torch.no_grad()
def evaluate(
    G_AB: nn.Module, G_BA: nn.Module, pair: str, a: torch.Tensor, b: torch.Tensor
) -> ToyScores:
    """Translate held-out ``a`` (domain A) and ``b`` (domain B) both ways and score the results."""
    device = next(G_AB.parameters()).device
    a, b = a.to(device), b.to(device)
    fake_B, fake_A = G_AB(a), G_BA(b)
    rec_A, rec_B = G_BA(fake_B), G_AB(fake_A)
    change = content_change(a, fake_B)
    return ToyScores(
        score_AB=domain_score(fake_B, pair).mean().item(),
        score_BA=domain_score(fake_A, pair).mean().item(),
        rec_A=(rec_A - a).abs().mean().item(),
        rec_B=(rec_B - b).abs().mean().item(),
        colour_shift=change.colour_shift.mean().item(),
        mask_iou=change.mask_iou.mean().item(),
    )
