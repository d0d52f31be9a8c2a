"""Small helpers shared by the benchmarks: medians, percentiles, ratios and a plain table."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

__all__ = ["format_table", "median", "percentile", "percentiles", "plain_number", "ratio"]


def median(values: Iterable[float]) -> float:
    """The median (the mean of the middle two for an even count); NaN when there are none."""
    data = sorted(values)
    n = len(data)
    if n == 0:
        return math.nan
    mid = n // 2
    return float(data[mid]) if n % 2 else (data[mid - 1] + data[mid]) / 2.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100), linear between the closest ranks; NaN when empty."""
    return percentiles(values, (q,))[0]


def percentiles(values: Sequence[float], qs: Sequence[float]) -> list[float]:
    """Several percentiles of the same data, sorting it only once."""
    data = sorted(values)
    n = len(data)
    out: list[float] = []
    for q in qs:
        if not 0.0 <= q <= 100.0:
            raise ValueError(f"percentile out of range: {q}")
        if n == 0:
            out.append(math.nan)
            continue
        rank = q / 100.0 * (n - 1)
        low = math.floor(rank)
        high = min(low + 1, n - 1)
        out.append(float(data[low] + (data[high] - data[low]) * (rank - low)))
    return out


def plain_number(value: float) -> int | float:
    """An int when the value is whole (counts, frames), else the float itself."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def ratio(ours: float | None, theirs: float | None) -> str:
    """``ours / theirs`` as text for a table: ``1.00×``, ``–`` when it means nothing."""
    if ours is None or theirs is None or math.isnan(ours) or math.isnan(theirs):
        return "–"
    if theirs == 0:
        return "=" if ours == 0 else "∞"
    return f"{ours / theirs:.2f}×"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table: the first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    count = max(len(r) for r in cells)
    for row in cells:
        row.extend([""] * (count - len(row)))
    widths = [max(len(row[i]) for row in cells) for i in range(count)]

    def line(row: list[str]) -> str:
        parts = [row[0].ljust(widths[0])]
        parts += [row[i].rjust(widths[i]) for i in range(1, count)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])
