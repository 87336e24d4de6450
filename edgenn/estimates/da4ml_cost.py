"""Resources and latency of an hls4ml ``distributed_arithmetic`` design from da4ml's cost model (method ``da4ml``).

hls4ml 1.3's DA pass (``backends/vivado/passes/distributed_arithmetic.py``) solves each Dense/Conv kernel with da4ml
and stores ``layer.attributes['da_kernel_cost']`` (sum of adder widths: one LUT per adder bit on a carry chain) and
the kernel's C++ with each operation's adder depth as a trailing ``// <depth>`` comment. From those:

- LUT per kernel = ``da_kernel_cost`` times its parallel copies: a Dense/Conv on an (N, C) tensor (PointwiseConv1D,
  Conv) instantiates one kernel per output pixel of a partition (``P / n_partitions``, N at ParallelizationFactor N),
  and its II is ``n_partitions``; other layers (ReLU, casts) add ``n x width`` LUTs, labelled ``analytic``;
  ``WIRING`` layers (transpose, concatenation, reshape) add nothing;
- DSP = BRAM = 0 for the kernels (shifts and adds); a softmax keeps hls4ml's tables and DSPs and is estimated by the
  analytic model (labelled ``analytic``, which then labels the DSP/BRAM totals too);
- cycles per kernel = ``ceil(adder depth / levels per cycle)``, levels per cycle = clock / 1 ns (as the RTL target),
  plus one register per layer boundary (one per partition); II = the largest n_partitions (1 for Dense). Vitis
  schedules the real design: this is da4ml's depth, not HLS's;
- FF: da4ml does not model HLS registers, so FF is edgenn's analytic count (layer outputs registered once per cycle
  of latency) and is labelled ``analytic``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from edgenn.estimates.resources import LATENCY_NS_NOTE, Estimate, Figure, ResourceReport

METHOD = "da4ml"
NS_PER_ADDER_LEVEL = 1.0
# Layers that only route values (transpose, concatenation, reshape): wires in the synthesised design, no LUTs.
WIRING = ("Transpose", "Concatenate", "Reshape")
_DEPTH = re.compile(r"//\s*(\d+(?:\.\d+)?)\s*$", re.MULTILINE)


def kernel_depth(code: str) -> int:
    """Largest adder depth printed in a da4ml kernel's C++ (``print_latency=True``), 0 if none."""
    depths = [float(m) for m in _DEPTH.findall(code)]
    return int(math.ceil(max(depths))) if depths else 0


def _width(var: Any) -> int:
    return int(getattr(var.type.precision, "width", 0) or 0)


def _layer_estimate(layer: Any, clock_ns: float, levels: int, in_width: int) -> Estimate | None:
    out = layer.get_output_variable()
    n_out = int(math.prod(int(s) for s in out.shape))
    cost = layer.attributes.get("da_kernel_cost")
    if layer.class_name in ("Input", *WIRING):
        return None
    if layer.class_name == "Softmax" or str(layer.get_attr("activation", "")).lower() == "softmax":
        # table-based in every strategy: the analytic model's softmax (BRAM tables, DSPs), labelled analytic
        from edgenn.estimates.analytic import estimate_layer
        from edgenn.estimates.resources import LayerSpec

        table = layer.types.get("exp_table_t") if hasattr(layer, "types") else None
        spec = LayerSpec(layer.name, "softmax", n_out, n_out, input_width=in_width, result_width=_width(out),
                         accum_width=int(table.precision.width) if table is not None else 18)
        return estimate_layer(spec, clock_ns)
    partitions = 1
    if cost is not None:
        source = layer.attributes.get("da_codegen")
        depth = kernel_depth(getattr(source, "code", str(source or "")))
        partitions = int(layer.attributes.get("n_partitions") or 1)
        # hls4ml's da_kernel_cost is one kernel instance; the conv template runs P / n_partitions of them side by side
        copies = max(1, math.prod(int(s) for s in out.shape[:-1]) // partitions) if len(out.shape) > 1 else 1
        cycles = math.ceil(depth / levels) + partitions
        lut = Figure(float(cost) * copies, "count", METHOD,
                     f"da4ml adder-bit cost of the kernel x {copies} parallel cop{'y' if copies == 1 else 'ies'}")
    else:
        depth, cycles = 0, 0
        lut = Figure(float(n_out * _width(out)), "count", "analytic", "one LUT per output bit (cast/ReLU)")
    ff = Figure(float(n_out * _width(out) * max(cycles, 0)), "count", "analytic",
                "layer outputs registered once per latency cycle; da4ml does not model HLS registers")
    return Estimate(
        name=layer.name, lut=lut, ff=ff,
        dsp=Figure(0.0, "count", METHOD, "shift-and-add kernels: no multipliers"),
        bram=Figure(0.0, "count", METHOD, "no tables"),
        latency_cycles=Figure(cycles, "cycles", METHOD, f"adder depth {depth}"),
        ii_cycles=Figure(partitions, "cycles", METHOD),
        latency_ns=Figure(cycles * clock_ns, "ns", METHOD, LATENCY_NS_NOTE),
    )


def _sum(layers: list[Estimate], key: str) -> Figure:
    """Total of one figure; its method is da4ml unless a layer (softmax) used the analytic model."""
    figs = [getattr(e, key) for e in layers]
    methods = sorted({f.method for f in figs})
    return Figure(sum(f.value for f in figs), figs[0].unit, METHOD if methods == [METHOD] else "analytic",
                  "" if methods == [METHOD] else "includes analytic softmax tables")


def estimate_da(hls_model: Any) -> ResourceReport:
    """Per-layer and total figures of a converted hls4ml DA model (no compile needed)."""
    clock = float(hls_model.config.get_config_value("ClockPeriod", 5))
    part = str(hls_model.config.get_config_value("Part", "") or "")
    levels = max(1, math.floor(clock / NS_PER_ADDER_LEVEL))
    layers, in_width = [], 0
    for layer in hls_model.get_layers():
        est = _layer_estimate(layer, clock, levels, in_width)
        in_width = _width(layer.get_output_variable())
        if est is not None:
            layers.append(est)
    n_kernels = sum(1 for e in layers if e.lut.method == METHOD)

    lut_total = sum(e.lut.value for e in layers)
    cycles = sum(int(e.latency_cycles.value) for e in layers)
    tot = Estimate(
        name="total",
        lut=Figure(lut_total, "count", METHOD, f"{n_kernels} da4ml kernel(s); casts and softmax analytic"),
        ff=Figure(sum(e.ff.value for e in layers), "count", "analytic", "analytic register count"),
        dsp=_sum(layers, "dsp"), bram=_sum(layers, "bram"),
        latency_cycles=Figure(cycles, "cycles", METHOD, "da4ml adder depth at 1 ns per level"),
        ii_cycles=Figure(max((int(e.ii_cycles.value) for e in layers), default=1), "cycles", METHOD),
        latency_ns=Figure(cycles * clock, "ns", METHOD, LATENCY_NS_NOTE),
    )
    assumptions = (
        "distributed_arithmetic: LUT from da4ml's per-kernel cost (hls4ml da_kernel_cost), DSP/BRAM 0 by construction",
        f"latency: ceil(adder depth / {levels}) + 1 cycles per kernel ({NS_PER_ADDER_LEVEL:g} ns per adder level); "
        "Vitis schedules the real design",
        "FF is edgenn's analytic register count (method 'analytic'): da4ml has no register model for HLS designs",
    )
    return ResourceReport(tuple(layers), tot, clock, part, method=METHOD, assumptions=assumptions)
