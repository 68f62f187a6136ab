"""The reference's published CycleGAN generators (horse2zebra, style_vangogh, ...), downloaded and
pinned on first use.

Zhu et al. publish the generators of their paper's results as PyTorch files on their lab's model
server (the reference code's ``scripts/download_cyclegan_model.sh``): one ``NAME.pth`` per
direction, each the state dict of a 9-block ResNet generator in the reference's key format, which
:func:`nstlib.generator_files.load_generator` reads. They need the internet, which the course's
machines do not have; users who are online get them with::

    python -m nstlib assets --fetch horse2zebra
    python -m nstlib translate chelsea --weights horse2zebra -o zebra_cat.png

**Trust on first use.** The reference publishes no hashes. So the first download's SHA-256 is
recorded in ``datasets/published/sha256.json``, and every later use (a second download, or
``--weights NAME``) must match it: a file that changed on the server, or on disk, is refused
rather than silently run. A hash you got elsewhere can be given (``sha256=``, ``--sha256``); the
download must then match it, and it is recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

from nstlib.errors import NstlibError
from nstlib.plumbing.atomic import atomic_write, sha256_of
from nstlib.plumbing.download import download
from nstlib.plumbing.paths import datasets_dir

BASE_URL = "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models"
# The names download_cyclegan_model.sh lists; each file is one direction of one paper result.
PUBLISHED = (
    "apple2orange", "orange2apple", "summer2winter_yosemite", "winter2summer_yosemite",
    "horse2zebra", "zebra2horse", "monet2photo", "style_monet", "style_cezanne", "style_ukiyoe",
    "style_vangogh", "sat2map", "map2sat", "cityscapes_photo2label", "cityscapes_label2photo",
    "facades_photo2label", "facades_label2photo", "iphone2dslr_flower",
)  # fmt: skip
RECORD = "sha256.json"
MANUAL = (
    "Download it on a connected computer (BASE/NAME.pth) and copy it to PATH, or give "
    "--weights the file itself."
)


def default_root() -> Path:
    """``datasets/published/`` in the repository (git-ignored)."""
    return datasets_dir() / "published"


def published_url(name: str) -> str:
    """The model server's address of the published generator ``name``."""
    check_name(name)
    return f"{BASE_URL}/{name}.pth"


def check_name(name: str) -> None:
    """Raise an :class:`NstlibError` listing the names unless ``name`` is a published generator."""
    if name not in PUBLISHED:
        raise NstlibError(
            f"{name!r} is not a published CycleGAN generator; choose one of {', '.join(PUBLISHED)}."
        )


def recorded_hashes(root: Path | None = None) -> dict[str, str]:
    """``{name: sha256}`` of the generators downloaded so far (empty before the first one)."""
    path = (root or default_root()) / RECORD
    if not path.is_file():
        return {}
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise NstlibError(f"{path} is unreadable ({exc}); delete it and download again.") from exc
    if not isinstance(record, dict):
        raise NstlibError(f"{path} should hold {{name: sha256}}; delete it and download again.")
    return record


def _check_hex(sha256: str) -> str:
    value = sha256.lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise NstlibError(f"--sha256 must be 64 hexadecimal digits; got {sha256!r}.")
    return value


def _expected(name: str, root: Path, sha256: str | None) -> str | None:
    """The hash a file for ``name`` must have: the given one, else the recorded one, else none."""
    recorded = recorded_hashes(root).get(name)
    if sha256 is not None:
        given = _check_hex(sha256)
        if recorded is not None and recorded != given:
            raise NstlibError(
                f"--sha256 {given[:16]}... differs from the hash recorded for {name} at its first "
                f"download ({recorded[:16]}...). If you trust the new one, delete the {name!r} "
                f"entry of {root / RECORD} and fetch again."
            )
        return given
    return recorded


def _verify(path: Path, name: str, expected: str | None, source: str) -> str:
    actual = sha256_of(path)
    if expected is not None and actual != expected:
        raise NstlibError(
            f"{source} has sha256 {actual[:16]}..., but {name} must have {expected[:16]}... "
            "(recorded at its first download, or given with --sha256): the file changed or is "
            "corrupt, so it is not used. Download it again, or check the hash you were given."
        )
    return actual


def _record(name: str, digest: str, root: Path) -> None:
    record = recorded_hashes(root) | {name: digest}
    with atomic_write(root / RECORD) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def fetch_published(
    name: str,
    root: str | Path | None = None,
    *,
    url: str | None = None,
    sha256: str | None = None,
    progress: bool = True,
) -> Path:
    """Download the published generator ``name`` (once) and return its verified path.

    Args:
        name: one of :data:`PUBLISHED`, e.g. ``"horse2zebra"``.
        root: the folder to keep it in (default ``datasets/published/``), as ``root/NAME.pth``.
        url: download from this address instead (a mirror).
        sha256: the hash the file must have; default: the one recorded at the first download
            (if any; the first download is then recorded).
        progress: show a tqdm bar while downloading.

    A file that is already there is checked against the recorded (or given) hash and not
    downloaded again. A download that fails or does not match leaves nothing behind.
    """
    check_name(name)
    root = Path(root) if root is not None else default_root()
    path = root / f"{name}.pth"
    expected = _expected(name, root, sha256)
    if path.is_file():
        digest = _verify(path, name, expected, str(path))
    else:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NstlibError(
                f"Cannot create {root} ({exc.strerror or exc}); give another root."
            ) from None
        source = url or published_url(name)
        download(
            source,
            path,
            verify=lambda partial: _verify(partial, name, expected, f"The download of {source}"),
            progress=progress,
            manual=MANUAL.replace("BASE", BASE_URL)
            .replace("NAME", name)
            .replace("PATH", str(path)),
        )
        digest = sha256_of(path)
    _record(name, digest, root)
    return path


def published_path(name: str, root: str | Path | None = None) -> Path:
    """The verified local file of the published generator ``name``, downloaded before.

    Raises an :class:`NstlibError` saying how to download it if it is missing, and refuses a
    file whose hash differs from the one recorded at its first download.
    """
    check_name(name)
    root = Path(root) if root is not None else default_root()
    path = root / f"{name}.pth"
    if not path.is_file():
        raise NstlibError(
            f"the published generator {name} is not downloaded yet; run  python -m nstlib assets "
            f"--fetch {name}  once while online (or put the file at {path})."
        )
    expected = recorded_hashes(root).get(name)
    if expected is None:
        # Put there by hand: trust it now, and pin it from here on.
        _record(name, sha256_of(path), root)
    else:
        _verify(path, name, expected, str(path))
    return path
