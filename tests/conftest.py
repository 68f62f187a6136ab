"""Shared test set-up: ``lessons/course.py`` importable as ``course``, and a one-thread fixture.

``course.py`` is not part of the ``nstlib`` package (students never need it), so it is not
installed; putting its folder on ``sys.path`` here lets the tests ``import course`` as
``python lessons/course.py`` itself would.
"""

import sys
from pathlib import Path

import pytest
import torch

LESSONS_DIR = Path(__file__).resolve().parent.parent / "lessons"
sys.path.insert(0, str(LESSONS_DIR))


@pytest.fixture(scope="module")
def one_thread():
    """Run a module's tests on one CPU thread, then restore the thread count.

    Tiny networks gain nothing from a second thread; on a shared 2-core machine intra-op threads
    that wait for each other made such tests over 10x slower, and a test that compares with a
    1-thread subprocess needs the same thread count here.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
