"""End to end: the lessons as a person sees them in JupyterLab, driven in headless Chromium.

The unit tests move sliders headlessly in Python; these tests look at the page a student or an
instructor gets, in a laptop's 1366×900 window with the file browser open (as JupyterLab starts),
set up as ``make lab`` sets it up (the lessons trusted, the project's settings overrides):

* every committed lesson, opened without running, shows its stored demos and finished progress
  bars, never ``VBox(children=...`` or a ``0%|`` bar;
* every widget picture is shown within 1.25× of its natural size and no picture is cut off;
* no figure text is smaller than about 9 pt: the lesson executor records each figure's smallest
  text in its PNG (``course.SMALLEST_TEXT_KEY``) and the test scales it by the on-screen size;
* lesson 02, run with the ``ci`` profile, answers its slider, with live pictures sized the same.

A screenshot of every widget goes to ``build/screenshots/`` (CI keeps ``build/``).

Needs Debian's ``chromium`` (``.ci/run`` installs it) and PyPI's ``playwright`` (no browser download).
Outside CI it is skipped when Chromium is missing; in CI (``CI=true``) a missing browser fails.
"""

import base64
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from course import SMALLEST_TEXT_KEY, lesson_paths

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "build" / "screenshots"
LAB_SETTINGS = REPO / "lessons" / ".lab-settings"  # what `make lab` passes as --LabApp.app_settings_dir
RUN_LESSON = "02_residual_blocks.ipynb"
VIEWPORT = {"width": 1366, "height": 900}
MAX_SCALE = 1.25  # a widget picture is shown between 1/1.25 and 1.25 times its natural size
MIN_TEXT_PT = 8.5  # "about 9 pt": 1 CSS px is 0.75 pt at 100 % zoom
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("CI needs Debian's chromium for the browser test (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")

# What a widget output shows when JupyterLab could not draw the widget from its state.
RAW_WIDGET_TEXT = r"/^\s*(VBox|HBox)\(children=|\b0%\||Error displaying widget|Loading widget/"

CURRENT = "window.jupyterapp.shell.currentWidget"
KERNEL_IDLE = f"""() => {{ const w = {CURRENT};
    return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel
           && w.sessionContext.session.kernel.status === 'idle'; }}"""

# For one cell: scroll it to the top of the notebook and describe every picture in its outputs.
# A picture's head (where PNG text chunks sit) comes back base64-encoded; widget pictures are
# blob: URLs, read back with fetch().
DESCRIBE_CELL = f"""async (i) => {{
    const nb = {CURRENT}.content, cell = nb.widgets[i];
    await nb.scrollToItem(i, 'start');  // makes sure the cell is laid out
    const scroller = cell.node.closest('.jp-WindowedPanel-outer') || nb.node;
    for (let k = 0; k < 10; k++) {{  // cells above it lay out lazily: align until it holds still
        const off = cell.node.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
        if (Math.abs(off) < 3) break;
        scroller.scrollTop += off;
        await new Promise(r => setTimeout(r, 300));
    }}
    const imgs = Array.from(cell.node.querySelectorAll('.jp-OutputArea-output img'));
    await Promise.all(imgs.map(im => im.decode().catch(() => null)));
    const out = [];
    for (const im of imgs) {{
        let head = '';
        if (im.src.startsWith('data:')) {{
            head = im.src.slice(im.src.indexOf(',') + 1, im.src.indexOf(',') + 1 + 8192);
        }} else {{
            const bytes = new Uint8Array(await (await fetch(im.src)).arrayBuffer()).slice(0, 6144);
            head = btoa(String.fromCharCode(...bytes));
        }}
        const box = im.getBoundingClientRect();
        out.push({{w: box.width, h: box.height, nw: im.naturalWidth, nh: im.naturalHeight,
                   right: box.right, area_right: scroller.getBoundingClientRect().right,
                   widget: !!im.closest('.jupyter-widgets'), head: head}});
    }}
    return out;
}}"""

