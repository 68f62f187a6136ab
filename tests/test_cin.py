"""Tests for nstlib.cin: the conditional instance norm and the ported 26-style network."""

import pytest
import torch
import torch.nn.functional as F

from nstlib.cin import (
    NUM_STYLES,
    MultiStyleNet,
    conditional_instance_norm,
    load_multistyle26,
    multistyle26_path,
    read_onnx_initializers,
    style_mix,
)
from nstlib.errors import NstlibError

# 3 contract + 12 residual + 3 expand convs, no biases; each norm has 26 × C scales and shifts.
MULTISTYLE26_PARAMETERS = 166_104


def _by_hand(x, weights, gamma, beta, eps=1e-5):
    mean = x.mean(dim=(2, 3), keepdim=True)
    var = ((x - mean) ** 2).mean(dim=(2, 3), keepdim=True)
    scale = (weights @ gamma).reshape(-1, x.shape[1], 1, 1)
    shift = (weights @ beta).reshape(-1, x.shape[1], 1, 1)
    return (x - mean) / torch.sqrt(var + eps) * scale + shift


@pytest.mark.parametrize("weights_shape", [(4,), (2, 4)])
def test_conditional_instance_norm_matches_the_formula(weights_shape):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 5, 7, generator=g, dtype=torch.float64) * 3 + 1
    weights = torch.rand(weights_shape, generator=g, dtype=torch.float64)
    gamma = torch.rand(4, 3, generator=g, dtype=torch.float64)
    beta = torch.randn(4, 3, generator=g, dtype=torch.float64)
    out = conditional_instance_norm(x, weights, gamma, beta)
    torch.testing.assert_close(out, _by_hand(x, weights, gamma, beta))


def test_one_hot_weights_are_plain_affine_instance_norm():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 3, 8, 8, generator=g)
    gamma, beta = torch.rand(5, 3, generator=g), torch.randn(5, 3, generator=g)
    one_hot = style_mix({3: 1.0}, num_styles=5)
    expected = F.instance_norm(x, weight=gamma[3], bias=beta[3], eps=1e-5)
    torch.testing.assert_close(conditional_instance_norm(x, one_hot, gamma, beta), expected)


def test_style_mix_normalises_and_rejects_bad_weights():
    mix = style_mix({0: 1.0, 5: 3.0})
    assert mix.shape == (NUM_STYLES,)
    assert mix[0].item() == pytest.approx(0.25) and mix[5].item() == pytest.approx(0.75)
    assert style_mix({2: 2.0}, normalise=False)[2].item() == 2.0
    with pytest.raises(NstlibError, match="out of range"):
        style_mix({26: 1.0})
    with pytest.raises(NstlibError, match="≥ 0"):
        style_mix({1: -0.5})
    with pytest.raises(NstlibError, match="all style weights are zero"):
        style_mix({1: 0.0})


def test_network_names_and_parameter_count_match_the_onnx_file():
    net = MultiStyleNet()
    initializers = read_onnx_initializers(multistyle26_path())
    assert set(initializers) == set(net.state_dict())
    assert sum(t.numel() for t in initializers.values()) == MULTISTYLE26_PARAMETERS
    assert sum(p.numel() for p in net.parameters()) == MULTISTYLE26_PARAMETERS
    assert initializers["contract.0.w"].shape == (32, 3, 9, 9)
    assert initializers["expand.2.norm.gamma"].shape == (26, 3)


def test_port_matches_onnxruntime():
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(multistyle26_path()), providers=["CPUExecutionProvider"])
    net = load_multistyle26()
    g = torch.Generator().manual_seed(2)
    image = torch.rand(1, 3, 48, 64, generator=g)
    for weights in (style_mix({7: 1.0}), style_mix({3: 0.5, 12: 0.3, 19: 0.2})):
        (expected,) = session.run(None, {"image": image.numpy(), "style_weights": weights.numpy()})
        actual = net(image, weights)
        assert (actual - torch.from_numpy(expected)).abs().max().item() < 1e-4


def test_network_output_is_an_image_and_styles_differ():
    net = load_multistyle26()
    image = torch.rand(2, 3, 32, 40, generator=torch.Generator().manual_seed(3))
    a, b = net(image, style_mix({0: 1.0})), net(image, style_mix({1: 1.0}))
    assert a.shape == image.shape
    assert 0.0 <= a.min().item() and a.max().item() <= 1.0
    assert (a - b).abs().mean().item() > 0.01
    per_image = torch.stack([style_mix({0: 1.0}), style_mix({1: 1.0})])
    torch.testing.assert_close(net(image, per_image)[1], b[1])


def test_network_errors_are_clear():
    net = MultiStyleNet()
    with pytest.raises(NstlibError, match="divisible by 4"):
        net(torch.rand(1, 3, 30, 32), style_mix({0: 1.0}))
    with pytest.raises(NstlibError, match="style_weights must have shape"):
        net(torch.rand(1, 3, 32, 32), torch.ones(10))


def test_read_onnx_initializers_rejects_missing_and_foreign_files(tmp_path):
    with pytest.raises(NstlibError, match="not found"):
        read_onnx_initializers(tmp_path / "missing.onnx")
    foreign = tmp_path / "notes.onnx"
    foreign.write_bytes(b"\x08\x01")  # a valid protobuf message with no graph field
    with pytest.raises(NstlibError, match="no ONNX graph"):
        read_onnx_initializers(foreign)
