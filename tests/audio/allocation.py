"""Measuring what the audio-thread code allocates (tracemalloc sees numpy's buffers too)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable


def peak_allocation(step: Callable[[int], None], calls: int) -> tuple[int, int]:
    """(net growth, peak growth) in bytes traced by tracemalloc over ``calls`` calls."""
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for i in range(calls):
            step(i)
        now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return now - base, peak - base
