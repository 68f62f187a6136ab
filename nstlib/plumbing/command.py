"""Running a command-line program: one-line errors, clean interrupts, the shell's exit statuses.

Every ``python -m nstlib...`` program ends the same way:

======================================  ==========================================  ======
what happened                           what is printed (stderr)                     status
======================================  ==========================================  ======
it worked                               its own report (stdout)                      0
a learner's mistake (``NstlibError``)   ``error: <what is wrong and how to fix it>``  2
an argument argparse cannot parse       ``error: argument --steps: invalid int ...``  2
Ctrl-C                                  ``interrupted (Ctrl-C); ...``                 130
SIGTERM / SIGHUP                        ``stopped by SIGTERM; ...``                   143 / 129
======================================  ==========================================  ======

never a traceback. Files are written atomically (:mod:`nstlib.plumbing.atomic`), so an interrupted
command leaves the previous files as they were and no half-written one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from nstlib.errors import NstlibError
from nstlib.plumbing.signals import Terminated, exit_status, signals_as_exceptions


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (argparse's usage block wraps to several)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def run_command(run: Callable[[], None]) -> int:
    """Call ``run()`` and turn how it ended into an exit status (see the table above)."""
    try:
        with signals_as_exceptions():
            run()
    except NstlibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Terminated) as exc:
        status, message = exit_status(exc)
        print(f"\n{message}", file=sys.stderr)  # \n: end a progress bar's line first
        return status
    return 0
