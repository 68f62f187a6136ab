import copy
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nstlib.cyclegan import ResnetGenerator, init_weights
from nstlib.cyclegan_checkpoint import load_checkpoint, resume, save_checkpoint
from nstlib.cyclegan_train import CycleGANConfig, CycleGANTrainer, lr_factor, train
from nstlib.errors import NstlibError
from nstlib.toy_cyclegan import domain_sampler
from nstlib.toy_domains import content_change, domain_score, object_mask, sample_domain


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """These nets are tiny: threads gain nothing, and on a busy 2-core machine two OpenMP threads
    made them ten times slower (measured). The setting is restored after this module."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_D() -> nn.Module:
    """A two-conv PatchGAN stand-in: [B, 3, H, W] → [B, 1, H/2 - 1, W/2 - 1] raw scores."""
    return nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(8, 1, 4, 1, 1))


def tiny_nets(seed: int, n_blocks: int = 1):
    torch.manual_seed(seed)
    G = [ResnetGenerator(ngf=4, n_blocks=n_blocks) for _ in range(2)]
    return (*G, tiny_D(), tiny_D())


def sample(n: int) -> torch.Tensor:
    # Draws from all three global generators, so resuming must restore each of them.
    noise = torch.rand(n, 3, 16, 16) * 2 - 1
    shift = float(np.random.uniform(-0.1, 0.1)) + random.uniform(-0.1, 0.1)
    return (noise * 0.8 + shift).clamp(-1, 1)


# Stepping the schedule without training steps makes torch warn; the order is what we test here.
@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")
def test_lr_schedule_is_the_reference_lambda_rule():
    assert [lr_factor(e, 100, 100) for e in (0, 98, 99)] == [1.0, 1.0, 1.0]
    assert lr_factor(100, 100, 100) == pytest.approx(1 - 1 / 101)
    assert 2e-4 * lr_factor(199, 100, 100) == pytest.approx(1.98e-6, rel=1e-2)  # REFERENCE §2

    trainer = CycleGANTrainer(*tiny_nets(0), CycleGANConfig(n_epochs=2, n_epochs_decay=3))
    lrs = [trainer.lr]
    for _ in range(5):
        trainer.end_epoch()
        lrs.append(trainer.lr)
    assert lrs == pytest.approx([2e-4, 2e-4, 1.5e-4, 1e-4, 0.5e-4, 0.0], abs=1e-12)
    assert trainer.opt_D.param_groups[0]["lr"] == trainer.lr


class Scale(nn.Module):
    """A "generator" x → s·x with one learnable scale, so losses can be computed by hand."""

    def __init__(self, s: float) -> None:
        super().__init__()
        self.s = nn.Parameter(torch.tensor(s))

    def forward(self, x):
        return self.s * x


def test_loss_values_and_identity_pairing_by_hand():
    a, b = torch.full((1, 3, 8, 8), 0.2), torch.full((1, 3, 8, 8), 0.8)
    trainer = CycleGANTrainer(Scale(0.5), Scale(2.0), tiny_D(), tiny_D())
    losses = trainer.step(a, b)
    # idt_A is G_AB fed a *B* image: 5·|0.5·0.8 − 0.8| = 2.0 (paired with a it would be 0.5).
    assert losses["idt_A"] == pytest.approx(2.0)
    # idt_B is G_BA fed an *A* image: 5·|2·0.2 − 0.2| = 1.0 (paired with b it would be 4.0).
    assert losses["idt_B"] == pytest.approx(1.0)
    assert losses["cycle_A"] == pytest.approx(0.0)  # 2·(0.5·a) = a
    assert losses["cycle_B"] == pytest.approx(0.0)
    assert set(losses) == {"G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "D_A", "D_B"}


def test_step_matches_a_hand_written_reference_step():
    """The update order and weights of cycle_gan_model.py, written out with plain torch."""
    nets = tiny_nets(1)
    ref_G_AB, ref_G_BA, ref_D_A, ref_D_B = (copy.deepcopy(n) for n in nets)
    trainer = CycleGANTrainer(*nets, CycleGANConfig(pool_size=0))
    torch.manual_seed(2)
    a, b = torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(2, 3, 16, 16) * 2 - 1
    losses = trainer.step(a, b)

    opt_G = torch.optim.Adam([*ref_G_AB.parameters(), *ref_G_BA.parameters()], 2e-4, (0.5, 0.999))
    opt_D = torch.optim.Adam([*ref_D_A.parameters(), *ref_D_B.parameters()], 2e-4, (0.5, 0.999))
    fake_B, fake_A = ref_G_AB(a), ref_G_BA(b)
    rec_A, rec_B = ref_G_BA(fake_B), ref_G_AB(fake_A)
    p_B, p_A = ref_D_B(fake_B), ref_D_A(fake_A)
    loss_G = (
        F.mse_loss(p_B, torch.ones_like(p_B))
        + F.mse_loss(p_A, torch.ones_like(p_A))
        + 10 * F.l1_loss(rec_A, a)
        + 10 * F.l1_loss(rec_B, b)
        + 5 * F.l1_loss(ref_G_AB(b), b)
        + 5 * F.l1_loss(ref_G_BA(a), a)
    )
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    opt_D.zero_grad()
    loss_D = 0.0
    for D, real, fake in ((ref_D_A, a, fake_A), (ref_D_B, b, fake_B)):
        pr, pf = D(real), D(fake.detach())
        loss_D = loss_D + 0.5 * (
            F.mse_loss(pr, torch.ones_like(pr)) + F.mse_loss(pf, torch.zeros_like(pf))
        )
    loss_D.backward()
    opt_D.step()

    total_G = sum(losses[k] for k in ("G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B"))
    assert total_G == pytest.approx(loss_G.item(), rel=1e-5)
    assert losses["D_A"] + losses["D_B"] == pytest.approx(loss_D.item(), rel=1e-5)
    for ours, ref in zip(nets, (ref_G_AB, ref_G_BA, ref_D_A, ref_D_B), strict=True):
        for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-7)
    assert all(p.requires_grad for D in nets[2:] for p in D.parameters())  # unfrozen again


def test_resume_reproduces_the_next_step_exactly(tmp_path):
    config = CycleGANConfig(pool_size=3, n_epochs=1, n_epochs_decay=3)
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    trainer = CycleGANTrainer(*tiny_nets(3), config)
    for i in range(4):  # batch 2 with a pool of 3: the pools fill and start swapping
        trainer.step(sample(2), sample(2))
        if i == 1:
            trainer.end_epoch()  # into the decay phase: the scheduler state matters too
    path = save_checkpoint(trainer, tmp_path / "ckpt.pt")
    expected = trainer.step(sample(2), sample(2))
    expected_params = [p.detach().clone() for n in models_of(trainer) for p in n.parameters()]
    expected_pool = [x.clone() for x in trainer.pool_B.images]

    fresh = CycleGANTrainer(*tiny_nets(4), config)  # other weights, empty pools, fresh RNGs
    torch.manual_seed(123)
    load_checkpoint(fresh, path)
    assert (fresh.step_count, fresh.epoch, fresh.lr) == (4, 1, trainer.opt_G.param_groups[0]["lr"])
    got = fresh.step(sample(2), sample(2))

    assert got == expected  # bit-for-bit equal floats
    got_params = [p.detach() for n in models_of(fresh) for p in n.parameters()]
    assert all(torch.equal(p, q) for p, q in zip(got_params, expected_params, strict=True))
    assert all(torch.equal(p, q) for p, q in zip(fresh.pool_B.images, expected_pool, strict=True))


def models_of(trainer):
    return (trainer.G_AB, trainer.G_BA, trainer.D_A, trainer.D_B)


def test_checkpoint_loads_with_weights_only_and_resume_adopts_its_config(tmp_path):
    config = CycleGANConfig(lr=1e-3, pool_size=2, lambda_identity=0.0)
    trainer = CycleGANTrainer(*tiny_nets(0), config)
    trainer.step(sample(1), sample(1))
    path = save_checkpoint(trainer, tmp_path / "c.pt")
    state = torch.load(path, weights_only=True)
    assert state["step_count"] == 1

    with pytest.raises(NstlibError, match=r"lr: saved 0.001, here 0.0002.*resume"):
        load_checkpoint(CycleGANTrainer(*tiny_nets(1)), path)
    resumed = resume(path, *tiny_nets(1))
    assert resumed.config == config and resumed.step_count == 1 and len(resumed.pool_A) == 1


def test_checkpoint_of_another_architecture_is_a_clear_error(tmp_path):
    path = save_checkpoint(CycleGANTrainer(*tiny_nets(0, n_blocks=1)), tmp_path / "one_block.pt")
    other = CycleGANTrainer(*tiny_nets(0, n_blocks=2))
    with pytest.raises(NstlibError, match=r"one_block\.pt does not hold a G_AB.*blocks\.1\."):
        load_checkpoint(other, path)

    (tmp_path / "junk.pt").write_text("not a checkpoint")
    with pytest.raises(NstlibError, match="junk.pt could not be read"):
        load_checkpoint(other, tmp_path / "junk.pt")
    torch.save({"models": {}}, tmp_path / "foreign.pt")
    with pytest.raises(
        NstlibError, match="foreign.pt is not a CycleGAN checkpoint.*no config, epoch, opt_D"
    ):
        load_checkpoint(other, tmp_path / "foreign.pt")
    with pytest.raises(NstlibError, match="not found"):
        load_checkpoint(other, tmp_path / "missing.pt")
    with pytest.raises(NstlibError, match="does not exist"):
        save_checkpoint(other, tmp_path / "no" / "such" / "folder.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.pt", "junk.pt", "one_block.pt"]


def test_bad_gan_mode_is_a_clear_error():
    with pytest.raises(NstlibError, match="non_saturating"):
        CycleGANConfig(gan_mode="vanilla")


def test_train_loop_history_epochs_and_callback():
    trainer = CycleGANTrainer(*tiny_nets(0), CycleGANConfig(n_epochs=1, n_epochs_decay=4))
    calls = []
    history = train(
        trainer,
        sample,
        sample,
        steps=5,
        batch_size=2,
        steps_per_epoch=2,
        progress=False,
        callback=lambda t, h: calls.append((t.step_count, len(h["G_A"]))),
        every=2,
    )
    assert set(history) == {"G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "D_A", "D_B"}
    assert all(len(v) == 5 for v in history.values())
    assert all(v > 0 for v in history["cycle_A"])
    assert calls == [(2, 2), (4, 4), (5, 5)]
    assert trainer.epoch == 2 and trainer.lr == pytest.approx(2e-4 * (1 - 2 / 5))


def small_patchgan(ndf: int = 16) -> nn.Module:
    """A 3-conv PatchGAN (receptive field 22 px) for 32-px toy images."""
    return nn.Sequential(
        nn.Conv2d(3, ndf, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(ndf, 2 * ndf, 4, 2, 1),
        nn.InstanceNorm2d(2 * ndf),
        nn.LeakyReLU(0.2),
        nn.Conv2d(2 * ndf, 1, 4, 1, 1),
    )


def object_saturation(images: torch.Tensor) -> float:
    """Mean HSV saturation (max − min) / max of RGB over the objects' pixels, in [0, 1]."""
    unit = (images + 1) / 2
    saturation = (unit.amax(1) - unit.amin(1)) / unit.amax(1).clamp(min=1e-3)
    mask = object_mask(images).float()
    return ((saturation * mask).sum() / mask.sum().clamp(min=1)).item()


