"""How the report writes numbers: one formatting rule for every section, so a figure reads the same everywhere."""

from __future__ import annotations

import math


def fmt(value, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return "n/a" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if math.isinf(value):
            return "∞"
        return f"{value:.{digits}g}"
    return str(value)


def num(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def pct(value) -> str:
    return "n/a" if value is None else f"{value:.2%}"
