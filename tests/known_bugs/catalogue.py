"""The known-bug catalogue: classic mistakes of this field, each planted by a small patch.

Each :class:`Bug` names the mistake, says how it is planted (one text edit in one function, or one
constant given another value) and lists the tests that must catch it. ``tests/test_known_bugs.py``
plants each bug in turn, runs those tests and asserts that at least one fails; the README's table
"The bugs our tests are proven to catch" is this list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from known_bugs.patching import edit_source, replace_constant


@dataclass(frozen=True)
class Bug:
    """One planted mistake and the tests that catch it.

    ``target`` is ``"module:qualified.name"``. With ``old``/``new`` the bug replaces the text
    ``old`` by ``new`` in that function's source; with ``value`` it sets that module constant to
    ``value`` everywhere. ``catchers`` are pytest node ids, relative to the repository root.
    """

    name: str
    what: str
    target: str
    catchers: tuple[str, ...]
    old: str = ""
    new: str = ""
    value: object = None

    def plant(self) -> AbstractContextManager[None]:
        module_name, _, qualname = self.target.partition(":")
        module = importlib.import_module(module_name)
        if self.value is not None:
            return replace_constant(module, qualname, self.value)
        owner, *rest = qualname.split(".")
        target = getattr(module, owner)
        for part in rest:
            target = vars(target)[part]  # vars(): a staticmethod or property, not its result
        return edit_source(target, self.old, self.new)


def _tests(file: str) -> Callable[..., tuple[str, ...]]:
    return lambda *names: tuple(f"tests/{file}::{name}" for name in names)


STYLE = _tests("test_style.py")
BLOCKS = _tests("test_blocks.py")
LOSSES = _tests("test_gan_losses.py")
POOL = _tests("test_image_pool.py")
PATCHGAN = _tests("test_patchgan.py")
CYCLEGAN = _tests("test_cyclegan.py")
TRAIN = _tests("test_cyclegan_train.py")
DIRECTIONS = _tests("test_cyclegan_step_by_direction.py")
SOURCES = _tests("test_constants_match_their_sources.py")
MODES = _tests("test_train_and_eval_modes.py")
BACKBONES = _tests("test_backbones.py")
GAN_TRAIN = _tests("test_gan_train.py")
ADAIN = _tests("test_adain.py")
CIN = _tests("test_cin.py")
DIAGNOSTICS = _tests("test_diagnostics_on_known_cases.py")

BUGS: tuple[Bug, ...] = (
    # -- Gram matrices and the Gatys losses ------------------------------------------------------
    Bug(
        "gram_divided_by_hw",
        "Gram matrix divided by H·W where C·H·W is meant (mixing two conventions)",
        "nstlib.style:gram_matrix",
        STYLE("test_gram_equals_the_articles_double_sum"),
        old='"chw": c * h * w',
        new='"chw": h * w',
    ),
    Bug(
        "spatial_gram",
        "Gram transposed the wrong way: an HW × HW spatial Gram instead of C × C",
        "nstlib.style:gram_matrix",
        STYLE("test_gram_equals_the_articles_double_sum"),
        old="gram = flat @ flat.transpose(1, 2)",
        new="gram = flat.transpose(1, 2) @ flat",
    ),
    Bug(
        "style_layer_weights_ignored",
        "per-layer style weights accepted but never applied",
        "nstlib.style:style_loss",
        STYLE("test_style_loss_matches_grams_with_layer_weights"),
        old="layer_weights[name] * ((gram_matrix",
        new="((gram_matrix",
    ),
    Bug(
        "tv_loss_sign",
        "total-variation loss with the wrong sign (rewards noise)",
        "nstlib.style:total_variation_loss",
        STYLE("test_total_variation"),
        old="return 0.5 * (down + right)",
        new="return -0.5 * (down + right)",
    ),
    Bug(
        "tv_loss_one_direction",
        "total-variation loss that only looks at vertical neighbours",
        "nstlib.style:total_variation_loss",
        STYLE("test_total_variation"),
        old="return 0.5 * (down + right)",
        new="return 0.5 * (down + down)",
    ),
    # -- VGG layers and preprocessing ------------------------------------------------------------
    Bug(
        "content_layer_off_by_one",
        "content layer relu4_1 instead of the paper's conv4_2 (after its ReLU)",
        "nstlib.backbones:PAPER_CONTENT_LAYERS",
        SOURCES("test_paper_layers_are_the_relus_right_after_gatys_convs"),
        value=("relu4_1",),
    ),
    Bug(
        "style_layers_shifted",
        "style layers shifted to the second conv of each block (relu1_2 … relu5_2)",
        "nstlib.backbones:PAPER_STYLE_LAYERS",
        SOURCES("test_paper_layers_are_the_relus_right_after_gatys_convs"),
        value=("relu1_2", "relu2_2", "relu3_2", "relu4_2", "relu5_2"),
    ),
    Bug(
        "layer_names_count_convs",
        "layer names that count convs across blocks (the PyTorch tutorial's conv_4 trap)",
        "nstlib.backbones:paper_layer_names",
        BACKBONES("test_paper_names_match_reference_tables"),
        old="block, conv = block + 1, 0",
        new="block = block + 1",
    ),
    Bug(
        "imagenet_mean_std_swapped",
        "ImageNet mean and standard deviation swapped",
        "nstlib.backbones:IMAGENET_MEAN",
        SOURCES("test_imagenet_statistics_are_torchvisions"),
        value=(0.229, 0.224, 0.225),
    ),
    Bug(
        "imagenet_mean_in_bgr_order",
        "ImageNet mean written in Caffe's BGR order for an RGB network",
        "nstlib.backbones:IMAGENET_MEAN",
        SOURCES("test_imagenet_statistics_are_torchvisions"),
        value=(0.406, 0.456, 0.485),
    ),
    Bug(
        "backbone_fed_bgr",
        "the backbone fed BGR images (channels flipped) while trained on RGB",
        "nstlib.backbones:FeatureExtractor.forward",
        SOURCES("test_the_extractor_normalises_with_torchvisions_statistics_in_rgb_order"),
        old="x = (image - self.mean) / self.std",
        new="x = (image.flip(1) - self.mean) / self.std",
    ),
    # -- residual blocks and the CycleGAN generator ----------------------------------------------
    Bug(
        "residual_without_skip",
        "residual block without its skip connection (returns F(x))",
        "nstlib.blocks:ResidualBlock.forward",
        BLOCKS("test_no_relu_after_the_sum"),
        old="return x + self.branch(x)",
        new="return self.branch(x)",
    ),
    Bug(
        "relu_after_the_sum",
        "ReLU after the residual addition",
        "nstlib.blocks:ResidualBlock.forward",
        BLOCKS("test_no_relu_after_the_sum"),
        old="return x + self.branch(x)",
        new="return torch.relu(x + self.branch(x))",
    ),
    Bug(
        "batch_norm_for_instance_norm",
        "BatchNorm where CycleGAN uses InstanceNorm",
        "nstlib.blocks:norm_layer",
        CYCLEGAN("test_init_weights_is_the_reference_normal_init"),
        old="return nn.InstanceNorm2d(channels, affine=affine, track_running_stats=False)",
        new="return nn.BatchNorm2d(channels, affine=affine)",
    ),
    Bug(
        "instance_norm_running_stats",
        "InstanceNorm with track_running_stats=True (eval mode changes the output)",
        "nstlib.blocks:norm_layer",
        MODES("test_residual_block_and_generator_give_the_same_output_in_train_and_eval_mode"),
        old="track_running_stats=False",
        new="track_running_stats=True",
    ),
    Bug(
        "zero_for_reflection_padding",
        "zero padding where CycleGAN pads by reflection",
        "nstlib.blocks:padded_conv",
        BLOCKS("test_reflect_padding_uses_reflection_layers"),
        old="return [nn.ReflectionPad2d(p), nn.Conv2d(channels_in, channels_out, kernel, bias=bias)]",
        new="return [nn.Conv2d(channels_in, channels_out, kernel, padding=p, bias=bias)]",
    ),
    Bug(
        "stem_kernel_3",
        "the generator's first conv 3×3 instead of 7×7",
        "nstlib.cyclegan:ResnetGenerator.__init__",
        CYCLEGAN("test_layers_follow_the_reference"),
        old="padded_conv(in_channels, ngf, 7, padding, bias=bias)",
        new="padded_conv(in_channels, ngf, 3, padding, bias=bias)",
    ),
    Bug(
        "tanh_missing",
        "no tanh at the generator's output (images leave [-1, 1])",
        "nstlib.cyclegan:ResnetGenerator.__init__",
        CYCLEGAN("test_layers_follow_the_reference"),
        old="nn.Tanh()",
        new="nn.Identity()",
    ),
    Bug(
        "init_std_0_2",
        "weights initialised with std 0.2 instead of 0.02",
        "nstlib.cyclegan:init_weights",
        CYCLEGAN("test_init_weights_is_the_reference_normal_init"),
        old="std: float = 0.02",
        new="std: float = 0.2",
    ),
    # -- GAN losses, the image pool, the PatchGAN ------------------------------------------------
    Bug(
        "lsgan_targets_swapped",
        "LSGAN discriminator targets swapped (reals to 0, fakes to 1)",
        "nstlib.gan_losses:discriminator_loss",
        LOSSES("test_discriminator_lsgan_by_hand"),
        old="((real_logits - 1) ** 2).mean() + (fake_logits**2).mean()",
        new="(real_logits**2).mean() + ((fake_logits - 1) ** 2).mean()",
    ),
    Bug(
        "non_saturating_sign",
        "non-saturating generator loss with the sign flipped",
        "nstlib.gan_losses:_generator_loss_terms",
        LOSSES("test_generator_losses_by_hand"),
        old="return F.softplus(-fake_logits)",
        new="return F.softplus(fake_logits)",
    ),
    Bug(
        "pool_not_detached",
        "image-pool entries not detached (D's loss reaches the generators)",
        "nstlib.image_pool:ImagePool.query",
        POOL("test_returned_images_are_detached_and_stored_as_copies"),
        old="for image in images.detach():",
        new="for image in images:",
    ),
    Bug(
        "pool_returns_the_new_image",
        "image pool that always returns the new image (no history)",
        "nstlib.image_pool:ImagePool.query",
        POOL("test_once_full_half_the_queries_swap_with_a_stored_image"),
        old="returned.append(self.images[slot])",
        new="returned.append(image)",
    ),
    Bug(
        "rf_off_by_one",
        "receptive field without the − 1: (RF_out·stride + k)",
        "nstlib.patchgan:receptive_field",
        PATCHGAN("test_receptive_field_by_depth[3-70]"),
        old="rf = (rf - 1) * stride + kernel",
        new="rf = rf * stride + kernel",
    ),
    Bug(
        "patchgan_all_stride_2",
        "every PatchGAN conv with stride 2 (receptive field 94, not 70)",
        "nstlib.patchgan:PatchDiscriminator.__init__",
        PATCHGAN("test_receptive_field_by_depth[3-70]"),
        old="stride = 2 if n < n_layers else 1",
        new="stride = 2",
    ),
    Bug(
        "patchgan_norm_on_first_conv",
        "normalisation on the PatchGAN's first conv",
        "nstlib.patchgan:PatchDiscriminator.__init__",
        PATCHGAN("test_first_conv_has_no_norm_and_no_sigmoid"),
        old="nn.Conv2d(in_channels, ndf, KERNEL, 2, PADDING),\n",
        new="nn.Conv2d(in_channels, ndf, KERNEL, 2, PADDING),\nnorm_layer(norm, ndf),\n",
    ),
    # -- the CycleGAN training step --------------------------------------------------------------
    Bug(
        "cycle_loss_l2",
        "cycle loss L2 instead of L1",
        "nstlib.cyclegan:cycle_loss",
        CYCLEGAN("test_cycle_and_identity_losses_by_hand"),
        old="F.l1_loss(reconstructed, real)",
        new="F.mse_loss(reconstructed, real)",
    ),
    Bug(
        "identity_weight_without_lambda",
        "identity-loss weight not multiplied by λ (0.5 instead of 5)",
        "nstlib.cyclegan_train:CycleGANTrainer.step",
        TRAIN("test_loss_values_and_identity_pairing_by_hand"),
        old="real_B, G_AB(real_B), c.lambda_B * c.lambda_identity",
        new="real_B, G_AB(real_B), c.lambda_identity",
    ),
    Bug(
        "cycle_weights_per_direction_swapped",
        "λ_B used for the A → B → A cycle",
        "nstlib.cyclegan_train:CycleGANTrainer.step",
        DIRECTIONS("test_each_direction_uses_its_own_weight[10.0-2.0]"),
        old='"cycle_A": cycle_loss(real_A, rec_A, c.lambda_A)',
        new='"cycle_A": cycle_loss(real_A, rec_A, c.lambda_B)',
    ),
    Bug(
        "identity_weights_per_direction_swapped",
        "G_BA's identity loss weighted by λ_B instead of λ_A",
        "nstlib.cyclegan_train:CycleGANTrainer.step",
        DIRECTIONS("test_each_direction_uses_its_own_weight[10.0-2.0]"),
        old="real_A, G_BA(real_A), c.lambda_A * c.lambda_identity",
        new="real_A, G_BA(real_A), c.lambda_B * c.lambda_identity",
    ),
    Bug(
        "d_not_frozen_for_g_step",
        "discriminators not frozen during the generators' update",
        "nstlib.cyclegan_train:CycleGANTrainer.step",
        DIRECTIONS("test_discriminators_are_frozen_during_the_generator_update_only"),
        old="set_requires_grad((self.D_A, self.D_B), False)",
        new="pass",
    ),
    Bug(
        "d_loss_not_halved",
        "discriminator loss not halved",
        "nstlib.cyclegan_train:CycleGANTrainer.step",
        TRAIN("test_step_matches_a_hand_written_reference_step"),
        old='losses["D_B"] = 0.5 * discriminator_loss',
        new='losses["D_B"] = discriminator_loss',
    ),
    Bug(
        "lr_decay_from_epoch_0",
        "learning-rate decay starting at epoch 0 instead of after n_epochs",
        "nstlib.cyclegan_train:lr_factor",
        TRAIN("test_lr_schedule_is_the_reference_lambda_rule"),
        old="max(0, epoch + 1 - n_epochs)",
        new="max(0, epoch + 1)",
    ),
    Bug(
        "loss_never_recorded",
        "a loss computed but never recorded in the step's results (history stays 0)",
        "nstlib.cyclegan_train:CycleGANTrainer.step",
        DIRECTIONS("test_every_loss_term_is_recorded_and_non_zero"),
        old="for name, loss in losses.items()}",
        new='for name, loss in losses.items() if name != "D_A"}',
    ),
    # -- GAN training, fast style transfer -------------------------------------------------------
    Bug(
        "snapshot_in_train_mode",
        "GAN snapshots drawn in train mode (batch statistics, not running averages)",
        "nstlib.gan_train:train_gan",
        MODES("test_gan_snapshots_are_drawn_in_eval_mode"),
        old="generator.eval()  # batch norm",
        new="generator.train()  # batch norm",
    ),
    Bug(
        "r1_not_squared",
        "R1 penalty of the gradient's norm instead of its squared norm",
        "nstlib.gan_train:r1_penalty",
        GAN_TRAIN("test_r1_penalty_of_linear_discriminator_is_weight_norm"),
        old="grad.pow(2)",
        new="grad.abs()",
    ),
    Bug(
        "adain_unbiased_std",
        "AdaIN statistics with the unbiased variance",
        "nstlib.adain:channel_mean_std",
        ADAIN("test_channel_mean_std_is_per_image_and_channel"),
        old="unbiased=False",
        new="unbiased=True",
    ),
    Bug(
        "cin_gamma_beta_swapped",
        "conditional instance norm that scales by β and shifts by γ",
        "nstlib.cin:conditional_instance_norm",
        CIN("test_one_hot_weights_are_plain_affine_instance_norm"),
        old="return normalised * scale + shift",
        new="return normalised * shift + scale",
    ),
    # -- diagnostics -----------------------------------------------------------------------------
    Bug(
        "relative_change_wrong_denominator",
        "relative change divided by the new tensor's norm instead of the original's",
        "nstlib.metrics:relative_change",
        DIAGNOSTICS("test_relative_change_divides_by_the_original"),
        old="/ x.norm()",
        new="/ y.norm()",
    ),
    Bug(
        "correlation_not_centred",
        "correlation without centring (a cosine similarity)",
        "nstlib.metrics:correlation",
        DIAGNOSTICS("test_correlation_ignores_scale_and_shift_and_keeps_the_sign"),
        old="return torch.corrcoef(pair)[0, 1].item()",
        new="return (pair[0] @ pair[1] / (pair[0].norm() * pair[1].norm())).item()",
    ),
    Bug(
        "mode_coverage_counts_every_sample",
        "mode coverage that counts far-off samples towards their nearest mode",
        "nstlib.ring:mode_coverage",
        DIAGNOSTICS("test_mode_coverage_counts_only_samples_near_a_mode"),
        old="torch.bincount(nearest[good], minlength=ring.n_modes)",
        new="torch.bincount(nearest, minlength=ring.n_modes)",
    ),
)
