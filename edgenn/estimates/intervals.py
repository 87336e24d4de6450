"""90 % intervals on analytic figures, from the estimator's measured errors on real synthesis results.

``error_intervals.json`` (written by ``benchmarks/estimator_accuracy.py --write-intervals``) holds, per figure, the
5th and 95th percentile of the error over the corpus designs whose layers are all modelled (each design weighted
once, whatever its number of tool versions), how many designs that was, and the leave-one-design-out coverage of
the interval built that way. The same quantiles are stored per class, each figure with its own classing
(`FIGURE_CLASSING`): FF and latency by design class (`design_class`: io_parallel with every reuse factor 1,
io_parallel with reuse, io_stream), because the model's error differs by class (an io_parallel RF-1 design gets the
spread of its own class, not the spread of streamed CNNs); LUT by the estimate's size (`SIZE_CLASSES`); DSP over the
whole corpus. A class with too few measured designs falls back to the whole corpus. LUT/FF errors are relative, (estimate - real) / real, and the interval on the true
value of an estimate ``e`` is ``[e / (1 + q95), e / (1 + q5)]``; latency and DSP errors carry an offset ``c``
(many real latencies are 0 cycles, many DSP counts a handful): (e + c) / (real + c) - 1, and the interval is
``[(e + c) / (1 + q95) - c, (e + c) / (1 + q5) - c]`` (never below 0). A figure with no measured error carries none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("error_intervals.json")
DESIGN_CLASSES = ("parallel_rf1", "parallel_reuse", "stream")
# LUT: by the estimate's own size. Below the trigger size (5k LUT: hls4ml's CI designs of a single small
# layer) the fixed control and interface logic the model does not count is a large share, above it the datapath
# rules the corpus checks per instance dominate; the two spreads differ (validated out of sample: LODO coverage
# 83 -> 87 % at half-width 57 -> 40 %, leave-one-repository-out coverage 73 -> 84 %, benchmarks/estimator_accuracy.py)
SIZE_CLASSES = ("under_5k_lut", "from_5k_lut")
TRIGGER_SIZE_LUT = 5000
# how each figure's error is classed: the design class, the LUT size, or not at all. DSP is not split: per design
# class its intervals were too narrow out of sample (leave-one-repository-out coverage 79 %); over the whole corpus
# that is 88 % at a 16 % half-width
FIGURE_CLASSING = {"lut": "size", "ff": "design", "dsp": "whole", "latency_cycles": "design", "latency_ns": "design"}


@lru_cache(maxsize=1)
def _table() -> dict:
    return json.loads(DATA.read_text()) if DATA.is_file() else {}


def design_class(io_type: str, reuse_factors: Iterable[int]) -> str:
    """The error class of a design: its io type and whether any layer shares multipliers (reuse factor > 1)."""
    if io_type == "io_stream":
        return "stream"
    return "parallel_reuse" if any(int(rf) > 1 for rf in reuse_factors) else "parallel_rf1"


def interval_class(figure: str, value: float, io_type: str, reuse_factors: Iterable[int]) -> str | None:
    """The class whose stored error serves ``figure`` estimated at ``value`` (`FIGURE_CLASSING`), None: the whole
    corpus."""
    how = FIGURE_CLASSING.get(figure, "whole")
    if how == "size":
        return SIZE_CLASSES[1] if value >= TRIGGER_SIZE_LUT else SIZE_CLASSES[0]
    return design_class(io_type, reuse_factors) if how == "design" else None


def error_row(figure: str, cls: str | None = None) -> dict | None:
    """The stored quantiles of ``figure`` for design class ``cls`` (the whole corpus when the class has none)."""
    table = _table()
    name = "latency_cycles" if figure == "latency_ns" else figure
    row = (table.get("classes", {}).get(cls or "", {}) or {}).get(name)
    return row or table.get("figures", {}).get(name)


def interval(figure: str, value: float, clock_period_ns: float = 0.0,
             cls: str | None = None) -> tuple[float, float, str] | None:
    """(low, high, note) for an analytic ``figure`` estimated at ``value``, or None if its error is unmeasured.
    ``latency_ns`` uses the latency-cycle error times ``clock_period_ns``; ``cls`` is the design's
    `design_class`."""
    row = error_row(figure, cls)
    if not row:
        return None
    q5, q95 = float(row["q5"]), float(row["q95"])
    note = f"90 % over {row['designs']} designs" + (f" ({row['class']})" if row.get("class") else "")
    if row.get("kind") == "offset":
        scale = clock_period_ns if figure == "latency_ns" else 1.0
        if scale <= 0:
            return None
        c = float(row["offset"]) * scale  # the offset is in cycles (or DSPs); latency_ns is cycles x clock
        high = (value + c) / (1 + q5) - c if q5 > -1 else float("inf")
        return max(0.0, (value + c) / (1 + q95) - c), max(0.0, high), note
    if value <= 0:
        return None
    high = value / (1 + q5) if q5 > -1 else float("inf")
    return value / (1 + q95), high, note
