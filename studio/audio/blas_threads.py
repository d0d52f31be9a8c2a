"""One BLAS thread while the studio renders.

numpy's and scipy's OpenBLAS start a thread per core for a matrix product and keep them spinning
afterwards. The studio's products are small (the true-peak interpolator: blocks of a few
thousand rows times a 33- or 64-row filter), and the cores are already busy with the mix graph's
lanes (pedalboard), so the extra threads only compete. Measured on this 2-core machine with
another process busy on one core, the whole ``studio bench render`` job (16 tracks x 3 min,
mixed and mastered): 8.7 s wall and 14.1 s CPU with OpenBLAS's default threads, 6.2 s and 8.1 s
with one; the loudness meter alone on 3 min of stereo: 3.2 s against 0.73 s.

:func:`single_blas_thread` is a context manager that asks every OpenBLAS library loaded in this
process (found in ``/proc/self/maps``, called by the C functions OpenBLAS exports for this:
``openblas_set_num_threads`` under the prefixes numpy's and scipy's wheels give it) to use one
thread, and puts the old count back afterwards. Where none is found (another BLAS, another
system) it does nothing. Setting ``OPENBLAS_NUM_THREADS=1`` before numpy is imported does the
same for the whole process.

:func:`keep_freed_memory` is the other process setting a render wants: glibc's ``malloc`` gives
every array over its mmap threshold (128 KiB at first, raised as such arrays are freed) fresh
pages from the kernel, and hands freed heap memory back once more than twice that lies unused
at the top, so a render that allocates and frees blocks of a few hundred KiB (pedalboard's
output, libsndfile's reads, the meters' temporaries) keeps faulting in new zeroed pages.
Measured on the ``studio bench render`` job: 371 000 page faults and 8.0 s CPU (0.96 s of it in
the kernel); with arrays up to 32 MiB taken from the heap and up to 128 MiB of freed heap kept,
41 000 faults and 7.1 s CPU, the same samples. It is set once per process (glibc only; elsewhere
nothing happens) and stays: a process that has rendered once will render again.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["blas_libraries", "keep_freed_memory", "single_blas_thread"]

_PREFIXES = ("openblas", "scipy_openblas", "scipy_openblas64_", "openblas64_")
_SUFFIXES = ("", "64_", "_64_")

_M_TRIM_THRESHOLD = -1  # mallopt parameters (glibc's malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's own ceiling for its dynamic threshold
TRIM_THRESHOLD_BYTES = 128 << 20

_lock = threading.Lock()
_memory_kept: bool | None = None
_depth = 0
_saved: list[tuple[Callable[[int], None], int]] = []


def _functions(library: ctypes.CDLL) -> tuple[Callable[[], int], Callable[[int], None]] | None:
    for prefix in _PREFIXES:
        for suffix in _SUFFIXES:
            get = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
            put = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                get.restype = ctypes.c_int
                get.argtypes = []
                put.restype = None
                put.argtypes = [ctypes.c_int]
                return get, put
    return None


def blas_libraries() -> list[tuple[str, Callable[[], int], Callable[[int], None]]]:
    """Every OpenBLAS loaded in this process: (path, get_num_threads, set_num_threads)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return []
    paths = sorted({line.split(None, 5)[5].strip() for line in maps.splitlines()
                    if len(line.split(None, 5)) == 6
                    and "openblas" in os.path.basename(line.split(None, 5)[5]).lower()})
    found = []
    for path in paths:
        try:
            library = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
        except OSError:
            continue
        functions = _functions(library)
        if functions is not None:
            found.append((path, functions[0], functions[1]))
    return found


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Use one OpenBLAS thread inside the ``with`` block (nested and threaded use is safe:
    the old counts come back when the outermost block ends)."""
    global _depth
    with _lock:
        if _depth == 0:
            _saved.clear()
            for _path, get, put in blas_libraries():
                _saved.append((put, get()))
                put(1)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for put, count in _saved:
                    put(count)
                _saved.clear()


def keep_freed_memory() -> bool:
    """Make glibc's ``malloc`` reuse freed memory for the render's block-sized arrays instead
    of asking the kernel for new pages each time (see the module docstring). Returns whether
    the setting is in force; asking again does nothing more."""
    global _memory_kept
    with _lock:
        if _memory_kept is None:
            _memory_kept = _set_malloc_thresholds()
        return _memory_kept


def _set_malloc_thresholds() -> bool:
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.restype = ctypes.c_int
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    # the trim threshold first: mallopt returns 1 on success
    return bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
                and mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
