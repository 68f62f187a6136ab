"""The reference's published generators: downloaded from a loopback server, pinned on first use."""

from __future__ import annotations

import functools
import http.server
import json
import threading

import pytest
import torch
from test_generator_files import ReferenceGenerator

from nstlib import cli, published_generators
from nstlib.cyclegan import init_weights
from nstlib.errors import NstlibError
from nstlib.generator_files import load_generator
from nstlib.plumbing.atomic import sha256_of
from nstlib.published_generators import PUBLISHED, fetch_published, published_path, published_url


@pytest.fixture()
def served(tmp_path):
    """A loopback HTTP server over tmp_path/served, holding horse2zebra.pth in the reference's key
    format (a small 9-block generator), as the model server does. Yields (base URL, folder)."""
    folder = tmp_path / "served"
    folder.mkdir()
    torch.manual_seed(0)
    torch.save(
        init_weights(ReferenceGenerator(ngf=4, n_blocks=9)).state_dict(), folder / "horse2zebra.pth"
    )
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", folder
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def root(tmp_path, monkeypatch):
    """The download folder, in tmp_path instead of the repository's datasets/published/."""
    folder = tmp_path / "published"
    monkeypatch.setattr(published_generators, "default_root", lambda: folder)
    return folder


def test_the_names_and_address_are_the_reference_scripts():
    assert {"horse2zebra", "zebra2horse", "style_monet", "style_vangogh", "monet2photo"} <= set(
        PUBLISHED
    )
    assert published_url("style_vangogh") == (
        "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/style_vangogh.pth"
    )
    with pytest.raises(
        NstlibError, match="not a published CycleGAN generator; choose one of apple2orange"
    ):
        published_url("horse2zebras")


def test_the_first_download_is_recorded_and_loads_as_a_generator(served, root):
    url, folder = served
    path = fetch_published("horse2zebra", url=f"{url}/horse2zebra.pth", progress=False)
    assert path == root / "horse2zebra.pth"
    assert path.read_bytes() == (folder / "horse2zebra.pth").read_bytes()
    record = json.loads((root / "sha256.json").read_text())
    assert record == {"horse2zebra": sha256_of(path)}
    generator = load_generator(published_path("horse2zebra"))
    assert (generator.stem[1].out_channels, len(generator.blocks)) == (4, 9)
    assert sorted(p.name for p in root.iterdir()) == ["horse2zebra.pth", "sha256.json"]


def test_a_changed_file_on_the_server_is_refused_and_leaves_nothing(served, root):
    url, folder = served
    first = fetch_published("horse2zebra", url=f"{url}/horse2zebra.pth", progress=False)
    recorded = sha256_of(first)
    first.unlink()
    torch.save({"model.1.weight": torch.zeros(4, 3, 7, 7)}, folder / "horse2zebra.pth")
    with pytest.raises(NstlibError, match=r"must have .* \(recorded at its first download"):
        fetch_published("horse2zebra", url=f"{url}/horse2zebra.pth", progress=False)
    assert sorted(p.name for p in root.iterdir()) == ["sha256.json"]
    assert json.loads((root / "sha256.json").read_text()) == {"horse2zebra": recorded}


def test_a_file_changed_on_disk_is_refused_before_it_runs(served, root, tmp_path):
    url, _ = served
    path = fetch_published("horse2zebra", url=f"{url}/horse2zebra.pth", progress=False)
    data = path.read_bytes()
    path.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])  # one bit flipped
    with pytest.raises(NstlibError, match="the file changed or is corrupt"):
        published_path("horse2zebra")
    out = tmp_path / "out.png"
    assert (
        cli.main(
            ["translate", "chelsea", "--size", "64", "--weights", "horse2zebra", "-o", str(out)]
        )
        == 2
    )
    assert not out.exists()


def test_a_given_hash_must_match_and_is_recorded(served, root):
    url, folder = served
    good = sha256_of(folder / "horse2zebra.pth")
    with pytest.raises(NstlibError, match="must have 0000000000000000"):
        fetch_published(
            "horse2zebra", url=f"{url}/horse2zebra.pth", sha256="0" * 64, progress=False
        )
    assert not (root / "horse2zebra.pth").exists()
    fetch_published(
        "horse2zebra", url=f"{url}/horse2zebra.pth", sha256=good.upper(), progress=False
    )
    assert json.loads((root / "sha256.json").read_text()) == {"horse2zebra": good}
    with pytest.raises(NstlibError, match="differs from the hash recorded"):
        fetch_published("horse2zebra", sha256="1" * 64)
    with pytest.raises(NstlibError, match="64 hexadecimal digits"):
        fetch_published("horse2zebra", sha256="abc")


def test_the_command_line_fetches_then_translates_by_name(served, root, tmp_path, capsys):
    url, folder = served
    out = tmp_path / "zebra_cat.png"
    # A reference-format file given by its path works without any fetching.
    by_path = ["translate", "chelsea", "--size", "64", "--weights", str(folder / "horse2zebra.pth")]
    assert cli.main([*by_path, "-o", str(out)]) == 0 and out.is_file()
    out.unlink()
    assert cli.main(["translate", "chelsea", "--weights", "horse2zebra", "-o", str(out)]) == 2
    assert "assets --fetch horse2zebra" in capsys.readouterr().err
    assert cli.main(["assets", "--fetch", "horse2zebra", "--url", f"{url}/horse2zebra.pth"]) == 0
    assert "sha256 recorded" in capsys.readouterr().out
    assert (
        cli.main(
            ["translate", "chelsea", "--size", "64", "--weights", "horse2zebra", "-o", str(out)]
        )
        == 0
    )
    assert out.is_file()
    assert cli.main(["assets", "--sha256", "0" * 64]) == 2
    assert "go with --fetch NAME" in capsys.readouterr().err
