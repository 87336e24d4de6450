"""The FIFOs between the layers of an hls4ml io_stream design (dataflow), as one extra row of the estimate.

Every layer writes its output to an ``hls::stream`` whose element is one pixel (or one vector): the last dimension
times the output width; the top's input stream is one more. At hls4ml's default depth these FIFOs hold one element.
Where they land depends on the tool generation (hls4ml CI baselines, Dense(64) + activation, io_stream, 5 ns):
- Vitis HLS: registers. FF = the element bits of every stream (input 16 + 2 x 1024 = 2,064 FF in Vitis HLS 2023.1
  and 2024.1, exactly), plus about ``fifo_lut_per_bit_vitis`` LUTs per bit of control and multiplexing.
- Vivado HLS: shift-register LUTs (SRL). About ``fifo_lut_per_bit_vivado`` LUTs per bit, few FF.
The two per-bit constants are fitted on those baselines (the relu / leaky_relu / prelu io_stream designs less their
io_parallel twins), nothing else.
"""

from __future__ import annotations

from typing import Any

from edgenn.estimates.resources import DesignSpec, Estimate


def fifo_estimate(design: DesignSpec, k: Any) -> Estimate | None:
    """``k``: the estimator's ``analytic.ModelConstants`` (not imported: analytic imports this module)."""
    bits = sum(layer.stream_bits for layer in design.layers)
    if design.io_type != "io_stream" or bits == 0:
        return None
    if design.tool == "Vivado":
        lut, ff, where = k.fifo_lut_per_bit_vivado * bits, 0.0, "shift-register LUTs (Vivado HLS)"
    else:
        lut, ff, where = k.fifo_lut_per_bit_vitis * bits, float(bits), "registers (Vitis HLS)"
    return Estimate.build("stream_fifos", lut=lut, ff=ff, dsp=0, bram=0, latency_cycles=0, ii_cycles=1,
                          clock_period_ns=design.clock_period_ns,
                          notes=(f"{bits} bits of depth-1 FIFOs between layers, in {where}",))
