"""90 % intervals on analytic figures, from the estimator's measured errors on real synthesis results.

``error_intervals.json`` (written by ``benchmarks/estimator_accuracy.py --write-intervals``) holds, per figure, the
5th and 95th percentile of the relative error (estimate - real) / real over the corpus designs whose layers are all
modelled, and how many designs that was. The interval on the true value of an estimate ``e`` is
``[e / (1 + q95), e / (1 + q5)]``. A figure with no measured error carries no interval.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("error_intervals.json")


@lru_cache(maxsize=1)
def _table() -> dict:
    return json.loads(DATA.read_text()) if DATA.is_file() else {}


def interval(figure: str, value: float) -> tuple[float, float, str] | None:
    """(low, high, note) for an analytic ``figure`` estimated at ``value``, or None if its error is unmeasured."""
    row = _table().get("figures", {}).get("latency_cycles" if figure == "latency_ns" else figure)
    if not row or value <= 0:
        return None
    q5, q95 = float(row["q5"]), float(row["q95"])
    high = value / (1 + q5) if q5 > -1 else float("inf")
    note = f"90 % over {row['designs']} designs ({_table().get('method', 'measured error')})"
    return value / (1 + q95), high, note
