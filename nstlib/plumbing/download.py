"""Downloading a file so that a slow, silent, lying or interrupted server never leaves a bad one.

Four things go wrong with downloads, and each has its guard here:

* the server accepts the connection and then says nothing: every read has a **timeout**;
* the server drips a byte now and then, so no single read times out: an **overall deadline**;
* the connection ends early, or the server sends another file: the **length** announced by the
  server and the length received are compared with the expected size *before* the (slow) hash;
* the user presses Ctrl-C, the machine sends SIGTERM, the disk fills up: the bytes go to a
  temporary file beside the target (:func:`nstlib.plumbing.atomic.atomic_write`), which is
  deleted on any failure; the target appears only complete and verified.
"""

from __future__ import annotations

import errno
import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from nstlib.errors import NstlibError
from nstlib.plumbing.atomic import atomic_write

CHUNK = 1 << 20
READ_TIMEOUT_S = 30.0  # a server silent for this long is considered gone
# The default deadline assumes at least 100 kB/s (a slow hotel Wi-Fi), plus a minute to connect:
# about 20 min for a 117 MB dataset zip, 1.5 h for the 548 MB VGG-19 weights.
MIN_BYTES_PER_S = 100_000


def download(
    url: str,
    path: str | Path,
    *,
    expected_bytes: int | None = None,
    verify: Callable[[Path], None] | None = None,
    read_timeout_s: float = READ_TIMEOUT_S,
    deadline_s: float | None = None,
    progress: bool = True,
    manual: str = "",
) -> Path:
    """Download ``url`` to ``path``; on any failure ``path`` is untouched and no temporary is left.

    Args:
        url: what to fetch.
        path: where to put it (its folder must exist).
        expected_bytes: the exact size, when known: a server announcing or sending another
            length is refused before hashing.
        verify: called on the complete temporary file before it is renamed to ``path`` (e.g. a
            SHA-256 check); raising there discards the download.
        read_timeout_s: the longest silence allowed between two pieces of data.
        deadline_s: the longest the whole download may take; default: a minute plus
            ``size / MIN_BYTES_PER_S``. Checked after every piece, so it may be overrun by up to
            ``read_timeout_s``.
        progress: show a tqdm bar.
        manual: appended to connection errors, e.g. how to download the file by hand.

    Returns ``path``.
    """
    path = Path(path)
    hint = f" {manual}" if manual else ""
    start = time.monotonic()
    with atomic_write(path) as tmp:
        try:
            response = urllib.request.urlopen(url, timeout=read_timeout_s)
        except urllib.error.HTTPError as exc:
            raise NstlibError(
                f"The server answered {exc.code} {exc.reason} for {url}.{hint}"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):  # connected, but no answer came
                raise NstlibError(
                    f"The server of {url} sent nothing for {read_timeout_s:g} s; try again "
                    f"later.{hint}"
                ) from exc
            raise NstlibError(
                f"Could not download {url} ({reason}); this machine seems to have no internet access.{hint}"
            ) from exc
        announced = response.headers.get("Content-Length")
        announced = int(announced) if announced and announced.isdigit() else None
        if expected_bytes is not None and announced is not None and announced != expected_bytes:
            response.close()
            raise NstlibError(
                f"{url} is {announced:,} bytes, expected {expected_bytes:,}: not the expected "
                f"file.{hint}"
            )
        total = expected_bytes if expected_bytes is not None else announced
        if deadline_s is None:
            deadline_s = 60 + (total or 0) / MIN_BYTES_PER_S
        received = 0
        bar = tqdm(total=total, unit="B", unit_scale=True, desc=path.name, disable=not progress)
        try:
            with response, open(tmp, "wb") as file, bar:
                # read1: return what has arrived instead of waiting for a full chunk, so that the
                # deadline is checked even while a server drips bytes.
                while chunk := response.read1(CHUNK):
                    file.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
                    if time.monotonic() - start > deadline_s:
                        raise NstlibError(
                            f"The download of {url} took more than {deadline_s:.0f} s "
                            f"({received:,} bytes so far); the server is too slow. Try again "
                            f"later.{hint}"
                        )
        except TimeoutError as exc:  # socket.timeout is TimeoutError since Python 3.10
            raise NstlibError(
                f"The server of {url} sent nothing for {read_timeout_s:g} s "
                f"({received:,} bytes so far); try again later.{hint}"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT):  # writing, not reading
                raise NstlibError(
                    f"The disk is full: {received:,} bytes of {url} were written to {path.parent} "
                    "and discarded. Free some space and run it again."
                ) from exc
            raise NstlibError(
                f"The download of {url} broke off ({exc}) after {received:,} bytes; run it "
                f"again.{hint}"
            ) from exc
        if total is not None and received != total:
            raise NstlibError(
                f"The download of {url} is incomplete: {received:,} of {total:,} bytes; run it "
                f"again.{hint}"
            )
        if verify is not None:
            verify(tmp)
    return path
