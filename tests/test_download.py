"""nstlib.plumbing.download against a local HTTP server that misbehaves in each of the ways a real one can."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nstlib.errors import NstlibError
from nstlib.plumbing.download import download

BODY = bytes(range(256)) * 40  # 10,240 bytes


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass

    def do_GET(self) -> None:
        mode = self.path.strip("/")
        if mode == "missing":
            self.send_error(404)
            return
        if mode == "silent":
            time.sleep(3)  # longer than the test's read timeout
            return
        if mode == "endless":  # no length announced, a byte every 50 ms until the client leaves
            self.send_response(200)
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                return
        length = {"short": len(BODY) // 2, "liar": len(BODY) + 1}.get(mode, len(BODY))
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY) if mode == "short" else length))
        self.end_headers()
        if mode == "drip":
            try:
                for byte in BODY[:40]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:  # the client gave up at its deadline, as it should
                pass
            return
        self.wfile.write(BODY[:length] if mode != "liar" else BODY)


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_complete_download_lands_and_nothing_else(server, tmp_path):
    out = download(f"{server}/ok", tmp_path / "f.bin", expected_bytes=len(BODY), progress=False)
    assert out.read_bytes() == BODY
    assert _leftovers(tmp_path) == ["f.bin"]


@pytest.mark.parametrize(
    ("mode", "expected", "words"),
    [
        ("silent", None, "sent nothing for 0.5 s"),
        ("drip", None, "took more than 1 s"),
        ("short", len(BODY), "incomplete: 5,120 of 10,240 bytes"),
        ("liar", len(BODY), "is 10,241 bytes, expected 10,240"),
        ("missing", None, "answered 404"),
    ],
)
def test_a_misbehaving_server_leaves_the_old_file_and_no_temporary(
    server, tmp_path, mode, expected, words
):
    target = tmp_path / "f.bin"
    target.write_bytes(b"previous good file")
    with pytest.raises(NstlibError, match=words):
        download(
            f"{server}/{mode}",
            target,
            expected_bytes=expected,
            read_timeout_s=0.5,
            deadline_s=1,
            progress=False,
        )
    assert target.read_bytes() == b"previous good file"
    assert _leftovers(tmp_path) == ["f.bin"]


def test_a_failed_verification_discards_the_download(server, tmp_path):
    def reject(path):
        assert path.read_bytes() == BODY  # verify sees the complete file, before it is published
        raise NstlibError("bad hash (test)")

    with pytest.raises(NstlibError, match="bad hash"):
        download(f"{server}/ok", tmp_path / "f.bin", verify=reject, progress=False)
    assert _leftovers(tmp_path) == []


def test_no_server_is_a_clear_error(tmp_path):
    with pytest.raises(NstlibError, match="Could not download.*by hand"):
        download(
            "http://127.0.0.1:9/x", tmp_path / "f.bin", progress=False, manual="Get it by hand."
        )


def test_sigterm_during_a_dataset_download_leaves_no_partial_file(server, tmp_path):
    """``kill`` (SIGTERM) used to end the process before any clean-up ran, leaving the .part."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    argv = ["facades", "--root", str(tmp_path), "--url", f"{server}/endless"]
    process = subprocess.Popen(
        [sys.executable, "-m", "nstlib.fetch", *argv], stderr=subprocess.PIPE, env=env
    )
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".part") for p in tmp_path.iterdir()):  # downloading now
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143
    lines = [line for line in stderr.decode().replace("\r", "\n").splitlines() if line.strip()]
    assert "stopped by SIGTERM" in lines[-1] and "Traceback" not in stderr.decode()
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_named_and_the_partial_file_removed(server, tmp_path, monkeypatch):
    import builtins

    real_open = builtins.open

    class FullDisk:
        def __init__(self, file):
            self.file = file

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data):
            raise OSError(28, "No space left on device")

    def open_full(path, mode="r", *args, **kwargs):
        file = real_open(path, mode, *args, **kwargs)
        return FullDisk(file) if "w" in mode and str(path).endswith(".part") else file

    monkeypatch.setattr(builtins, "open", open_full)
    with pytest.raises(NstlibError, match="The disk is full"):
        download(f"{server}/ok", tmp_path / "f.bin", progress=False)
    monkeypatch.undo()
    assert _leftovers(tmp_path) == []
