"""`make lab`, the README's first command, really serves the lessons in JupyterLab.

Runs the Makefile target itself (the venv exists, so make goes straight to `jupyter lab`), on a
free loopback port with no token, then asks the server's REST API what it serves.
"""

import json
import os
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Without make's stamp, `make lab` would first build .venv and download every dependency: in a
# conda environment that is not what `pytest tests` should do. `make test` builds it first.
needs_make_venv = pytest.mark.skipif(
    not (REPO / ".venv" / ".installed-stamp").exists(),
    reason="`make lab` would first build .venv; run `make test` (or `make lab` once) to include it",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_make_venv
def test_make_lab_serves_every_lesson(tmp_path):
    port = free_port()
    root_flag = "--allow-root" if os.getuid() == 0 else ""
    lab_args = (
        f"{root_flag} --no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} "
        "--IdentityProvider.token= --LabApp.news_url=None"
    )
    # `make lab` trusts the lessons: the signatures go to this test's own data directory.
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={lab_args}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        listing = None
        for _ in range(120):
            assert server.poll() is None, server.stdout.read().decode()
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/contents/", timeout=2
                ) as r:
                    listing = json.load(r)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, "JupyterLab did not answer within 60 s"
        served = {item["name"] for item in listing["content"]}
        lessons = {p.name for p in (REPO / "lessons").glob("[0-9][0-9]_*.ipynb")}
        assert lessons and lessons <= served
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5) as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
        # The project's settings (lessons/.lab-settings/overrides.json) are served as the defaults.
        for plugin, key, value in [
            ("@jupyterlab/apputils-extension:notification", "fetchNews", "false"),
            ("@jupyter-widgets/jupyterlab-manager:plugin", "saveState", False),
        ]:
            url = f"http://127.0.0.1:{port}/lab/api/settings/{plugin}"
            with urllib.request.urlopen(url, timeout=5) as r:
                assert json.load(r)["schema"]["properties"][key]["default"] == value
        # ... and every lesson was signed as trusted, so its stored widgets are drawn.
        signatures = sqlite3.connect(tmp_path / "nbsignatures.db")
        assert signatures.execute("SELECT COUNT(*) FROM nbsignatures").fetchone()[0] >= len(lessons)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
