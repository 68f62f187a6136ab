"""Shared test set-up: the maintainer tooling ``lessons/course.py`` is importable as ``course``.

``course.py`` is not part of the ``nstlib`` package (students never need it), so it is not
installed; putting its folder on ``sys.path`` here lets the tests ``import course`` as
``python lessons/course.py`` itself would.
"""

import sys
from pathlib import Path

LESSONS_DIR = Path(__file__).resolve().parent.parent / "lessons"
sys.path.insert(0, str(LESSONS_DIR))