def test_short_run_on_the_texture_pair_learns_both_directions():
    """150 steps (about 10 s). Measured with seeds 0–3: G_AB(A) scores 0.99–1.0 (A: 0.0), and
    G_BA(B) has saturated objects (0.52–0.54; real objects 0.76).

    The saturation is the check a broken adversarial loss misses: with cycle and identity losses
    alone, G_AB(A) *also* scores ≈ 1 this early (dark, noisy blobs read as texture), but the
    L1-trained outputs regress to grey: G_BA(B) saturation ≈ 0.08.
    """
    torch.manual_seed(0)
    generators = [ResnetGenerator(ngf=8, n_blocks=1) for _ in range(2)]
    nets = [init_weights(m) for m in (*generators, small_patchgan(), small_patchgan())]
    trainer = CycleGANTrainer(*nets, CycleGANConfig(lr=5e-4))
    g_A, g_B = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    train(
        trainer,
        lambda n: sample_domain("texture", "A", n, rng=g_A),
        lambda n: sample_domain("texture", "B", n, rng=g_B),
        steps=150,
        batch_size=2,
        progress=False,
    )
    test_A = sample_domain("texture", "A", 32, rng=torch.Generator().manual_seed(99))
    test_B = sample_domain("texture", "B", 32, rng=torch.Generator().manual_seed(99))
    with torch.no_grad():
        fake_B, fake_A = trainer.G_AB(test_A), trainer.G_BA(test_B)
    assert domain_score(test_A, "texture").mean() < 0.05
    assert domain_score(fake_B, "texture").mean() > 0.6
    assert object_saturation(fake_A) > 0.3
    assert content_change(test_A, fake_B).mask_iou.mean() > 0.5  # the object stays in place


