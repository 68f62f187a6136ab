"""train-cyclegan end to end: a real run on a tiny folder dataset, exact resume, DDP equivalence."""

import csv
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from nstlib.cli import main
from nstlib.cyclegan_train import MODEL_NAMES
from nstlib.generator_files import load_generator
from nstlib.train_cyclegan import TrainOptions, build_networks
from nstlib.unaligned import UnalignedImages, epoch_order

REPO = Path(__file__).resolve().parents[1]
# 16-px crops, ngf 4, one residual block: each step takes milliseconds, yet every layer type,
# loss, pool, schedule and file of a real run is exercised.
TINY = [
    "--load-size",
    "20",
    "--crop-size",
    "16",
    "--ngf",
    "4",
    "--ndf",
    "4",
    "--n-blocks",
    "1",
    "--n-layers-D",
    "2",
    "--workers",
    "0",
    "--samples",
    "2",
    "--no-progress",
]


# Tiny networks gain nothing from threads (see conftest.one_thread).
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """trainA: 4 flat-colour squares; trainB: 3 striped ones; 2 held-out of each (PNG and JPEG)."""
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for folder, n in (("trainA", 4), ("trainB", 3), ("testA", 2), ("testB", 2)):
        (root / folder).mkdir()
        for i in range(n):
            image = np.full((22, 26, 3), 230, np.uint8)
            if folder.endswith("A"):
                image[5:17, 6:20] = rng.integers(0, 256, 3)
            else:
                image[:, (np.arange(26) // 3 + i) % 2 == 0] = 20
            Image.fromarray(image).save(root / folder / f"{i}.{'png' if i % 2 else 'jpg'}")
    return root


def read_losses(run: Path) -> list[dict[str, str]]:
    with open(run / "losses.csv", newline="") as file:
        return list(csv.DictReader(file))


def test_a_few_hundred_steps_then_translate_with_the_result(data, tmp_path, capsys):
    run = tmp_path / "run"
    args = ["--data", str(data), "--out", str(run), "--n-epochs", "40", "--n-epochs-decay", "10"]
    assert main(["train-cyclegan", *args, *TINY]) == 0
    printed = capsys.readouterr().out
    assert (
        "4 A and 3 B images" in printed and "200 steps" in printed and "precision fp32" in printed
    )

    rows = read_losses(run)
    assert [int(r["step"]) for r in rows] == list(range(1, 201))
    assert float(rows[-1]["lr"]) == pytest.approx(2e-4 / 11)  # last decay epoch: 1/11 of lr
    cycle = [float(r["cycle_A"]) + float(r["cycle_B"]) for r in rows]
    assert np.mean(cycle[-20:]) < 0.85 * np.mean(cycle[:20])  # it learns to reconstruct
    assert len(list((run / "samples").glob("epoch_*.png"))) == 50
    grid = np.asarray(Image.open(run / "samples" / "epoch_050.png"))
    assert grid.shape == (2 * 18, 6 * 18, 3)  # 2 held-out photos × 6 stages, 16 px + 2 px gaps

    out = tmp_path / "translated.png"
    photo = data / "testA" / "0.jpg"
    weights = str(run / "G_AB.pth")
    assert (
        main(["translate", str(photo), "--weights", weights, "-o", str(out), "--size", "26"]) == 0
    )
    assert f"with the generator in {weights}" in capsys.readouterr().out
    assert Image.open(out).size == Image.open(photo).size == (26, 22)


def test_resume_in_a_new_process_continues_bit_for_bit(data, tmp_path):
    """Stopped mid-epoch, resumed by another process: the same losses, weights and samples."""
    common = ["--data", str(data), "--n-epochs", "2", "--n-epochs-decay", "1", *TINY]
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert main(["train-cyclegan", "--out", str(whole), *common]) == 0
    assert main(["train-cyclegan", "--out", str(split), "--stop-after", "6", *common]) == 0
    assert len(read_losses(split)) == 6  # stopped in the middle of epoch 2 (4 steps per epoch)
    subprocess.run(
        [sys.executable, "-m", "nstlib", "train-cyclegan", "--resume", str(split), "--no-progress"],
        check=True,
        cwd=REPO,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert (split / "losses.csv").read_bytes() == (whole / "losses.csv").read_bytes()
    for epoch in (1, 2, 3):
        name = f"samples/epoch_{epoch:03d}.png"
        assert (split / name).read_bytes() == (whole / name).read_bytes(), name
    saved = [torch.load(r / "checkpoint.pt", weights_only=True) for r in (whole, split)]
    for name, weights in saved[0]["models"].items():
        for key, value in weights.items():
            assert torch.equal(value, saved[1]["models"][name][key]), (name, key)


def test_the_data_order_depends_only_on_seed_epoch_and_position(data):
    dataset = UnalignedImages(data, load_size=20, crop_size=16, seed=3)
    orders = [epoch_order(dataset, 1, seed=3, rank=r, world_size=2) for r in (0, 1)]
    whole = epoch_order(dataset, 1, seed=3)
    assert [i for pair in zip(*orders, strict=True) for i in pair] == whole  # ranks interleave
    assert epoch_order(dataset, 2, seed=3) != whole  # each epoch reshuffles
    dataset.set_epoch(1)
    first = dataset[whole[2]]
    dataset[whole[0]]  # loading other samples in between changes nothing
    assert torch.equal(dataset[whole[2]]["B"], first["B"])
    assert first["A"].shape == (3, 16, 16) and -1 <= first["A"].min() and first["A"].max() <= 1


def biases_before_instance_norm(model: nn.Module) -> set[str]:
    """Names of conv biases that an instance norm removes again: they do not change any output,
    their gradient is rounding noise, and Adam scales that noise up to steps of size lr."""
    names, modules = set(), dict(model.named_modules())
    for name, seq in modules.items():
        children = list(seq.named_children()) if isinstance(seq, nn.Sequential) else []
        for (child, layer), (_, after) in itertools.pairwise(children):
            if getattr(layer, "bias", None) is not None and isinstance(after, nn.InstanceNorm2d):
                names.add(f"{name}.{child}.bias".lstrip("."))
    return names


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason="torch built without gloo")
def test_two_processes_with_batch_1_equal_one_process_with_batch_2(data, tmp_path):
    """torchrun --nproc-per-node 2 (gloo, batch 1 each) vs one process with batch 2, pools off.

    Instance norm treats each image alone and every loss is a mean over the batch, so averaging
    the two processes' gradients is the gradient of the batch of 2. Both arms run with oneDNN
    off: its fp32 convolution backward at batch 2 was measured 3.5 % away from float64 on these
    nets (batch 1: 6e-5), which would hide the comparison in its error.
    """
    launcher = tmp_path / "launch.py"
    launcher.write_text(
        "import sys, torch\ntorch.backends.mkldnn.enabled = False\n"
        "from nstlib.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    common = [
        "train-cyclegan",
        "--data",
        str(data),
        "--n-epochs",
        "1",
        "--n-epochs-decay",
        "1",
        "--pool-size",
        "0",
        *TINY,
    ]
    env = {"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    mkldnn = torch.backends.mkldnn.enabled  # (its flags() context warns about Intel GPUs)
    torch.backends.mkldnn.enabled = False
    try:
        assert main([*common, "--out", str(tmp_path / "one"), "--batch-size", "2"]) == 0
    finally:
        torch.backends.mkldnn.enabled = mkldnn
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
    ]
    result = subprocess.run(
        [*torchrun, str(launcher), *common, "--out", str(tmp_path / "two"), "--backend", "gloo"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 and "train-cyclegan" not in result.stdout:
        pytest.skip(f"torchrun could not start 2 processes here: {result.stderr[-500:]}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "2 process(es), batch 1 each" in result.stdout

    one, two = read_losses(tmp_path / "one"), read_losses(tmp_path / "two")
    assert len(one) == len(two) == 4
    for a, b in zip(one, two, strict=True):
        for name in a:
            assert float(a[name]) == pytest.approx(float(b[name]), rel=1e-5, abs=1e-7), name
    saved = [torch.load(tmp_path / r / "checkpoint.pt", weights_only=True) for r in ("one", "two")]
    options = TrainOptions(out=tmp_path, ngf=4, ndf=4, n_blocks=1, n_layers_D=2)
    for name, net in zip(MODEL_NAMES, build_networks(options), strict=True):
        skip = biases_before_instance_norm(net)
        assert skip  # the helper found them (a renamed layer would silently compare nothing)
        for key, value in saved[0]["models"][name].items():
            if key not in skip:
                other = saved[1]["models"][name][key]
                torch.testing.assert_close(value, other, rtol=1e-5, atol=1e-6, msg=f"{name}.{key}")
    # The skipped biases cannot change what the generators compute:
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    outputs = [load_generator(tmp_path / r / "G_AB.pth")(x) for r in ("one", "two")]
    torch.testing.assert_close(outputs[0], outputs[1], rtol=1e-4, atol=1e-5)


def test_setup_mistakes_are_clear_errors(data, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train-cyclegan", "--data", str(empty), "--out", str(tmp_path / "r"), *TINY]) == 2
    assert (
        "has no trainA/ folder; expected a folder with trainA/ and trainB/"
        in capsys.readouterr().err
    )
    run = tmp_path / "run"
    args = ["--data", str(data), "--n-epochs", "1", "--n-epochs-decay", "0", *TINY]
    assert main(["train-cyclegan", "--out", str(run), *args]) == 0
    assert main(["train-cyclegan", "--out", str(run), *args]) == 2
    assert f"continue it with --resume {run}" in capsys.readouterr().err
    assert main(["train-cyclegan", "--resume", str(run), "--lr", "1e-3"]) == 2
    assert "drop --lr" in capsys.readouterr().err
    assert (
        main(
            [
                "train-cyclegan",
                "--out",
                str(tmp_path / "x"),
                "--crop-size",
                "18",
                "--data",
                str(data),
            ]
        )
        == 2
    )
    assert "not divisible by 4" in capsys.readouterr().err
