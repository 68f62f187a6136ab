import hashlib
import stat
import zipfile

import pytest

from nstlib.errors import NstlibError
from nstlib.fetch import DATASETS, dataset_url, fetch_dataset, safe_extract
from nstlib.plumbing.atomic import sha256_of


def make_zip(path, members):
    """Write a zip whose members are {name: bytes}; return its sha256."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return hashlib.sha256(path.read_bytes()).hexdigest()


GOOD = {
    "facades/trainA/1.jpg": b"fake jpeg A",
    "facades/trainB/1.jpg": b"fake jpeg B",
    "facades/testA/2.jpg": b"test A",
}


def test_table_is_pinned_and_urls_follow_the_official_pattern():
    assert {
        "horse2zebra",
        "monet2photo",
        "apple2orange",
        "summer2winter_yosemite",
        "facades",
    } <= set(DATASETS)
    for info in DATASETS.values():
        assert len(info.sha256) == 64 and int(info.sha256, 16) >= 0
        assert info.size_bytes > 30_000_000
    assert DATASETS["horse2zebra"].size_bytes == 116_867_962  # REFERENCE: 116.9 MB
    assert (
        dataset_url("horse2zebra")
        == "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/horse2zebra.zip"
    )


def test_download_verifies_and_extracts(tmp_path):
    source = tmp_path / "served.zip"
    digest = make_zip(source, GOOD)
    root = tmp_path / "root"
    folder = fetch_dataset("facades", root, url=source.as_uri(), sha256=digest, progress=False)
    assert folder == root / "facades"
    assert (folder / "trainA" / "1.jpg").read_bytes() == b"fake jpeg A"
    assert sorted(p.name for p in root.iterdir()) == ["facades"]  # no temp files left behind
    # A second call finds the folder and downloads nothing (the URL no longer exists).
    assert fetch_dataset("facades", root, url=(tmp_path / "gone.zip").as_uri()) == folder


def test_a_file_of_the_wrong_length_is_refused_before_hashing(tmp_path):
    source = tmp_path / "served.zip"
    make_zip(source, GOOD)
    root = tmp_path / "root"
    with pytest.raises(NstlibError, match="expected 35,135,868") as excinfo:
        fetch_dataset("facades", root, url=source.as_uri(), progress=False)  # pinned size
    assert "SHA-256" not in str(excinfo.value)
    assert list(root.iterdir()) == []
    assert source.exists()


def test_wrong_hash_is_rejected_and_the_download_removed(tmp_path):
    source = tmp_path / "served.zip"
    make_zip(source, GOOD)
    root = tmp_path / "root"
    other = "0" * 64  # a hash given by hand: the pinned size no longer applies, the hash does
    with pytest.raises(NstlibError, match="SHA-256") as excinfo:
        fetch_dataset("facades", root, url=source.as_uri(), sha256=other, progress=False)
    assert other in str(excinfo.value)
    assert list(root.iterdir()) == []
    assert source.exists()


def test_a_zip_already_in_root_is_never_overwritten(tmp_path):
    source = tmp_path / "served.zip"
    digest = make_zip(source, GOOD)
    root = tmp_path / "root"
    root.mkdir()
    (root / "facades.zip").write_bytes(b"the user's own file")
    with pytest.raises(NstlibError, match="zip_path="):
        fetch_dataset("facades", root, url=source.as_uri(), sha256=digest, progress=False)
    assert (root / "facades.zip").read_bytes() == b"the user's own file"


def test_install_from_local_zip_keeps_the_users_file(tmp_path):
    source = tmp_path / "facades.zip"
    digest = make_zip(source, GOOD)
    folder = fetch_dataset("facades", tmp_path / "root", zip_path=source, sha256=digest)
    assert (folder / "testA" / "2.jpg").is_file() and source.exists()
    with pytest.raises(NstlibError, match="SHA-256"):
        fetch_dataset("facades", tmp_path / "other", zip_path=source)
    assert source.exists()


@pytest.mark.parametrize(
    "evil, reason",
    [
        ("../evil.txt", "'..'"),
        ("facades/../../evil.txt", "'..'"),
        ("/tmp/evil.txt", "absolute"),
        ("C:/evil.txt", "absolute"),
    ],
)
def test_unsafe_members_are_rejected_before_writing(tmp_path, evil, reason):
    source = tmp_path / "evil.zip"
    digest = make_zip(source, {**GOOD, evil: b"pwned"})
    root = tmp_path / "root"
    with pytest.raises(NstlibError, match=reason):
        fetch_dataset("facades", root, zip_path=source, sha256=digest)
    assert not (root / "facades").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_symbolic_links_are_rejected(tmp_path):
    source = tmp_path / "link.zip"
    with zipfile.ZipFile(source, "w") as archive:
        link = zipfile.ZipInfo("facades/trainA/link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(NstlibError, match="symbolic link"):
        safe_extract(source, tmp_path / "out")


def test_zip_without_the_dataset_folder_is_rejected(tmp_path):
    source = tmp_path / "flat.zip"
    digest = make_zip(source, {"trainA/1.jpg": b"x"})
    with pytest.raises(NstlibError, match="folder facades/"):
        fetch_dataset("facades", tmp_path / "root", zip_path=source, sha256=digest)
    assert list((tmp_path / "root").iterdir()) == []


def test_offline_error_explains_the_manual_route(tmp_path):
    # Port 9 on localhost refuses the connection at once, like a machine with no network.
    with pytest.raises(NstlibError, match="no internet") as excinfo:
        fetch_dataset("horse2zebra", tmp_path, url="http://127.0.0.1:9/horse2zebra.zip")
    assert "zip_path=" in str(excinfo.value)
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments(tmp_path):
    with pytest.raises(NstlibError, match="horse2zebra"):
        fetch_dataset("cats2dogs", tmp_path)
    with pytest.raises(NstlibError, match="64 hexadecimal"):
        fetch_dataset("facades", tmp_path, zip_path=tmp_path / "x.zip", sha256="abc")
    with pytest.raises(NstlibError, match="not a file"):
        fetch_dataset("facades", tmp_path, zip_path=tmp_path / "missing.zip")
    not_zip = tmp_path / "not.zip"
    not_zip.write_bytes(b"plain text")
    with pytest.raises(NstlibError, match="not a valid zip"):
        fetch_dataset("facades", tmp_path, zip_path=not_zip, sha256=sha256_of(not_zip))


def test_command_line_reports_errors_without_traceback(tmp_path, capsys):
    from nstlib.fetch import main

    source = tmp_path / "facades.zip"
    make_zip(source, GOOD)
    assert main(["facades", "--root", str(tmp_path / "root"), "--zip", str(source)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "SHA-256" in err and "Traceback" not in err
