"""90 % intervals on analytic figures, from the estimator's measured errors on real synthesis results.

``error_intervals.json`` (written by ``benchmarks/estimator_accuracy.py --write-intervals``) holds, per figure, the
5th and 95th percentile of the error over the corpus designs whose layers are all modelled (each design weighted
once, whatever its number of tool versions), how many designs that was, and the leave-one-design-out coverage of
the interval built that way. LUT/FF/DSP errors are relative, (estimate - real) / real, and the interval on the true
value of an estimate ``e`` is ``[e / (1 + q95), e / (1 + q5)]``; latency errors are in cycles (many real latencies
are 0), and the interval is ``[e - q95, e - q5]`` (never below 0). A figure with no measured error carries none.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("error_intervals.json")


@lru_cache(maxsize=1)
def _table() -> dict:
    return json.loads(DATA.read_text()) if DATA.is_file() else {}


def interval(figure: str, value: float, clock_period_ns: float = 0.0) -> tuple[float, float, str] | None:
    """(low, high, note) for an analytic ``figure`` estimated at ``value``, or None if its error is unmeasured.
    ``latency_ns`` uses the latency-cycle error times ``clock_period_ns``."""
    row = _table().get("figures", {}).get("latency_cycles" if figure == "latency_ns" else figure)
    if not row:
        return None
    q5, q95 = float(row["q5"]), float(row["q95"])
    note = f"90 % over {row['designs']} designs"
    if row.get("kind") == "offset":
        scale = clock_period_ns if figure == "latency_ns" else 1.0
        if scale <= 0:
            return None
        c = float(row["offset"]) * scale  # the offset is in cycles; latency_ns is cycles x clock
        high = (value + c) / (1 + q5) - c if q5 > -1 else float("inf")
        return max(0.0, (value + c) / (1 + q95) - c), max(0.0, high), note
    if value <= 0:
        return None
    high = value / (1 + q5) if q5 > -1 else float("inf")
    return value / (1 + q95), high, note
