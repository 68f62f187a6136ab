"""End to end: a lesson's slider works in a real JupyterLab, driven in headless Chromium.

The unit tests move sliders headlessly in Python; this test proves the same widgets render and
answer in the browser: it starts JupyterLab on 127.0.0.1, opens a lesson, runs all cells with the
`ci` profile, moves the first slider with the keyboard and checks that the demo's output changes.

Needs Debian's `chromium` (``.ci/run`` installs it) and PyPI's ``playwright`` (no browser download).
Outside CI it is skipped when Chromium is missing; in CI (``CI=true``) a missing browser fails.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LESSON = "02_residual_blocks.ipynb"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("CI needs Debian's chromium for the browser test (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def lab_url(tmp_path):
    port = free_port()
    settings = tmp_path / "settings"
    settings.mkdir()
    # Turn off the "news" notification that would otherwise cover the notebook.
    (settings / "overrides.json").write_text(
        json.dumps(
            {
                "@jupyterlab/apputils-extension:notification": {
                    "fetchNews": "false",
                    "checkForUpdates": False,
                }
            }
        )
    )
    env = {
        **os.environ,
        "NSTLIB_PROFILE": "ci",
        "NSTLIB_DEVICE": "cpu",
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "user"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--config",
            str(REPO / "tests" / "jupyter_server_test_config.py"),
            f"--ServerApp.port={port}",
            f"--ServerApp.root_dir={REPO / 'lessons'}",
            f"--LabApp.app_settings_dir={settings}",
        ],
        cwd=tmp_path,
        env=env,
        stdout=open(tmp_path / "server.log", "w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def widget_outputs_text(page) -> str:
    """Text and image sources of every rendered widget, to tell whether a slider changed anything."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.jp-OutputArea-output .widget-box, .jp-OutputArea-output .widget-output'))
             .map(e => e.innerText + Array.from(e.querySelectorAll('img')).map(i => i.src.slice(-64)).join('')).join('|')"""
    )


@pytest.mark.timeout(600)
def test_lesson_slider_answers_in_jupyterlab(lab_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(300_000)
        page.goto(f"{lab_url}/lab/tree/{LESSON}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined")
        page.locator(".jp-Notebook").first.wait_for()
        page.wait_for_function(
            """() => { const w = window.jupyterapp.shell.currentWidget;
                       return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel
                              && w.sessionContext.session.kernel.status === 'idle'; }"""
        )
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        slider = page.locator(".widget-slider .noUi-handle").first
        slider.wait_for()
        # Wait for the whole notebook to finish: the kernel is idle and no cell is queued ('[*]').
        page.wait_for_function(
            """() => { const w = window.jupyterapp.shell.currentWidget;
                       return w.sessionContext.session.kernel.status === 'idle'
                              && !document.querySelector('.jp-InputPrompt')?.closest('.jp-Notebook').innerText.includes('[*]'); }"""
        )
        errors = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
            has_text="Traceback",
        )
        assert errors.count() == 0, errors.first.inner_text()
        before = widget_outputs_text(page)
        slider.scroll_into_view_if_needed()
        slider.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            """(before) => { const now = Array.from(document.querySelectorAll('.jp-OutputArea-output .widget-box, .jp-OutputArea-output .widget-output'))
                 .map(e => e.innerText + Array.from(e.querySelectorAll('img')).map(i => i.src.slice(-64)).join('')).join('|');
                 return now !== before; }""",
            arg=before,
            timeout=30_000,
        )
        page.screenshot(path=str(tmp_path / "after.png"), full_page=False)
        browser.close()
