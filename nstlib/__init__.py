"""nstlib: the reference implementations behind the nstlib course.

The course walks from GAN basics, through residual blocks and the 70×70 PatchGAN, to CycleGAN, and
then to Gatys' Gram-matrix style transfer. Each idea lives in its own short module:

=====================  ===============================================================
module                 what it holds
=====================  ===============================================================
``runtime``            device, run profile (``NSTLIB_PROFILE``), seeding
``images``             load/save/check image tensors
``gan_losses``         minimax, non-saturating and least-squares GAN losses
``ring``               the 2-D ring of Gaussians, its tiny GAN and mode coverage
``dcgan``              a small convolutional GAN for tiny images
``gan_train``          the alternating GAN training loop and its history
``blocks``             the residual block ``x + F(x)``
``patchgan``           the 70×70 PatchGAN and receptive-field arithmetic
``cyclegan``           the ResNet generator and CycleGAN's losses
``image_pool``         the history of fakes shown to the discriminators
``cyclegan_train``     the CycleGAN trainer with exact checkpoint/resume
``pretrained``         offline pretrained weights (vintagify's CycleGAN generator)
``data``               bundled photos and style images by name
``toy_domains``        unpaired toy domains with an analytic domain score
``fetch``              verified downloads of the real CycleGAN datasets
``backbones``          VGG layers by paper name and the offline backbones
``style``              Gram matrices and the content, style and TV losses
``stylize``            Gatys' optimisation loop
=====================  ===============================================================
"""

from nstlib.errors import NstlibError
from nstlib.images import load_image, save_image
from nstlib.runtime import device, pick, profile, seed_everything, set_deterministic

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
