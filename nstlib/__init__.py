"""nstlib: the reference implementations behind the nstlib course.

The course walks from GAN basics, through residual blocks and the 70×70 PatchGAN, to CycleGAN, and
then to Gatys' Gram-matrix style transfer. Each idea lives in its own short module:

=========================  ===========================================================
module                     what it holds
=========================  ===========================================================
**GAN basics (lesson 01)**
``gan_losses``             minimax, non-saturating and least-squares GAN losses
``ring``                   the 2-D ring of Gaussians, its tiny GAN and mode coverage
``dcgan``                  a small convolutional GAN for tiny images
``gan_train``              the alternating GAN training loop and its history
**Residual blocks (02)**
``blocks``                 the residual block ``x + F(x)``
**PatchGAN (03)**
``patchgan``               the 70×70 PatchGAN and receptive-field arithmetic
``patch_task``             lesson 03's task: real vs blurred vs checkerboard patches
**CycleGAN (04)**
``cyclegan``               the ResNet generator and CycleGAN's losses
``image_pool``             the history of fakes shown to the discriminators
``cyclegan_train``         one CycleGAN training step, the LR schedule, the loop
``cyclegan_checkpoint``    exact save/resume of a trainer (weights, optimisers, RNGs)
``toy_domains``            unpaired toy domains with an analytic domain score
``toy_cyclegan``           lesson 04's small CycleGAN, its samplers and scores
``snapshots``              the shipped training snapshots and the script that makes them
``pretrained``             offline pretrained weights (vintagify's CycleGAN generator)
``unaligned``              two folders of unpaired photos, served as the reference does
``generator_files``        generator files: train-cyclegan's and the reference's published ones
``distributed``            data-parallel training over processes launched by ``torchrun``
``train_cyclegan``         ``python -m nstlib train-cyclegan``: CycleGAN on your own photos
**Style transfer (05, 06)**
``backbones``              VGG layers by paper name and the backbones that provide them
``style``                  Gram matrices, the content/style/TV losses, ``LossTerms``
``pixel_optim``            optimising an image's pixels against a loss (L-BFGS or Adam)
``stylize``                Gatys' style transfer: targets, pyramid, colour control
``colour``                 luminance, YIQ, chromaticity and colour matching
``transformer_net``        Johnson's feed-forward style network and its training
``cin``                    conditional instance norm: one network, 26 styles
``adain``                  adaptive instance norm and its mean/std style loss
``arbitrary``              Magenta's arbitrary-style model (onnxruntime)
**Shared by every lesson**
``runtime``                device, run profile (``NSTLIB_PROFILE``), seeding, freezing
``precision``              bf16 autocast where the hardware has it, fp32 elsewhere
``images``                 load/save/check image tensors, PNG bytes for widgets
``image_grid``             crisp uint8 grids of small images
``metrics``                relative change, correlation, PSNR
``data``                   bundled photos and style images by name
``painterly``              the project's generated painterly style images
``fetch``                  verified downloads of the real CycleGAN datasets
``assets``                 which offline weights exist, where; fetching missing ones
``validate``               the argument checks every command runs before any work
``validate``               checking a command's arguments before any work
``cli``                    the ``python -m nstlib`` command line
=========================  ===========================================================

Three folders hold what is not a concept of its own: ``exercises/`` the checkers behind the
lessons' exercises, ``demos/`` the instructors' widgets (one small interface, see its docstring),
and ``plumbing/`` the jobs every module shares (paths, safe weight loading, atomic writes,
downloads, clean interrupts).
"""

import importlib

from nstlib.errors import NstlibError

# The names below are imported on first use (PEP 562), not here: they need torch, which takes
# seconds to import, and ``python -m nstlib`` imports this file before it can check its arguments.
_LAZY = {
    "device": "nstlib.runtime",
    "load_image": "nstlib.images",
    "pick": "nstlib.runtime",
    "profile": "nstlib.runtime",
    "save_image": "nstlib.images",
    "seed_everything": "nstlib.runtime",
    "set_deterministic": "nstlib.runtime",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nstlib' has no attribute {name!r}")


__all__ = [
    "NstlibError",
    "device",
    "load_image",
    "pick",
    "profile",
    "save_image",
    "seed_everything",
    "set_deterministic",
]
__version__ = "0.1.0"
