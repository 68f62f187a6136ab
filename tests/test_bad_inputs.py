"""The command line as an unlucky user meets it: every case is a real ``python -m nstlib`` process.

A **reject** must exit 2, print one or two lines that start with ``error:`` and name the problem,
show no traceback, and leave nothing behind: no output, no temporary file, the user's files
unchanged. An **accept** (an odd but valid image) must exit 0 and write a PNG of the right size
and orientation. Most rejects are answered before torch is even imported (a fraction of a
second); the cases run in two worker threads, each in its own folder, so the order is irrelevant.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]  # the repository: what PYTHONPATH must point at
HAS_VINTAGIFY = importlib.util.find_spec("vintagify") is not None
WORKERS = 2
TIMEOUT_S = 300
STARTING_FILES = ["link.png", "mine.png", "old.png"]  # what _prepare puts in each case's folder


@dataclass(frozen=True)
class Case:
    """One command line: ``{in}`` is the shared folder of input files, ``{tmp}`` the case's own
    folder (see :func:`_prepare`). ``error`` is a piece of the expected message (a reject) or
    ``None`` (an accept, which must write ``{tmp}/<output>`` of ``size`` = (H, W))."""

    id: str
    argv: tuple[str, ...]
    error: str | None = None
    size: tuple[int, int] | None = None
    output: str = "out.png"
    env: dict[str, str] = field(default_factory=dict)
    needs_vintagify: bool = False


def stylize(*args: str) -> tuple[str, ...]:
    """``python -m nstlib stylize ARGS``."""
    return ("nstlib", "stylize", *args)


def translate(*args: str) -> tuple[str, ...]:
    """``python -m nstlib translate ARGS``."""
    return ("nstlib", "translate", *args)


def fetch(*args: str) -> tuple[str, ...]:
    """``python -m nstlib.fetch ARGS``."""
    return ("nstlib.fetch", *args)


FAST = ("--size", "32", "--steps", "1", "--backbone", "random")  # the cheapest real stylize
OUT = ("-o", "{tmp}/out.png")

# fmt: off
CASES = [
    # -- the output path: answered before torch is imported -----------------------------------------
    Case("out-is-a-folder", stylize("chelsea", "swirl", "-o", "{tmp}", *FAST), "is a folder"),
    Case("out-has-no-extension", stylize("chelsea", "swirl", "-o", "{tmp}/out", *FAST), "add the extension"),
    Case("out-unknown-extension", stylize("chelsea", "swirl", "-o", "{tmp}/out.xyz", *FAST), "name it"),
    Case("out-jpeg-refused", stylize("chelsea", "swirl", "-o", "{tmp}/out.jpg", *FAST), "PNG (lossless)"),
    Case("out-folder-missing", stylize("chelsea", "swirl", "-o", "{tmp}/no/out.png", *FAST), "does not exist"),
    Case("out-folder-unwritable", stylize("chelsea", "swirl", "-o", "/proc/out.png", *FAST), "cannot write"),
    Case("out-is-the-content", stylize("{tmp}/mine.png", "swirl", "-o", "{tmp}/mine.png", *FAST), "would destroy it"),
    Case("out-is-the-content-spelled-otherwise", stylize("{tmp}/mine.png", "swirl", "-o", "{tmp}/../{tmpname}/./mine.png", *FAST), "would destroy it"),
    Case("out-is-a-link-to-the-content", stylize("{tmp}/mine.png", "swirl", "-o", "{tmp}/link.png", *FAST), "would destroy it"),
    Case("out-is-the-style", stylize("chelsea", "{tmp}/mine.png", "-o", "{tmp}/mine.png", *FAST), "would destroy it"),
    Case("translate-out-is-the-photo", translate("{tmp}/mine.png", "-o", "{tmp}/mine.png", "--size", "32"), "would destroy it"),
    Case("translate-out-jpeg", translate("chelsea", "-o", "{tmp}/out.jpg", "--size", "32"), "PNG (lossless)"),
    Case("translate-out-is-a-folder", translate("chelsea", "-o", "{tmp}", "--size", "32"), "is a folder"),
    # -- numbers ----------------------------------------------------------------------------------
    Case("style-weight-nan", stylize("chelsea", "swirl", *OUT, *FAST, "--style-weight", "nan"), "--style-weight must be a finite number"),
    Case("style-weight-inf", stylize("chelsea", "swirl", *OUT, *FAST, "--style-weight", "inf"), "--style-weight must be a finite number"),
    Case("style-weight-negative", stylize("chelsea", "swirl", *OUT, *FAST, "--style-weight", "-3"), "--style-weight must be at least 0"),
    Case("steps-zero", stylize("chelsea", "swirl", *OUT, "--size", "32", "--steps", "0"), "--steps must be at least 1"),
    Case("steps-negative", stylize("chelsea", "swirl", *OUT, "--size", "32", "--steps", "-1"), "--steps must be at least 1"),
    Case("steps-fraction", stylize("chelsea", "swirl", *OUT, "--size", "32", "--steps", "1.5"), "--steps: invalid int value"),
    Case("size-not-a-number", stylize("chelsea", "swirl", *OUT, "--size", "abc"), "--size: invalid int value"),
    Case("size-zero", stylize("chelsea", "swirl", *OUT, "--size", "0"), "--size must be at least 1"),
    Case("translate-size-zero", translate("chelsea", *OUT, "--size", "0"), "--size must be at least 1"),
    Case("translate-size-negative", translate("chelsea", *OUT, "--size", "-5"), "--size must be at least 1"),
    Case("unknown-option", stylize("chelsea", "swirl", *OUT, "--stpes", "3"), "unrecognized arguments: --stpes"),
    Case("preserve-colour-bogus", stylize("chelsea", "swirl", *OUT, "--preserve-colour", "all"), "invalid choice: 'all'"),
    # -- input files: the header is read, still before torch ------------------------------------------
    Case("content-missing", stylize("{in}/no_such_photo.jpg", "swirl", *OUT, *FAST), "no_such_photo.jpg"),
    Case("translate-photo-missing", translate("{in}/no_such_photo.jpg", *OUT, "--size", "32"), "no_such_photo.jpg"),
    Case("content-is-a-folder", stylize("{in}/", "swirl", *OUT, *FAST), "is a folder"),
    Case("content-is-text", stylize("{in}/notes.png", "swirl", *OUT, *FAST), "is not an image"),
    Case("content-is-empty", stylize("{in}/empty.png", "swirl", *OUT, *FAST), "is empty"),
    Case("style-is-text", stylize("chelsea", "{in}/notes.png", *OUT, *FAST), "is not an image"),
    Case("translate-photo-is-text", translate("{in}/notes.png", *OUT, "--size", "32"), "is not an image"),
    # -- rejects that need the library (names, devices, limits): still before any work -----------------
    Case("content-unknown-name", stylize("chelsee", "swirl", *OUT, *FAST), "'chelsee' is neither an image file nor a bundled"),
    Case("content-truncated", stylize("{in}/truncated.png", "swirl", *OUT, *FAST), "truncated.png"),
    Case("size-too-small-for-vgg", stylize("chelsea", "swirl", *OUT, "--size", "16", "--backbone", "random"), "--size must be at least 32"),
    Case("size-too-large-for-cpu", stylize("chelsea", "swirl", *OUT, "--size", "5000", "--backbone", "random", "--device", "cpu"), "too large for the CPU"),
    Case("translate-size-too-large-for-cpu", translate("chelsea", *OUT, "--size", "4096", "--device", "cpu"), "too large for the CPU"),
    Case("backbone-unknown", stylize("chelsea", "swirl", *OUT, "--size", "32", "--backbone", "vgg99"), "'vgg99' is unknown"),
    Case("device-unknown", stylize("chelsea", "swirl", *OUT, *FAST, "--device", "gpu"), "--device='gpu'"),
    Case("translate-device-unknown", translate("chelsea", *OUT, "--device", "tpu"), "--device='tpu'"),
    Case("env-backbone-unknown", stylize("chelsea", "swirl", *OUT, "--size", "32"), "NSTLIB_BACKBONE='bogus'", env={"NSTLIB_BACKBONE": "bogus"}),
    Case("env-device-unknown", stylize("chelsea", "swirl", *OUT, *FAST), "NSTLIB_DEVICE='gpu'", env={"NSTLIB_DEVICE": "gpu"}),
    Case("weights-cache-unwritable", stylize("chelsea", "swirl", *OUT, "--size", "32", "--backbone", "vgg19"), "TORCH_HOME", env={"TORCH_HOME": "/proc/nstlib-torch-cache"}),
    # -- published generators: a name, or a hash, that cannot be right is refused offline ----------
    Case("assets-fetch-unknown-name", ("nstlib", "assets", "--fetch", "horse3zebra"), "not a published CycleGAN generator"),
    Case("assets-sha256-without-a-name", ("nstlib", "assets", "--sha256", "0" * 64), "go with --fetch NAME"),
    Case("assets-fetch-bad-hash", ("nstlib", "assets", "--fetch", "horse2zebra", "--sha256", "abc"), "64 hexadecimal digits"),
    Case("translate-weights-unknown-name", translate("chelsea", *OUT, "--weights", "horse3zebra"), "or the name of a published generator"),
    # -- python -m nstlib.fetch -------------------------------------------------------------------
    Case("fetch-unknown-dataset", fetch("horse3zebra", "--root", "{tmp}"), "invalid choice: 'horse3zebra'"),
    Case("fetch-zip-missing", fetch("facades", "--root", "{tmp}", "--zip", "{in}/facades.zip"), "facades.zip is not a file"),
    Case("fetch-zip-wrong-file", fetch("facades", "--root", "{tmp}", "--zip", "{in}/notes.png"), "not the official one"),
    Case("fetch-root-unwritable", fetch("facades", "--root", "/proc/nstlib-data", "--zip", "{in}/notes.png"), "Cannot create the dataset folder /proc/nstlib-data"),
    Case("fetch-zip-and-url", fetch("facades", "--zip", "{in}/notes.png", "--url", "http://127.0.0.1:9/x.zip"), "not allowed with argument"),
    # -- odd but valid images: each must work, at the right size and the right way up -----------------
    Case("rgba-png", stylize("{in}/rgba.png", "swirl", *OUT, *FAST), size=(24, 32)),
    Case("palette-png-with-transparency", stylize("{in}/palette.png", "swirl", *OUT, *FAST), size=(24, 32)),
    Case("cmyk-jpeg", stylize("{in}/cmyk.jpg", "swirl", *OUT, *FAST), size=(24, 32)),
    Case("grey-16-bit-png", stylize("{in}/grey16.png", "swirl", *OUT, *FAST), size=(24, 32)),
    Case("grey-alpha-png", stylize("{in}/la.png", "swirl", *OUT, *FAST), size=(24, 32)),
    Case("exif-rotated-jpeg", stylize("{in}/exif6.jpg", "swirl", *OUT, *FAST), size=(32, 16)),
    Case("webp-and-a-tiny-style", stylize("{in}/photo.webp", "{in}/tiny.png", *OUT, *FAST), size=(21, 32)),
    Case("unicode-names", stylize("{in}/ünï cødé 猫.png", "swirl", "-o", "{tmp}/résultat 猫.png", *FAST), size=(21, 32), output="résultat 猫.png"),
    Case("upper-case-extension", stylize("chelsea", "swirl", "-o", "{tmp}/out.PNG", *FAST), size=(21, 32), output="out.PNG"),
    Case("huge-jpeg-shrunk-while-decoding", translate("{in}/huge.jpg", *OUT, "--size", "32"), size=(32, 32), needs_vintagify=True),
    Case("translate-odd-size", translate("{in}/odd.png", *OUT, "--size", "37"), size=(23, 37), needs_vintagify=True),
    Case("translate-replaces-an-old-output", translate("{in}/photo.png", "-o", "{tmp}/old.png", "--size", "32"), size=(21, 32), output="old.png", needs_vintagify=True),
]
# fmt: on


def _make_inputs(folder: Path) -> None:
    """The shared input files: one of each odd-but-valid kind, and a few that are not images."""
    rng = np.random.default_rng(0)
    # A smooth photo (a noisy one would make even one optimisation step look like noise).
    y, x = np.mgrid[0:40, 0:60]
    photo = np.stack([x * 4, y * 6, 255 - x * 4], axis=-1).astype(np.uint8)
    Image.fromarray(photo).save(folder / "photo.png")
    Image.fromarray(photo).save(folder / "photo.webp")
    Image.fromarray(photo).save(folder / "ünï cødé 猫.png")
    Image.fromarray(photo[:23, :37]).save(folder / "odd.png")  # 23×37: not a multiple of 4
    small = Image.fromarray(photo[:30, :40])
    small.convert("RGBA").save(folder / "rgba.png")
    small.convert("P").save(folder / "palette.png", transparency=0)
    small.convert("CMYK").save(folder / "cmyk.jpg")
    Image.fromarray(photo[:30, :40, 0].astype(np.uint16) * 257).save(folder / "grey16.png")
    small.convert("LA").save(folder / "la.png")
    Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(folder / "tiny.png")
    # Stored 20 high × 40 wide, left half white; Orientation 6 means "rotate 90° clockwise to
    # view", so it must load 40 high × 20 wide with the *top* half white.
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(folder / "exif6.jpg", exif=exif)
    # More pixels than Pillow's decompression-bomb warning threshold (89.5 Mpx); 1 MB on disk.
    Image.new("L", (9500, 9500), 128).save(folder / "huge.jpg", quality=30)
    (folder / "notes.png").write_text("not a picture")
    (folder / "empty.png").write_bytes(b"")
    data = (folder / "photo.png").read_bytes()
    (folder / "truncated.png").write_bytes(data[: len(data) // 2])


def _environment(case: Case) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NSTLIB_")}
    env.update({"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", **case.env})
    return env


def _prepare(case: Case, inputs: Path, tmp: Path) -> list[str]:
    tmp.mkdir()
    (tmp / "mine.png").write_bytes((inputs / "photo.png").read_bytes())
    (tmp / "link.png").symlink_to(tmp / "mine.png")
    (tmp / "old.png").write_bytes(b"an old result")
    values = {"in": str(inputs), "tmp": str(tmp), "tmpname": tmp.name}
    return [arg.format(**values) for arg in case.argv]


def _run(case: Case, inputs: Path, tmp: Path) -> subprocess.CompletedProcess:
    argv = _prepare(case, inputs, tmp)
    return subprocess.run(
        [sys.executable, "-m", *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_environment(case),
        timeout=TIMEOUT_S,
    )


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict[str, tuple[Future, Path]]:
    """Start every selected case at once in ``WORKERS`` threads; each test waits for its own."""
    inputs = tmp_path_factory.mktemp("inputs")
    _make_inputs(inputs)
    selected = {item.callspec.id for item in request.session.items if hasattr(item, "callspec")}
    root = tmp_path_factory.mktemp("cases")
    pool = ThreadPoolExecutor(WORKERS)
    futures = {
        case.id: (pool.submit(_run, case, inputs, root / case.id), root / case.id, inputs)
        for case in CASES
        if case.id in selected and not (case.needs_vintagify and not HAS_VINTAGIFY)
    }
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def _stderr_lines(result: subprocess.CompletedProcess) -> list[str]:
    """stderr without progress bars (tqdm redraws with carriage returns)."""
    return [line for line in result.stderr.replace("\r", "\n").splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_command_line(case: Case, outcomes) -> None:
    if case.needs_vintagify and not HAS_VINTAGIFY:
        pytest.skip("needs pip install 'nstlib[assets]' (vintagify)")
    future, tmp, inputs = outcomes[case.id]
    result = future.result()
    lines = _stderr_lines(result)
    if case.error is not None:
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert 1 <= len(lines) <= 2 and lines[0].startswith("error: "), lines
        assert case.error in result.stderr, result.stderr
        # Nothing written: the case's folder holds exactly what it started with, unchanged.
        assert sorted(p.name for p in tmp.iterdir()) == STARTING_FILES
        assert (tmp / "mine.png").read_bytes() == (inputs / "photo.png").read_bytes()
        assert (tmp / "old.png").read_bytes() == b"an old result"
    else:
        assert result.returncode == 0, result.stderr
        written = {p.name for p in tmp.iterdir()} - set(STARTING_FILES)
        assert written <= {case.output}, f"unexpected files: {written}"  # no temporaries left
        with Image.open(tmp / case.output) as image:
            assert image.format == "PNG" and image.size[::-1] == case.size
            pixels = np.asarray(image.convert("L"), dtype=float)
        if case.id == "exif-rotated-jpeg":  # the white half must be on top, as the phone showed it
            assert pixels[:12].mean() > pixels[-12:].mean() + 100


def _run_until(argv: list[str], mark: str, sig: signal.Signals, tmp: Path):
    """Start ``python -m nstlib ...``, send ``sig`` once ``mark`` appears on its stderr, wait."""
    process = subprocess.Popen(
        [sys.executable, "-m", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(Case("signal", ())),
        cwd=tmp,
        # As a terminal does: a shell's background jobs inherit SIGINT ignored, and Python keeps it so.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    seen = b""
    while mark.encode() not in seen:
        chunk = process.stderr.read1(4096)
        assert chunk, f"the command ended before {mark!r}: {seen.decode(errors='replace')}"
        seen += chunk
    process.send_signal(sig)
    _, rest = process.communicate(timeout=TIMEOUT_S)
    return process.returncode, (seen + rest).decode("utf-8", errors="replace")


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupt_prints_one_line_and_leaves_no_file(tmp_path, sig, status):
    out = tmp_path / "out.png"
    argv = ["nstlib", "stylize", "chelsea", "swirl", "-o", str(out), "--size", "48"]
    argv += ["--steps", "500", "--backbone", "random"]
    code, stderr = _run_until(argv, "stylize:", sig, tmp_path)  # the progress bar: it is working
    lines = [line for line in stderr.replace("\r", "\n").splitlines()]
    lines = [line for line in lines if line.strip() and not line.startswith("stylize:")]
    assert code == status
    assert len(lines) == 1 and "no partial file" in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_a_reject_answers_before_torch_is_imported():
    """The checks that need no torch come first, so a typo costs a fraction of a second."""
    script = (
        "import sys; from nstlib.cli import main; "
        "code = main(['stylize', 'chelsea', 'swirl', '-o', 'out.jpg']); "
        "print(code, 'torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=_environment(Case("import", ())),
        timeout=TIMEOUT_S,
    )
    assert result.stdout.split() == ["2", "False"], result.stderr
