"""Giving the process's freed memory back to the system between pages.

A scanned page's work allocates and frees hundreds of MB (page arrays, the detector's and the
recogniser's working buffers, from onnxruntime's threads as well as Python's). glibc's malloc
keeps what is freed in its heaps (one per thread that allocated) for reuse, and a fragmented
heap cannot shrink from its top: after a few reports the process holds ~0.4-0.6 GB it does not
use, and every later page's working memory comes on top of it (a bench's peak RSS crept up report
by report). ``malloc_trim(0)`` hands those free pages back, so each page starts from what the
process really holds. Off glibc (musl, macOS) there is no such call and nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        fn = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def resident_mb() -> float | None:
    """The process's resident memory (MiB), from ``/proc/self/statm``; None where there is none."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE_BYTES / 2**20
    except (OSError, ValueError, IndexError):
        return None


def release_free_heap(above_mb: float = 0.0) -> bool:
    """Give the free pages of the C heaps back to the system when the process holds more than
    ``above_mb`` MiB (0: whatever it holds); True when they were given back. A trim walks every
    heap and hands its free pages back, and the next page's work takes them from the system
    again (zeroed pages, system CPU): below the mark the memory is kept for that reuse."""
    fn = _malloc_trim()
    if fn is None:
        return False
    if above_mb > 0:
        held = resident_mb()
        if held is not None and held <= above_mb:
            return False
    fn(0)
    return True
