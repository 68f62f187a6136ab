"""Stopping cleanly: Ctrl-C and SIGTERM become exceptions, so clean-up code always runs.

Python turns Ctrl-C (SIGINT) into ``KeyboardInterrupt``, but SIGTERM (what ``kill``, a job
scheduler or a closing terminal sends) kills the process on the spot: no ``finally`` block runs,
so a half-written temporary file stays behind. :func:`signals_as_exceptions` makes SIGTERM raise
:class:`Terminated` instead; :func:`nstlib.plumbing.atomic.atomic_write` and the downloads then
delete their temporary files on the way out, and the command line prints one line and exits with
the shell's conventional status, 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM (or SIGHUP).

    A ``BaseException``, like ``KeyboardInterrupt``, so that ``except Exception`` blocks do not
    swallow it and the program really stops.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


# SIGHUP is what a closed terminal sends; Windows has neither it nor a catchable SIGTERM kill.
_CAUGHT = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated`; the old handlers return after.

    Signal handlers can only be installed from the main thread; elsewhere this does nothing.
    """

    def raise_terminated(signum: int, frame: object) -> None:
        raise Terminated(signum)

    previous = {}
    try:
        for signum in _CAUGHT:
            previous[signum] = signal.signal(signum, raise_terminated)
    except ValueError:  # not the main thread (e.g. a test runner's worker)
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def exit_status(exc: BaseException) -> tuple[int, str]:
    """The exit status and one-line message for ``KeyboardInterrupt`` or :class:`Terminated`."""
    if isinstance(exc, Terminated):
        name = signal.Signals(exc.signum).name
        return 128 + exc.signum, f"stopped by {name}; no partial file was left behind."
    return 128 + signal.SIGINT, "interrupted (Ctrl-C); no partial file was left behind."