# Cells whose outputs hold a picture or a widget, in notebook order.
CELLS_TO_SEE = f"""() => {CURRENT}.content.widgets.map((c, i) => [i, c.model.type === 'code'
    && JSON.stringify(c.model.toJSON().outputs || []).match(/image\\/png|widget-view/) !== null])
    .filter(([i, keep]) => keep).map(([i]) => i)"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png_text(head_base64: str) -> dict[str, str]:
    """The ``tEXt`` chunks found in the first bytes of a PNG (matplotlib writes them first)."""
    data = base64.b64decode(head_base64[: len(head_base64) // 4 * 4])
    chunks, at = {}, 8
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        if kind == b"IDAT":
            break
        if kind == b"tEXt" and at + 8 + length <= len(data):
            key, _, value = data[at + 8 : at + 8 + length].partition(b"\0")
            chunks[key.decode("latin-1")] = value.decode("latin-1")
        at += 12 + length
    return chunks


def picture_problems(pictures: list[dict], where: str, *, stored: bool) -> list[str]:
    """What is wrong with these pictures as shown: scale, clipping, text size.

    ``stored`` pictures come from the lesson executor, so every figure (every picture that is
    not a widget's) must carry its smallest-text record; live pictures are checked for size only.
    """
    problems = []
    for k, p in enumerate(pictures):
        name = f"{where}, picture {k + 1} ({p['nw']}×{p['nh']} shown at {p['w']:.0f}×{p['h']:.0f})"
        scale = p["w"] / p["nw"] if p["nw"] else 0.0
        if p["widget"] and not 1 / MAX_SCALE <= scale <= MAX_SCALE:
            problems.append(f"{name}: a widget picture shown at {scale:.2f}× its natural size")
        if p["right"] > min(p["area_right"], VIEWPORT["width"]) + 1:
            problems.append(f"{name}: cut off at the right ({p['right']:.0f} px)")
        text_px = png_text(p["head"]).get(SMALLEST_TEXT_KEY)
        if text_px is not None:
            shown_pt = float(text_px) * scale * 0.75
            if shown_pt < MIN_TEXT_PT:
                problems.append(f"{name}: smallest text {shown_pt:.1f} pt < {MIN_TEXT_PT} pt")
        elif stored and not p["widget"]:
            problems.append(f"{name}: no smallest-text record; re-execute with `make lessons`")
    return problems


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    env = {
        **os.environ,
        "NSTLIB_PROFILE": "ci",
        "NSTLIB_DEVICE": "cpu",
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "user"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),  # the trust database, as `make lab` fills it
    }
    subprocess.run(
        [sys.executable, "-m", "jupyter", "trust", *map(str, lesson_paths())],
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = tmp / "server.log"
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
            f"--LabApp.app_settings_dir={LAB_SETTINGS}",
        ],
        cwd=tmp,
        env=env,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            assert server.poll() is None, log.read_text()
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def page(lab_url):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
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
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(300_000)
        page.lab_url = lab_url
        yield page
        browser.close()


def open_lesson(page, name: str) -> None:
    """Open ``name`` in a fresh JupyterLab page and wait until its kernel is idle."""
    page.goto(f"{page.lab_url}/lab/tree/{name}?reset")  # ?reset: no tabs from the last page
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined")
    page.locator(".jp-Notebook").first.wait_for()
    page.wait_for_function(KERNEL_IDLE)


def see_outputs(page, stem: str) -> list[tuple[int, list[dict]]]:
    """Scroll to every cell with a picture or a widget; describe its pictures, screenshot widgets."""
    seen, shot = [], 0
    for index in page.evaluate(CELLS_TO_SEE):
        seen.append((index, page.evaluate(DESCRIBE_CELL, index)))
        cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
        for widget in cell.locator(".jp-OutputArea-output > .jupyter-widgets").all():
            shot += 1
            widget.screenshot(path=str(SCREENSHOTS / f"{stem}-widget{shot:02d}.png"))
    return seen


def shut_down_kernel(page) -> None:
    page.evaluate(f"() => {CURRENT}.sessionContext.shutdown().then(() => null)")


def raw_widget_outputs(page) -> list[str]:
    """Output areas that show a widget's text stand-in instead of the widget."""
    return page.evaluate(
        f"""() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))
             .map(e => e.textContent.trim()).filter(t => {RAW_WIDGET_TEXT}.test(t))
             .map(t => t.slice(0, 80))"""
    )


@pytest.mark.timeout(300)
@pytest.mark.parametrize("lesson", [p.name for p in lesson_paths()])
def test_opened_lesson_shows_its_stored_run(page, lesson):
    open_lesson(page, lesson)
    stem = Path(lesson).stem
    page.screenshot(path=str(SCREENSHOTS / f"{stem}-opened.png"))
    seen = see_outputs(page, stem)
    shut_down_kernel(page)
    assert raw_widget_outputs(page) == [], "widgets not drawn from the stored state"
    problems = [
        problem
        for index, pictures in seen
        for problem in picture_problems(pictures, f"{lesson} cell {index}", stored=True)
    ]
    assert problems == [], "\n".join(problems)


def widget_outputs_text(page) -> str:
    """Text and image sources of every rendered widget, to tell whether a slider changed anything."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.jp-OutputArea-output .widget-box, .jp-OutputArea-output .widget-output'))
             .map(e => e.innerText + Array.from(e.querySelectorAll('img')).map(i => i.src.slice(-64)).join('')).join('|')"""
    )


@pytest.mark.timeout(600)
def test_lesson_slider_answers_in_jupyterlab(page):
    open_lesson(page, RUN_LESSON)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells').then(() => null)")
    # Wait for the whole notebook to finish: the kernel is idle and no cell is queued ('[*]').
    page.wait_for_function(
        f"""() => {CURRENT}.sessionContext.session.kernel.status === 'idle'
                 && !Array.from(document.querySelectorAll('.jp-InputPrompt')).some(e => e.textContent.includes('*'))""",
        polling=1000,
    )
    errors = page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
        has_text="Traceback",
    )
    assert errors.count() == 0, errors.first.inner_text()
    seen = see_outputs(page, Path(RUN_LESSON).stem + "-run")
    problems = [
        problem
        for index, pictures in seen
        for problem in picture_problems(
            [p for p in pictures if p["widget"]], f"{RUN_LESSON} cell {index}", stored=False
        )
    ]
    assert problems == [], "\n".join(problems)

    slider = page.locator(".widget-slider .noUi-handle").first
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
    page.screenshot(path=str(SCREENSHOTS / f"{Path(RUN_LESSON).stem}-after-slider.png"))
