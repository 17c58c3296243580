"""Freed memory goes back to the system between pages (``nianbao.heap``): a fragmented C heap
no longer carries a page's freed buffers into the next page's peak."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pytest

from nianbao.heap import release_free_heap


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux") or "glibc" not in " ".join(__import__("platform").libc_ver()),
                    reason="malloc_trim is glibc's")
def test_freed_fragmented_heap_is_given_back():
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(4096) for _ in range(40_000)]  # ~160 MB of small blocks: heap, not mmap
    for b in blocks:
        ctypes.memset(b, 1, 4096)
    kept = set(blocks[::64])  # one in 64 stays: the heap cannot shrink from its top
    for b in blocks:
        if b not in kept:
            libc.free(b)
    before = _rss_mb()
    assert release_free_heap()
    after = _rss_mb()
    for b in kept:
        libc.free(b)
    assert before - after > 80


@pytest.mark.skipif(not sys.platform.startswith("linux") or "glibc" not in " ".join(__import__("platform").libc_ver()),
                    reason="malloc_trim is glibc's")
def test_heap_kept_below_the_mark_and_given_back_above_it():
    """``Limits.release_heap_above_mb``: below the mark a page's freed memory stays for the next
    page (a trim costs system CPU when it is taken again); above it, it goes back."""
    from nianbao.heap import resident_mb

    held = resident_mb()
    assert held is not None and abs(held - _rss_mb()) < 64
    assert not release_free_heap(above_mb=held + 4096)
    assert release_free_heap(above_mb=1)
