"""Verilog RTL for a quantized model (Dense chain, particle-set graph) through da4ml, with da4ml's cost estimate.

Contract: ``export_rtl(model, out_dir, settings)`` derives (or takes) the model's exact fixed-point types, writes the
model as one da4ml function (``rtl_trace.model_function``), traces it into an adder graph, cuts it into pipeline
stages of at most ``adder_levels_per_cycle`` adder levels and writes da4ml's Verilog project into ``out_dir``
(``src/*.v``, ``sim/`` binder, ``model/pipeline.json``, ``metadata.json``). The returned ``RtlProject`` holds the
live da4ml pipeline and the numpy reference function for simulation.

The estimate (method ``da4ml``): LUT = da4ml ``cost`` (sum of adder widths: one LUT per adder bit on a carry chain),
FF = pipeline register bits, DSP = BRAM = 0 (the RTL has no multipliers or memories: every product is shifts and
adds), latency = number of pipeline stages in cycles, II = 1. ``latency_ns`` is cycles x the *target* clock, which
nothing here verifies: whether ``adder_levels_per_cycle`` levels fit one period is a Vivado question.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from edgenn.config.parts import PART_FIX, is_known_part
from edgenn.exporters.precision import ModelPrecision, derive_precisions
from edgenn.io import atomic_write_json

TOP = "edgenn_top"
METHOD = "da4ml"
# The adder depth one clock period holds. Default: one carry-chain adder level per ns, so 5 levels at 5 ns (the notes'
# latency_cutoff=5 at 5 ns). Yosys' logic-only `sta` gave ~6.9 ns for 5 levels on UltraScale+ cells: optimistic.
DEFAULT_NS_PER_ADDER_LEVEL = 1.0


class RtlSettings(BaseModel):
    """The rtl target's settings, validated once where they enter (``runners.export_settings``): the part and clock
    of the recipe's ``export.fpga`` section, and the adder depth one period holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    part: str = "xcvu13p-flga2577-2-e"
    clock_period_ns: float = Field(5.0, gt=0)
    adder_levels_per_cycle: int | None = Field(None, ge=1)  # None: floor(clock / DEFAULT_NS_PER_ADDER_LEVEL), >= 1
    # the hls4ml C simulation as one more bit-exactness witness beside Verilator: 113-412 s of hls4ml conversion and
    # compilation on 3-D models, so a long run may skip it (--no-csim-check); the Verilator check stays
    csim_check: bool = True

    @field_validator("part")
    @classmethod
    def _known_part(cls, value: str) -> str:
        if not is_known_part(value):
            raise ValueError(f"unknown FPGA part; {PART_FIX}")
        return value

    @property
    def levels_per_cycle(self) -> int:
        if self.adder_levels_per_cycle is not None:
            return self.adder_levels_per_cycle
        return max(1, math.floor(self.clock_period_ns / DEFAULT_NS_PER_ADDER_LEVEL))

    def to_dict(self) -> dict[str, Any]:
        return {"part": self.part, "clock_period_ns": self.clock_period_ns,
                "adder_levels_per_cycle": self.levels_per_cycle, "csim_check": self.csim_check}


@dataclass(frozen=True)
class RtlEstimate:
    lut: float
    ff: float
    adder_depth: int
    latency_cycles: int
    clock_period_ns: float

    def figures(self) -> dict[str, dict[str, Any]]:
        note = "da4ml adder-bit cost model, not synthesis"
        return {
            "lut": {"value": self.lut, "unit": "count", "method": METHOD, "note": note},
            "ff": {"value": self.ff, "unit": "count", "method": METHOD, "note": "pipeline register bits"},
            "dsp": {"value": 0, "unit": "count", "method": METHOD, "note": "no multipliers in the RTL"},
            "bram": {"value": 0, "unit": "count", "method": METHOD, "note": "no memories in the RTL"},
            "latency_cycles": {"value": self.latency_cycles, "unit": "cycles", "method": METHOD,
                               "note": f"pipeline stages; adder depth {self.adder_depth}"},
            "ii_cycles": {"value": 1, "unit": "cycles", "method": METHOD, "note": "fully pipelined"},
            "latency_ns": {"value": self.latency_cycles * self.clock_period_ns, "unit": "ns", "method": METHOD,
                           "note": "at target clock, timing not verified"},
        }

    def to_dict(self) -> dict[str, Any]:
        return {"lut": self.lut, "ff": self.ff, "adder_depth": self.adder_depth,
                "latency_cycles": self.latency_cycles, "clock_period_ns": self.clock_period_ns, "method": METHOD}


