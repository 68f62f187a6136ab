"""Generator files: nstlib's own format and the reference code's published one."""

import pytest
import torch
from torch import nn

from nstlib.cyclegan import ResnetGenerator, init_weights
from nstlib.errors import NstlibError
from nstlib.generator_files import load_generator, save_generator


class ReferenceBlock(nn.Module):
    """The reference's ResnetBlock, spelled as it spells it: ``self.conv_block``, no dropout."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(c, c, 3),
            nn.InstanceNorm2d(c),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(c, c, 3),
            nn.InstanceNorm2d(c),
        )

    def forward(self, x):
        return x + self.conv_block(x)


class ReferenceGenerator(nn.Module):
    """The reference's ResnetGenerator as one flat ``self.model`` Sequential, written out from
    its description (REFERENCE.md §2): its state-dict keys are the published files' keys."""

    def __init__(self, ngf: int, n_blocks: int) -> None:
        super().__init__()
        layers = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(3, ngf, 7),
            nn.InstanceNorm2d(ngf),
            nn.ReLU(True),
        ]
        for mult in (1, 2):
            c = ngf * mult
            layers += [nn.Conv2d(c, 2 * c, 3, 2, 1), nn.InstanceNorm2d(2 * c), nn.ReLU(True)]
        layers += [ReferenceBlock(4 * ngf) for _ in range(n_blocks)]
        for mult in (4, 2):
            c = ngf * mult
            layers += [
                nn.ConvTranspose2d(c, c // 2, 3, 2, 1, 1),
                nn.InstanceNorm2d(c // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


def test_a_reference_format_file_loads_and_computes_the_same(tmp_path):
    torch.manual_seed(0)
    reference = init_weights(ReferenceGenerator(ngf=4, n_blocks=3))
    state = reference.state_dict()
    assert "model.10.conv_block.5.weight" in state and "model.20.weight" in state
    # Files saved by PyTorch 0.3 also hold never-used instance-norm statistics.
    state["model.2.running_mean"], state["model.2.running_var"] = torch.zeros(4), torch.ones(4)
    path = tmp_path / "latest_net_G_A.pth"
    torch.save(state, path)
    ours = load_generator(path)
    assert (ours.stem[1].out_channels, len(ours.blocks)) == (4, 3)
    x = torch.rand(1, 3, 16, 20) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=0)


def test_nstlib_format_round_trip_rebuilds_the_network(tmp_path):
    generator = init_weights(ResnetGenerator(ngf=4, n_blocks=2, upsample="resize"))
    path = save_generator(
        generator, {"ngf": 4, "n_blocks": 2, "upsample": "resize"}, tmp_path / "g.pth"
    )
    loaded = load_generator(path)
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(loaded(x), generator(x))


def test_foreign_files_are_clear_errors(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"conv.weight": torch.zeros(1)}, path)
    with pytest.raises(NstlibError, match="not a CycleGAN generator file"):
        load_generator(path)
    truncated = ReferenceGenerator(ngf=4, n_blocks=2).state_dict()
    del truncated["model.4.bias"]
    torch.save(truncated, path)
    with pytest.raises(NstlibError, match="1 missing"):
        load_generator(path)
