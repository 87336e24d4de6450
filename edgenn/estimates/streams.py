"""The FIFOs between the layers of an hls4ml io_stream design (dataflow), as one extra row of the estimate.

Every layer writes its output to an ``hls::stream`` whose element is one pixel (or one vector): the last dimension
times the output width; the top's input stream is one more. At hls4ml's default depth these FIFOs hold one element.
Where they land depends on the tool generation (hls4ml CI baselines, Dense(64) + activation, io_stream, 5 ns):
- Vitis HLS: registers. FF = the element bits of every stream (input 16 + 2 x 1024 = 2,064 FF in Vitis HLS 2023.1
  and 2024.1, exactly), plus about ``fifo_lut_per_bit_vitis`` LUTs per bit of control and multiplexing.
- Vivado HLS: shift-register LUTs (SRL). About ``fifo_lut_per_bit_vivado`` LUTs per bit, few FF.
The two per-bit constants are fitted on those baselines (the relu / leaky_relu / prelu io_stream designs less their
io_parallel twins), nothing else.

A process that loops over several stream elements (a convolution or pooling over an image's pixels, a Dense reading
a flattened feature map pixel by pixel, an activation over a feature map) also carries the loop's control: pixel
counters and their compares, the FIFO handshakes of every iteration, the line buffer's and window's shift enables,
the conditional call of the kernel. csynth charges it to the layer's own instance, beyond its datapath: per looping
instance, real LUT less the modelled datapath is a median 1,134 LUT for convolution / pooling / Dense / softmax
processes (57 instances; 1,090 in pominiq's 7 CNNs, 1,189 in PokerML's 4) and 255 LUT for element-wise activations
(20 instances; 185 and 397), Vivado HLS 2019.2 / 2020.1. A process that handles one element (a 1-D network: hls4ml's
CI io_stream baselines) has no such loop; those designs are within a few hundred LUT without it.
"""

from __future__ import annotations

from typing import Any

from edgenn.estimates.resources import DesignSpec, Estimate
from edgenn.estimates.stream_schedule import stream_elements


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


LOOP_KINDS = ("conv2d", "pool2d", "dense", "softmax", "table", "merge", "batchnorm")
ELEMENTWISE_KINDS = ("relu", "cast", "param_relu", "upsample")  # upsample: a copy loop (estimates.resample)


def looping_processes(design: DesignSpec) -> tuple[list[str], list[str]]:
    """(compute, element-wise) layer names of an io_stream design whose input stream carries more than one element.
    The element count follows the graph (`stream_schedule.stream_elements`)."""
    elements = stream_elements(design)
    looping = [layer for layer in design.layers if layer.kind != "input" and elements.get(layer.name, 1) > 1]
    return ([layer.name for layer in looping if layer.kind in LOOP_KINDS],
            [layer.name for layer in looping if layer.kind in ELEMENTWISE_KINDS])


def loop_control_estimate(design: DesignSpec, k: Any) -> Estimate | None:
    """The control logic of the looping dataflow processes (module docstring), as one row of the estimate."""
    if design.io_type != "io_stream":
        return None
    compute, elementwise = looping_processes(design)
    if not compute and not elementwise:
        return None
    lut = k.stream_loop_control_lut * len(compute) + k.stream_elementwise_control_lut * len(elementwise)
    return Estimate.build("stream_control", lut=lut, ff=0, dsp=0, bram=0, latency_cycles=0, ii_cycles=1,
                          clock_period_ns=design.clock_period_ns,
                          notes=(f"loop control of {len(compute)} compute and {len(elementwise)} element-wise "
                                 "processes that iterate over stream elements",))