@dataclass(frozen=True)
class RtlProject:
    out_dir: Path
    top: str
    settings: RtlSettings
    precision: ModelPrecision
    estimate: RtlEstimate
    trace_seconds: float
    write_seconds: float
    pipeline: Any = field(default=None, repr=False, compare=False)
    comb: Any = field(default=None, repr=False, compare=False)  # the unpipelined adder graph (da4ml CombLogic)
    reference: Any = field(default=None, repr=False, compare=False)  # numpy fn(x_quantized) -> logits

    def interpret(self, xq: np.ndarray) -> np.ndarray:
        """da4ml's own interpreter of the traced adder graph (no Verilator)."""
        xq = np.asarray(xq, np.float64)
        return np.asarray(self.comb.predict(xq.reshape(len(xq), -1)), np.float64)

    def verilog_sources(self) -> list[Path]:
        return verilog_sources(self.out_dir, self.top)

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "top": self.top, "settings": self.settings.to_dict(),
                "estimate": self.estimate.to_dict(), "trace_seconds": self.trace_seconds,
                "write_seconds": self.write_seconds}


def verilog_sources(project_dir: Path, top: str = TOP) -> list[Path]:
    """HDL files a synthesis tool reads, in dependency order. ``lookup_table.v`` is left out on purpose: its default
    ``$readmemh("whatever.mem")`` makes Yosys fail, and edgenn's RTL uses no tables."""
    project_dir = Path(project_dir)
    static = sorted(p for p in (project_dir / "src" / "static").glob("*.v") if p.name != "lookup_table.v")
    stages = sorted((project_dir / "src").glob(f"{top}_stage*.v"), key=lambda p: int(p.stem.rsplit("stage", 1)[1]))
    return [*static, *stages, project_dir / "src" / f"{top}.v"]


def export_rtl(model: Any, out_dir: Path, settings: RtlSettings, *, precision: ModelPrecision | None = None,
               x_calibration: np.ndarray | None = None) -> RtlProject:
    """Trace ``model`` with its exact types and write the pipelined Verilog project into ``out_dir``.

    Raises:
        UnsupportedModelError: a layer the RTL path does not cover (named), or a rounding mode it cannot build.
    """
    from da4ml.codegen import VerilogModel
    from da4ml.trace import FixedVariableArrayInput, comb_trace, to_pipeline

    from edgenn.exporters.rtl_trace import model_function

    if precision is None:
        precision = derive_precisions(model, x_calibration=x_calibration)
    fn = model_function(model, precision)
    start = time.perf_counter()
    inp = FixedVariableArrayInput(tuple(model.input_shape[1:]))  # flattened in C order, as the simulators feed it
    comb = comb_trace(inp, fn(inp))
    pipe = to_pipeline(comb, settings.levels_per_cycle, verbose=False)
    trace_seconds = time.perf_counter() - start

    start = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rtl = VerilogModel(pipe, TOP, out_dir, part_name=settings.part, clock_period=settings.clock_period_ns)
    rtl.write()
    write_seconds = time.perf_counter() - start
    estimate = RtlEstimate(lut=float(comb.cost), ff=float(pipe.reg_bits), adder_depth=int(max(comb.latency)),
                           latency_cycles=len(pipe.solutions), clock_period_ns=settings.clock_period_ns)
    atomic_write_json(out_dir / "precision.json", {**precision.to_dict(), "settings": settings.to_dict()})
    return RtlProject(out_dir, TOP, settings, precision, estimate, trace_seconds, write_seconds, pipe, comb, fn)
