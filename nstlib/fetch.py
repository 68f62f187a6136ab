"""Verified downloads of the real CycleGAN datasets (horse2zebra, monet2photo, ...).

The datasets are zip files on the Berkeley efros-lab server used by the reference code's
``datasets/download_cyclegan_dataset.sh`` (Zhu et al. 2017). Every zip is checked against a pinned
SHA-256 before it is unpacked, and unpacking refuses any member that would land outside the target
folder (absolute paths, ``..``, symbolic links), since a zip from the internet is untrusted input.

The sizes and hashes come from TensorFlow Datasets' ``url_checksums/cycle_gan.txt``, which recorded
the same files at the lab's previous address (``people.eecs.berkeley.edu/~taesung_park/CycleGAN``).
They were not re-measured here (the project's machines have no internet); if the server ever
re-publishes a zip, the check fails loudly and you may pass the new hash with ``sha256=`` after
verifying it yourself.

With no internet, download the zip elsewhere and install it from the file::

    fetch_dataset("horse2zebra", zip_path="horse2zebra.zip")
    python -m nstlib.fetch horse2zebra --zip horse2zebra.zip
"""

from __future__ import annotations

import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from nstlib.errors import NstlibError
from nstlib.plumbing.atomic import sha256_of
from nstlib.plumbing.command import OneLineParser, run_command
from nstlib.plumbing.download import download
from nstlib.plumbing.paths import datasets_dir

BASE_URL = "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets"


class DatasetInfo(NamedTuple):
    """One downloadable dataset: its zip's exact size and SHA-256, and what it holds."""

    size_bytes: int
    sha256: str
    contents: str


DATASETS: dict[str, DatasetInfo] = {
    "facades": DatasetInfo(
        35_135_868,
        "9a31ebf3a31b9b5cd195dd5bf62e9308e00cb94604d1019e3889ac84248695c0",
        "building facades ↔ label maps (CMP Facades)",
    ),
    "apple2orange": DatasetInfo(
        78_456_409,
        "845a191e9af8926408ea597001cd03a452e3300a1f44a79fe329b3d59f6e3eb8",
        "apples ↔ oranges (ImageNet)",
    ),
    "horse2zebra": DatasetInfo(
        116_867_962,
        "a74d9d392eecca9966b51287a76ca126af473d9de4f3e8fc0e9cda08fa1730a1",
        "horses ↔ zebras (ImageNet); 1067/1334 train, 120/140 test",
    ),
    "summer2winter_yosemite": DatasetInfo(
        132_640_856,
        "167fe1726807a9d22bd106b4a6c0bd7953b688af924ac1bf967439c4961e49f9",
        "Yosemite in summer ↔ in winter (Flickr)",
    ),
    "cezanne2photo": DatasetInfo(
        279_885_071,
        "3a6c10ca21f9485862f1cbd707744b9dc258954a04631271d23a3605eeb63cff",
        "Cézanne paintings (WikiArt) ↔ landscape photos (Flickr)",
    ),
    "ukiyoe2photo": DatasetInfo(
        292_946_532,
        "02a2a2fb5ecf425ca1bf86aca7304377da64a2a1d3b86df54eb65e4068bf3b08",
        "ukiyo-e prints (WikiArt) ↔ landscape photos (Flickr)",
    ),
    "monet2photo": DatasetInfo(
        305_231_073,
        "88f91b00fc228f97c9411fbf1880ec1d119c98f1722e4cfcfaa2fb35fac05b04",
        "Monet paintings (WikiArt) ↔ landscape photos (Flickr)",
    ),
    "vangogh2photo": DatasetInfo(
        306_590_349,
        "362c3473e70be0944bda08d49d660eafdc2854df55d697835b8186d1d79caaff",
        "Van Gogh paintings (WikiArt) ↔ landscape photos (Flickr)",
    ),
    "iphone2dslr_flower": DatasetInfo(
        339_964_458,
        "8fcb5e374d631b107e1d961b8c4cd0a186aa2a4ff3e279923f4c426128de7113",
        "flower photos from iPhones ↔ from DSLRs with shallow depth of field (Flickr)",
    ),
    "maps": DatasetInfo(
        1_476_754_427,
        "639534f69dbf9f36bef8d6292a7698006361221f83f0285d7c9ca78afe6e8a9e",
        "aerial photos ↔ Google Maps tiles",
    ),
}


def dataset_url(name: str) -> str:
    """The official download address of dataset ``name``."""
    _info(name)
    return f"{BASE_URL}/{name}.zip"