def test_resume_restores_the_samplers_private_generators(tmp_path):
    """Lesson 04's samplers own their random generators: the checkpoint must carry them."""

    def samplers():
        return {"A": domain_sampler("texture", "A", seed=1, size=16),
                "B": domain_sampler("texture", "B", seed=2, size=16)}  # fmt: skip

    trainer, data = CycleGANTrainer(*tiny_nets(3), CycleGANConfig(pool_size=2)), samplers()
    for _ in range(2):
        trainer.step(data["A"](2), data["B"](2))
    path = save_checkpoint(trainer, tmp_path / "ckpt.pt", samplers=data)
    expected = trainer.step(data["A"](2), data["B"](2))

    # A new process: new networks, and samplers back at their seeds' first batch.
    fresh, new_data = CycleGANTrainer(*tiny_nets(4), CycleGANConfig(pool_size=2)), samplers()
    load_checkpoint(fresh, path, samplers=new_data)
    assert fresh.step(new_data["A"](2), new_data["B"](2)) == expected

    with pytest.raises(NstlibError, match="samplers \\['A', 'B'\\].*samplers=none"):
        load_checkpoint(fresh, path)  # leaving them out would silently draw other batches


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")
def test_the_schedule_stops_at_zero_instead_of_going_negative():
    assert lr_factor(250, 100, 100) == 0.0  # the reference rule gives -0.495: gradient ascent
    trainer = CycleGANTrainer(*tiny_nets(0), CycleGANConfig(n_epochs=1, n_epochs_decay=1))
    lrs = []
    for _ in range(5):
        trainer.end_epoch()
        lrs.append(trainer.lr)
    assert lrs == pytest.approx([1e-4, 0.0, 0.0, 0.0, 0.0], abs=1e-12)


