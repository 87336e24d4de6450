"""Typed inputs and results of the analytic FPGA estimator.

Inputs (`LayerSpec`, `DesignSpec`) are framework-free so the model can be tested without hls4ml. Results carry a
method label on every figure: nothing here is a vendor report, and `latency_ns` is cycles times the *target* clock,
never a timing-closed number.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from edgenn.errors import InvalidInputError
from edgenn.estimates.layer_models import layer_model_kinds

METHOD = "analytic"
LATENCY_NS_NOTE = "at target clock, timing not verified"
SCHEMA_VERSION = 1

# A kind is whatever a module registers with ``estimates.layer_models.register_layer_model``: a new layer model adds its
# kind there, and LayerSpec accepts it, without a list here to keep in step.
LayerKind = str
Strategy = Literal["Latency", "Resource"]
IO_TYPES = ("io_parallel", "io_stream")
_STRATEGIES = ("Latency", "Resource")


@dataclass(frozen=True)
class LayerSpec:
    """One layer as the estimator sees it. Widths are total bits of the fixed-point type.

    ``num_nonzero_weights`` counts weights left after pruning whose quantized value is not zero. Of those,
    ``num_power_of_two_weights`` are +-2^k (a shift: wiring, no multiplier, still one adder input).
    ``mult_sig_bits_hist[b]`` counts the remaining multiplier weights whose odd mantissa has ``b`` bits (the part a
    constant multiplier has to implement); ``lut_mult_csd_digits`` is the summed non-zero canonical-signed-digit count
    of the multiplier weights narrow enough to land in LUTs. Both are filled from real weights by
    `edgenn.estimates.from_hls`; when absent the model assumes every multiplier weight uses the full declared width.
    """

    name: str
    kind: LayerKind
    n_in: int
    n_out: int
    weight_width: int = 0
    weight_signed: bool = True
    input_width: int = 0
    accum_width: int = 0
    result_width: int = 0
    num_nonzero_weights: int = 0
    reuse_factor: int = 1
    strategy: Strategy = "Latency"
    num_power_of_two_weights: int = 0
    mult_sig_bits_hist: tuple[int, ...] | None = None
    lut_mult_csd_digits: int | None = None
    table_size: int = 0  # softmax: entries per lookup table (0: hls4ml's default)
    csd_digits_hist: tuple[int, ...] | None = None  # [d] = weights with d non-zero CSD digits (0 zero, 1 shift)
    csd_mantissa_bits: tuple[int, ...] | None = None  # [d] = odd-mantissa bits summed over the weights of [d] above
    op: str = ""               # merge: add/subtract/multiply/average/maximum/minimum; pooling: Max/Average
    input2_width: int = 0      # merge: width of the second operand
    table_size: int = 0        # table activations: entries of the lookup table
    stream_bits: int = 0       # io_stream: bits of one element of the layer's output stream (FIFO width)
    # names of the layers feeding this one (empty: the layer before it); io_parallel latency follows the longest
    # path through them, not the sum over parallel branches
    inputs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = f"layer {self.name!r}"
        kinds = layer_model_kinds()
        if self.kind not in kinds:
            raise InvalidInputError(f"{where}: kind must be one of {tuple(kinds)} (got {self.kind!r}).")
        if self.strategy not in _STRATEGIES:
            raise InvalidInputError(
                f"{where}: strategy must be one of {_STRATEGIES} (got {self.strategy!r}).",
                fix="use 'Latency' or 'Resource' (hls4ml's io_parallel strategies).",
            )
        for attr in ("n_in", "n_out", "reuse_factor"):
            if getattr(self, attr) < 1:
                raise InvalidInputError(f"{where}: {attr} must be >= 1 (got {getattr(self, attr)}).")
        for attr in ("weight_width", "input_width", "accum_width", "result_width", "num_power_of_two_weights"):
            if getattr(self, attr) < 0:
                raise InvalidInputError(f"{where}: {attr} must be >= 0 (got {getattr(self, attr)}).")
        if self.kind in ("dense", "conv2d", "batchnorm"):
            n_weights = self.n_in * self.n_out
            if not 0 <= self.num_nonzero_weights <= n_weights:
                raise InvalidInputError(
                    f"{where}: num_nonzero_weights must be in [0, n_in*n_out={n_weights}] "
                    f"(got {self.num_nonzero_weights})."
                )
            if self.num_power_of_two_weights > self.num_nonzero_weights:
                raise InvalidInputError(
                    f"{where}: num_power_of_two_weights ({self.num_power_of_two_weights}) exceeds "
                    f"num_nonzero_weights ({self.num_nonzero_weights})."
                )
            if min(self.weight_width, self.input_width, self.accum_width, self.result_width) < 1:
                raise InvalidInputError(f"{where}: a dense layer needs weight, input, accum and result widths >= 1.")
            if self.mult_sig_bits_hist is not None and sum(self.mult_sig_bits_hist) != self.num_multiplier_weights:
                raise InvalidInputError(
                    f"{where}: mult_sig_bits_hist sums to {sum(self.mult_sig_bits_hist)} but "
                    f"num_nonzero_weights - num_power_of_two_weights = {self.num_multiplier_weights}."
                )

    @property
    def num_multiplier_weights(self) -> int:
        """Weights that need a real multiplication (non-zero and not a signed power of two)."""
        return self.num_nonzero_weights - self.num_power_of_two_weights


@dataclass(frozen=True)
class DesignSpec:
    layers: tuple[LayerSpec, ...]
    clock_period_ns: float
    part: str = ""
    io_type: str = "io_parallel"
    tool: str = ""  # "Vivado" (Vivado HLS) or "Vitis" (Vitis HLS): the hls4ml backend, where generations differ

    def __post_init__(self) -> None:
        if not self.layers:
            raise InvalidInputError("design has no layers.")
        if not (self.clock_period_ns > 0 and math.isfinite(self.clock_period_ns)):
            raise InvalidInputError(f"clock_period_ns must be a positive number (got {self.clock_period_ns}).")
        if self.io_type not in IO_TYPES:
            raise InvalidInputError(f"io_type {self.io_type!r} is not modelled.", fix=f"use one of {IO_TYPES}.")
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise InvalidInputError(f"layer names must be unique (got {names}).")


@dataclass(frozen=True)
class Figure:
    """``bound == "lower"``: the design has layers the model does not describe (counted as zero), so the true
    figure is at least ``value`` and a ``max`` budget cannot be shown to hold."""

    value: float
    unit: str
    method: str = METHOD
    note: str = ""
    bound: str = ""
    interval: tuple[float, float] | None = None  # 90 % interval on the true value (edgenn.estimates.intervals)
    interval_note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("bound", "interval", "interval_note"):
            if not out[key]:
                del out[key]
        if self.interval is not None:
            out["interval"] = list(self.interval)
        return out

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Figure:
        iv = data.get("interval")
        return Figure(float(data["value"]), str(data["unit"]), str(data["method"]), str(data.get("note", "")),
                      str(data.get("bound", "")), (float(iv[0]), float(iv[1])) if iv else None,
                      str(data.get("interval_note", "")))

    def describe(self) -> str:
        """``40,500 (34,000–48,000)`` or ``≥ 40,500``: a lower bound never reads as a plain number."""
        text = f"{'≥ ' if self.bound == 'lower' else ''}{self.value:,.0f}"
        if self.interval is not None and not self.bound:
            text += f" ({self.interval[0]:,.0f}–{self.interval[1]:,.0f})"
        return text


# Units follow edgenn.config.budget.UNITS so `edgenn check` can compare these figures directly.
def _resource_figures(lut: float, ff: float, dsp: float, bram: float, dsp_kind: str = "DSP48E2") -> dict[str, Figure]:
    return {
        "lut": Figure(lut, "count", note="LUTs"),
        "ff": Figure(ff, "count", note="flip-flops"),
        "dsp": Figure(dsp, "count", note=f"{dsp_kind} slices"),
        "bram": Figure(bram, "count", note="RAMB18 (18 Kb) blocks"),
    }


@dataclass(frozen=True)
class Estimate:
    """Figures for one layer or for the whole design (``name == 'total'``)."""

    name: str
    lut: Figure
    ff: Figure
    dsp: Figure
    bram: Figure
    latency_cycles: Figure
    ii_cycles: Figure
    latency_ns: Figure
    notes: tuple[str, ...] = ()

    @staticmethod
    def build(
        name: str, *, lut: float, ff: float, dsp: float, bram: float, latency_cycles: int, ii_cycles: int,
        clock_period_ns: float, notes: tuple[str, ...] = (), dsp_kind: str = "DSP48E2",
    ) -> Estimate:
        return Estimate(
            name=name,
            **_resource_figures(lut, ff, dsp, bram, dsp_kind),
            latency_cycles=Figure(latency_cycles, "cycles"),
            ii_cycles=Figure(ii_cycles, "cycles"),
            latency_ns=Figure(latency_cycles * clock_period_ns, "ns", note=LATENCY_NS_NOTE),
            notes=notes,
        )

    def figures(self) -> dict[str, Figure]:
        return {k: getattr(self, k) for k in ("lut", "ff", "dsp", "bram", "latency_cycles", "ii_cycles", "latency_ns")}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **{k: f.to_dict() for k, f in self.figures().items()}, "notes": list(self.notes)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Estimate:
        figs = {k: Figure.from_dict(data[k]) for k in ("lut", "ff", "dsp", "bram", "latency_cycles", "ii_cycles",
                                                         "latency_ns")}
        return Estimate(name=str(data["name"]), notes=tuple(data.get("notes", ())), **figs)


@dataclass(frozen=True)
class ResourceReport:
    layers: tuple[Estimate, ...]
    total: Estimate
    clock_period_ns: float
    part: str
    method: str = METHOD
    schema_version: int = SCHEMA_VERSION
    assumptions: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "method": self.method,
            "clock_period_ns": self.clock_period_ns,
            "part": self.part,
            "layers": [e.to_dict() for e in self.layers],
            "total": self.total.to_dict(),
            "assumptions": list(self.assumptions),
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ResourceReport:
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise InvalidInputError(
                f"resource report schema_version {version!r} is not supported (expected {SCHEMA_VERSION})."
            )
        return ResourceReport(
            layers=tuple(Estimate.from_dict(e) for e in data["layers"]),
            total=Estimate.from_dict(data["total"]),
            clock_period_ns=float(data["clock_period_ns"]),
            part=str(data["part"]),
            method=str(data["method"]),
            schema_version=int(version),
            assumptions=tuple(data.get("assumptions", ())),
        )

    def to_markdown(self) -> str:
        head = ("| layer | LUT | FF | DSP | BRAM18 | latency (cycles) | II (cycles) | latency (ns) |\n"
                "|---|---:|---:|---:|---:|---:|---:|---:|")
        rows = [head]
        for e in (*self.layers, self.total):
            name = f"**{e.name}**" if e is self.total else e.name
            ge = "≥ " if e.lut.bound == "lower" else ""
            rows.append(
                f"| {name} | {e.lut.describe()} | {e.ff.describe()} | {e.dsp.describe()} | "
                f"{e.bram.describe()} | {e.latency_cycles.describe()} | {e.ii_cycles.value:,.0f} | "
                f"{ge}{e.latency_ns.value:,.1f} |"
            )
        rows.append("")
        rows.append(
            f"Method: {self.method} (no vendor tool run). Latency in ns is cycles x {self.clock_period_ns:g} ns, "
            f"{LATENCY_NS_NOTE}. Part: {self.part or 'unspecified'}."
        )
        if self.total.lut.interval_note:
            rows.append(f"Total in brackets: {self.total.lut.interval_note}.")
        rows.extend(f"- {a}" for a in self.assumptions)
        return "\n".join(rows)
