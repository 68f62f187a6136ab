import pytest
import torch
from torch import nn

from nstlib.cyclegan import ResnetGenerator, cycle_loss, identity_loss, init_weights
from nstlib.errors import NstlibError


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("n_blocks", "expected"), [(9, 11_378_179), (6, 7_837_699)]
)  # REFERENCE.md §2
def test_parameter_counts_match_the_reference(n_blocks, expected):
    assert n_params(ResnetGenerator(n_blocks=n_blocks)) == expected
    # Resize-conv swaps each transposed conv for a conv of the same size: same count.
    assert n_params(ResnetGenerator(n_blocks=n_blocks, upsample="resize")) == expected


def test_one_residual_block_and_affine_norms_add_the_expected_parameters():
    one_block = n_params(ResnetGenerator(n_blocks=1)) - n_params(ResnetGenerator(n_blocks=0))
    assert one_block == 1_180_160
    # Affine instance norm: a scale and a shift per channel of every norm layer.
    norm_channels = 64 + 128 + 256 + 9 * 2 * 256 + 128 + 64
    assert n_params(ResnetGenerator(affine=True)) - 11_378_179 == 2 * norm_channels


def test_layers_follow_the_reference():
    g = ResnetGenerator(ngf=8, n_blocks=2)
    convs = [m for m in g.modules() if isinstance(m, nn.Conv2d)]
    assert convs[0].kernel_size == (7, 7) and convs[0].out_channels == 8
    assert [c.stride for c in convs[1:3]] == [(2, 2), (2, 2)]
    assert [c.out_channels for c in convs[1:3]] == [16, 32]
    assert all(c.bias is not None for c in convs)  # bias kept with instance norm
    ups = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(u.kernel_size, u.stride, u.padding, u.output_padding) for u in ups] == [
        ((3, 3), (2, 2), (1, 1), (1, 1))
    ] * 2
    assert isinstance(g.stem[0], nn.ReflectionPad2d) and isinstance(g.head[-1], nn.Tanh)
    assert not any(
        isinstance(m, nn.ConvTranspose2d) for m in ResnetGenerator(upsample="resize").modules()
    )


@pytest.mark.parametrize("upsample", ["transpose", "resize"])
def test_forward_keeps_shape_and_range(upsample):
    torch.manual_seed(0)
    g = ResnetGenerator(ngf=8, n_blocks=2, upsample=upsample)
    x = torch.rand(2, 3, 32, 20) * 2 - 1
    y = g(x)
    assert y.shape == x.shape
    assert y.min() >= -1 and y.max() <= 1
    assert y.std() > 0.01  # not a constant image


def test_bad_inputs_raise_clear_errors():
    g = ResnetGenerator(ngf=4, n_blocks=1)
    with pytest.raises(NstlibError, match="divisible by 4"):
        g(torch.zeros(1, 3, 30, 32))
    with pytest.raises(NstlibError, match=r"unsqueeze\(0\)"):
        g(torch.zeros(3, 32, 32))
    with pytest.raises(NstlibError, match="at least 8"):
        g(torch.zeros(1, 3, 4, 32))
    with pytest.raises(NstlibError, match="upsample"):
        ResnetGenerator(upsample="pixelshuffle")
    with pytest.raises(NstlibError, match=r"\[B, 1, H, W\]"):
        ResnetGenerator(in_channels=1, ngf=4, n_blocks=1)(torch.zeros(1, 3, 32, 32))


def test_one_channel_generator_runs():
    g = ResnetGenerator(in_channels=1, out_channels=1, ngf=4, n_blocks=1)
    assert g(torch.zeros(1, 1, 16, 16)).shape == (1, 1, 16, 16)


def test_init_weights_is_the_reference_normal_init():
    torch.manual_seed(0)
    g = init_weights(ResnetGenerator(ngf=16, n_blocks=2, affine=True))
    weights = torch.cat(
        [m.weight.flatten() for m in g.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    )
    assert abs(weights.mean().item()) < 1e-3
    assert weights.std().item() == pytest.approx(0.02, rel=0.02)
    biases = [m.bias for m in g.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert all(torch.count_nonzero(b) == 0 for b in biases)
    scales = torch.cat([m.weight for m in g.modules() if isinstance(m, nn.InstanceNorm2d)])
    assert scales.mean().item() == pytest.approx(1.0, abs=0.01)
    assert scales.std().item() == pytest.approx(0.02, rel=0.2)


def test_cycle_and_identity_losses_by_hand():
    real = torch.tensor([0.0, 1.0, -1.0, 0.5]).view(1, 1, 2, 2)
    other = torch.tensor([0.5, 1.0, 0.0, 0.0]).view(1, 1, 2, 2)
    # mean |diff| = (0.5 + 0 + 1 + 0.5) / 4 = 0.5
    assert cycle_loss(real, other).item() == pytest.approx(10 * 0.5)
    assert cycle_loss(real, other, weight=2.0).item() == pytest.approx(1.0)
    assert identity_loss(real, other).item() == pytest.approx(5 * 0.5)  # 0.5 · 10
    with pytest.raises(NstlibError, match="cycle_loss"):
        cycle_loss(real, other[..., :1])


def test_cycle_loss_is_zero_for_identity_generators_and_reaches_both_generators():
    a = torch.rand(2, 3, 16, 16) * 2 - 1
    identity = nn.Identity()
    assert cycle_loss(a, identity(identity(a))).item() == 0.0

    torch.manual_seed(0)
    G_AB, G_BA = ResnetGenerator(ngf=4, n_blocks=1), ResnetGenerator(ngf=4, n_blocks=1)
    loss = cycle_loss(a, G_BA(G_AB(a)))
    assert loss.item() > 0
    loss.backward()
    for g in (G_AB, G_BA):
        assert g.stem[1].weight.grad is not None
        assert g.stem[1].weight.grad.abs().sum() > 0
