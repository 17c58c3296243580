"""File primitives every writer of results shares: the sha256 of a file, and writing a file
whole or not at all (a temporary name in the same folder, fsync, rename).

A reader never sees half a file: a run killed mid-write leaves at most a ``.NAME.PID.tmp``
beside the target, which :func:`remove_stale_temps` clears on the next run.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

CHUNK = 1 << 20


def sha256_file(path: str | Path, chunk: int = CHUNK) -> str:
    """Hex sha256 of a file's bytes, read in chunks (a report PDF may be hundreds of MB)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def temp_path_for(path: Path) -> Path:
    """The temporary name a write of ``path`` goes through: hidden, in the same folder (so the
    rename is atomic), and per process (two writers never share one)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` to fill a temporary file, fsync it, then rename it over ``path``.

    For writers that want a path (openpyxl, pyarrow); on any error the temporary file is
    removed and ``path`` keeps its old content."""
    path = Path(path)
    tmp = temp_path_for(path)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_stream(path: str | Path, write: Callable[[IO[str]], object], *, encoding: str = "utf-8",
                        newline: str | None = None) -> None:
    """Like :func:`atomic_write` for a writer of text to an open file handle (csv, json)."""

    def fill(tmp: Path) -> None:
        with open(tmp, "w", encoding=encoding, newline=newline) as fh:
            write(fh)

    atomic_write(path, fill)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` whole or not at all."""
    atomic_write_stream(path, lambda fh: fh.write(text), encoding=encoding)


def remove_stale_temps(folder: str | Path) -> int:
    """Delete the temporary files a killed writer left in ``folder``; returns how many."""
    n = 0
    for stale in Path(folder).glob(".*.tmp"):
        stale.unlink(missing_ok=True)
        n += 1
    return n


# pdfium (pypdfium2) is not thread-safe: two threads inside it at once corrupt its state
# (a sound PDF then fails to load, or the process aborts). The server answers page crops and
# page counts from a pool of threads; every open-to-close use of pdfium that can run on such a
# thread holds this lock. The parse itself runs in worker processes, one thread each.
PDFIUM_LOCK = threading.RLock()
