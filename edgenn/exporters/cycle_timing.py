"""Latency and initiation interval of a verilated RTL design, measured cycle by cycle (method ``verilator``).

Contract: ``measure_timing(lib, project_dir, pipeline, xq, expected, clock_period_ns)`` presents the rows of ``xq``
to the design back to back (a new row every ``ii`` cycles, each held for those cycles), samples the output port after
every rising edge (``verilator.run_cycles``) and returns a ``CycleTiming``: the smallest ``ii`` (1 first) at which
there is one offset L such that the output sampled L cycles after each row's first cycle is that row's ``expected``
output, for every row; L is the latency. Nothing is taken from da4ml's declarations, so the figures can disagree
with them (the report shows both).

What the cycles count: the edge that registers a row into the design is cycle 0, the edge after which its result is
on the output port is cycle L. da4ml's pipelines register the input and every stage output, so L equals the number
of stages da4ml declares (``len(pipeline.solutions)``); a designer counting from the cycle before the input register
would say L + 1.

Raises ``ExternalToolError`` when no interval up to ``max_ii`` gives every row its expected output (the design is
wrong, or slower than that), and ``InvalidInputError`` when the rows do not pin a latency down (fewer than two rows,
or every row expects the same output, so any offset would match).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.errors import ExternalToolError, InvalidInputError

METHOD = "verilator"


@dataclass(frozen=True)
class CycleTiming:
    latency_cycles: int
    ii_cycles: int
    num_rows: int
    num_cycles: int
    clock_period_ns: float
    declared_latency_cycles: int  # what da4ml's pipeline declares, for the comparison

    @property
    def latency_ns(self) -> float:
        return self.latency_cycles * self.clock_period_ns

    def figures(self) -> dict[str, dict[str, Any]]:
        run = (f"cycle-accurate Verilator run: {self.num_rows} rows back to back every {self.ii_cycles} cycle(s), "
               f"each output checked; {self.num_cycles} cycles")
        return {
            "latency_cycles": {"value": self.latency_cycles, "unit": "cycles", "method": METHOD,
                               "note": f"{run}; da4ml declares {self.declared_latency_cycles}"},
            "ii_cycles": {"value": self.ii_cycles, "unit": "cycles", "method": METHOD, "note": run},
            "latency_ns": {"value": self.latency_ns, "unit": "ns", "method": METHOD,
                           "note": f"measured cycles x the {self.clock_period_ns} ns target clock (timing closure "
                                   "not verified)"},
        }

    def to_dict(self) -> dict[str, Any]:
        return {"latency_cycles": self.latency_cycles, "ii_cycles": self.ii_cycles, "latency_ns": self.latency_ns,
                "num_rows": self.num_rows, "num_cycles": self.num_cycles, "clock_period_ns": self.clock_period_ns,
                "declared_latency_cycles": self.declared_latency_cycles, "method": METHOD}


def first_matching_offset(outputs: np.ndarray, expected: np.ndarray, ii: int, max_offset: int) -> int | None:
    """Smallest L <= max_offset with outputs[r * ii + L] == expected[r] for every row r, else None."""
    rows = len(expected)
    for offset in range(max_offset + 1):
        at = np.arange(rows) * ii + offset
        if at[-1] < len(outputs) and np.array_equal(outputs[at], expected):
            return offset
    return None


def measure_timing(lib_path: Path, project_dir: Path, pipeline: Any, xq: np.ndarray, expected: np.ndarray,
                   clock_period_ns: float, *, max_ii: int = 4, max_latency_cycles: int | None = None) -> CycleTiming:
    """Measure latency and II (see the module docstring). ``expected``: one output row per input row (the exact
    reference's logits); ``max_latency_cycles`` bounds the search (default: twice da4ml's declared latency + 8)."""
    from edgenn.exporters.verilator import run_cycles

    xq = np.asarray(xq, np.float64).reshape(len(xq), -1)
    expected = np.asarray(expected, np.float64).reshape(len(xq), -1)
    if len(xq) < 2 or len(np.unique(expected, axis=0)) < 2:
        raise InvalidInputError(f"cannot measure latency on {len(xq)} rows with {len(np.unique(expected, axis=0))} "
                                "distinct expected outputs: any offset would match.",
                                fix="pass at least two rows whose outputs differ (e.g. the validation rows).")
    declared = len(pipeline.solutions)
    max_latency = max_latency_cycles if max_latency_cycles is not None else 2 * declared + 8
    for ii in range(1, max_ii + 1):
        held = np.repeat(xq, ii, axis=0)  # a producer with a new row every ii cycles holds it meanwhile
        num_cycles = len(held) + max_latency + 1
        outputs = run_cycles(lib_path, project_dir, pipeline, held, num_cycles)
        latency = first_matching_offset(outputs, expected, ii, max_latency)
        if latency is not None:
            return CycleTiming(latency, ii, len(xq), num_cycles, clock_period_ns, declared)
    raise ExternalToolError(f"the verilated design gives no offset <= {max_latency} cycles at which all {len(xq)} "
                            f"back-to-back outputs are right, at any II up to {max_ii} cycles.",
                            fix="compare the design with the reference row by row (run_simulator); the RTL is wrong.")
