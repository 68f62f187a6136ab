"""Writing files so that a crash, a full disk or Ctrl-C never leaves half of one; sha256 of a file.

The trick is the classic one: write a temporary file in the same folder, flush it to disk, then
``os.replace`` it onto the target. A rename within one file system is atomic, so a reader sees the
old file or the new one, never a mixture, and the previous good file survives any failure.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHUNK = 1 << 20  # hash 1 MiB at a time: constant memory for files of any size


@contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    Usage::

        with atomic_write("run/checkpoint.pt") as tmp, open(tmp, "wb") as file:
            torch.save(state, file)

    (``torch.save`` is given the open file rather than the path because it names the archive inside
    the file after the path, which would then be the temporary name.)

    If the block raises (or the process is interrupted), the temporary file is deleted and
    ``path`` is untouched. The temporary name starts with ``.`` and ends with ``.part``.
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    tmp = Path(name)
    # mkstemp creates the file private (0600); give it the mode any new file would get (umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        with open(tmp, "rb+") as file:  # the data must be on disk before the rename publishes it
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sha256_of(path: str | Path) -> str:
    """The SHA-256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