def _info(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise NstlibError(
            f"Unknown CycleGAN dataset {name!r}; choose one of {', '.join(DATASETS)}."
        )
    return DATASETS[name]


def default_root() -> Path:
    """``datasets/cyclegan/`` in the repository (git-ignored)."""
    return datasets_dir() / "cyclegan"


MANUAL = (
    "Download the zip on a connected computer, copy it here and install it with "
    "fetch_dataset(name, root, zip_path='path/to/<name>.zip') or "
    "python -m nstlib.fetch <name> --zip <file>."
)


def _verify(path: Path, expected_sha256: str, *, source: str, downloaded: bool) -> None:
    """Raise unless ``path`` has the expected SHA-256; ``source`` names the file in the error."""
    actual = sha256_of(path)
    if actual != expected_sha256:
        deleted = " The download is deleted." if downloaded else ""
        raise NstlibError(
            f"{source} has SHA-256 {actual}, expected {expected_sha256}: the file is corrupt, "
            f"incomplete or not the official one.{deleted} Try again; if the server has "
            "re-published the zip and you trust it, pass sha256=<its hash>."
        )


def _unsafe(member: zipfile.ZipInfo, target: Path) -> str | None:
    """Why unpacking ``member`` into ``target`` would be unsafe, or None if it is fine."""
    name = member.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (parts and parts[0].endswith(":")):
        return "is an absolute path"
    if ".." in parts:
        return "contains '..'"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "is a symbolic link"
    if not (target / name).resolve().is_relative_to(target):
        return "escapes the target folder"
    return None


def safe_extract(zip_file: str | Path, target: str | Path) -> list[Path]:
    """Unpack ``zip_file`` into ``target``, refusing members that would escape it.

    Rejects absolute paths (``/etc/x``, ``C:\\x``), any ``..`` component and symbolic links, all
    checked before anything is written. Returns the paths of the extracted files.
    """
    target = Path(target).resolve()
    try:
        archive = zipfile.ZipFile(zip_file)
    except zipfile.BadZipFile as exc:
        raise NstlibError(f"{zip_file} is not a valid zip file ({exc}).") from exc
    with archive:
        for member in archive.infolist():
            problem = _unsafe(member, target)
            if problem:
                raise NstlibError(
                    f"Refusing to unpack {zip_file}: member {member.filename!r} {problem}. "
                    "A dataset zip never needs this; the file is damaged or malicious."
                )
        archive.extractall(target)
        return [target / m.filename for m in archive.infolist() if not m.is_dir()]


def fetch_dataset(
    name: str,
    root: str | Path | None = None,
    *,
    zip_path: str | Path | None = None,
    url: str | None = None,
    sha256: str | None = None,
    progress: bool = True,
) -> Path:
    """Download (or install from ``zip_path``), verify and unpack a CycleGAN dataset.

    Args:
        name: one of :data:`DATASETS`, e.g. ``"horse2zebra"``.
        root: folder to unpack into (default ``datasets/cyclegan/``); the data lands in
            ``root/name/`` with ``trainA``, ``trainB``, ``testA``, ``testB`` inside.
        zip_path: install from this local zip instead of downloading (it is verified, not deleted).
        url: download from this address instead (a mirror).
        sha256: expected hash instead of the pinned one (only for a zip you have verified).
        progress: show a tqdm progress bar while downloading.

    Returns:
        ``root/name``. If it already exists, nothing is downloaded. A downloaded zip is kept
        (as ``root/name.zip``) only while it is unpacked.
    """
    info = _info(name)
    root = Path(root) if root is not None else default_root()
    folder = root / name
    if folder.is_dir() and any(folder.iterdir()):
        return folder
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NstlibError(
            f"Cannot create the dataset folder {root} ({exc.strerror or exc}); choose a folder "
            "you can write to (root=, or --root on the command line)."
        ) from None
    expected = (sha256 or info.sha256).lower()
    if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
        raise NstlibError(f"sha256 must be 64 hexadecimal digits; got {sha256!r}.")

    if zip_path is not None:
        zip_path = Path(zip_path)
        if not zip_path.is_file():
            raise NstlibError(f"zip_path {zip_path} is not a file.")
        _verify(zip_path, expected, source=str(zip_path), downloaded=False)
        archive = zip_path
    else:
        # The zip lands under a temporary name in root and takes its final name only once it is
        # complete and verified: a failed, rejected or interrupted download leaves nothing behind.
        source = url or dataset_url(name)
        archive = root / f"{name}.zip"
        if archive.exists():  # never overwrite (and then delete) a zip the user put there
            raise NstlibError(
                f"{archive} already exists. Install it with fetch_dataset({name!r}, "
                f"{str(root)!r}, zip_path={str(archive)!r}), or delete it to download again."
            )
        download(
            source,
            archive,
            expected_bytes=info.size_bytes if sha256 is None else None,
            verify=lambda partial: _verify(
                partial, expected, source=f"The download of {source}", downloaded=True
            ),
            progress=progress,
            manual=MANUAL,
        )

    # Unpack beside the final folder, then move it into place, so an interrupted run never leaves
    # a half-filled root/name that the "already exists" check above would trust.
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        safe_extract(archive, staging)
        unpacked = staging / name
        if not unpacked.is_dir():
            found = ", ".join(sorted(p.name for p in staging.iterdir())) or "nothing"
            raise NstlibError(f"The {name} zip should contain a folder {name}/ but holds: {found}.")
        unpacked.replace(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if zip_path is None:
            archive.unlink(missing_ok=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    """``python -m nstlib.fetch NAME [--root DIR] [--zip FILE | --url MIRROR]``; the exit status."""
    parser = OneLineParser(prog="python -m nstlib.fetch", description=__doc__.split("\n")[0])
    parser.add_argument("name", choices=sorted(DATASETS), help="dataset to fetch")
    parser.add_argument(
        "--root", type=Path, default=None, help="folder (default datasets/cyclegan)"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--zip", type=Path, default=None, help="install from this local zip file")
    source.add_argument("--url", default=None, help="download from this mirror instead")
    args = parser.parse_args(argv)

    def run() -> None:
        folder = fetch_dataset(args.name, args.root, zip_path=args.zip, url=args.url)
        print(f"{args.name} is ready in {folder}")

    return run_command(run)


if __name__ == "__main__":
    sys.exit(main())