def test_a_loss_that_becomes_nan_stops_before_the_weights_change():
    trainer = CycleGANTrainer(*tiny_nets(0))
    before = [p.detach().clone() for n in models_of(trainer) for p in n.parameters()]
    nan_batch = torch.full((1, 3, 16, 16), float("nan"))
    with pytest.raises(NstlibError, match="diverged at step 1.*Lower config.lr"):
        trainer.step(nan_batch, sample(1))
    after = [p.detach() for n in models_of(trainer) for p in n.parameters()]
    assert all(torch.equal(p, q) for p, q in zip(before, after, strict=True))


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"lr": float("nan")}, "lr must be a finite number"),
        ({"lr": -1e-4}, "lr must be greater than 0"),
        ({"lambda_A": float("inf")}, "lambda_A must be a finite number"),
        ({"lambda_identity": -0.5}, "lambda_identity must be at least 0"),
        ({"n_epochs": 1.5}, "n_epochs must be a whole number"),
        ({"betas": (0.5, 1.0)}, "betas\\[1\\] must be at most"),
    ],
)
def test_a_config_with_an_impossible_number_is_refused(settings, words):
    with pytest.raises(NstlibError, match=words):
        CycleGANConfig(**settings)


def test_an_edited_or_foreign_checkpoint_is_a_clear_error_not_a_traceback(tmp_path):
    trainer = CycleGANTrainer(*tiny_nets(0))
    state = torch.load(save_checkpoint(trainer, tmp_path / "c.pt"), weights_only=True)
    edits = {
        "extra-config-key": lambda s: s["config"].update(extra=1),
        "missing-optimiser": lambda s: s.pop("opt_G"),
        "missing-model": lambda s: s["models"].pop("D_B"),
        "counter-of-another-type": lambda s: s.update(step_count="3"),
    }
    for name, edit in edits.items():
        edited = copy.deepcopy(state)
        edit(edited)
        torch.save(edited, tmp_path / f"{name}.pt")
        with pytest.raises(NstlibError, match=f"{name}.pt is not a CycleGAN checkpoint"):
            resume(tmp_path / f"{name}.pt", *tiny_nets(0))


def test_a_checkpoint_that_would_run_code_is_refused_without_suggesting_how_to_run_it(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("this must never be printed",))

    torch.save({"config": Payload(), "models": {}, "rng": {}}, tmp_path / "evil.pt")
    with pytest.raises(NstlibError) as excinfo:
        load_checkpoint(CycleGANTrainer(*tiny_nets(0)), tmp_path / "evil.pt")
    message = str(excinfo.value)
    assert "evil.pt" in message and "could run code" in message
    assert "weights_only" not in message  # torch's advice to set it to False is not passed on


def test_a_full_disk_while_saving_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    trainer = CycleGANTrainer(*tiny_nets(0))
    path = save_checkpoint(trainer, tmp_path / "c.pt")
    before = path.read_bytes()
    trainer.step(sample(1), sample(1))

    def disk_full(state, file, *args, **kwargs):
        file.write(b"the first bytes of a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint(trainer, path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["c.pt"]
