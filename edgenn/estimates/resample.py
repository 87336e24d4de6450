"""hls4ml 1.3's nearest-neighbour UpSampling2D (its ``Resize`` layer) in io_stream: ``resize_nearest`` in
``nnet_image_stream.h``, one dataflow process.

The template loops over the input rows, pipelined: an iteration reads one row of ``width`` pixels into a row buffer
(``data_in_row``, unrolled, so registers of width x channels x bits) and writes it out ratio_h x ratio_w times,
one output pixel per stream write. The writes serialize on the output FIFO, so a row takes its output pixels in
cycles and the process takes every output pixel once plus the pipeline's entry and exit (`PIPELINE_STATES`). The
FIFO port is driven from a different buffered pixel every cycle: a ``width``:1 multiplexer on every output bit
(LUT6 = 4:1, MUXF7/F8 combine up to 16:1). The loop's counters and handshakes are the control an element-wise
looping process carries (`edgenn.estimates.streams`, counted there).

Checked per csynth instance on ChiRuiChen/AutoEncoder_hls4ml (Vivado HLS 2019.2.1, 32-bit data, 4x4 -> 8x8,
8x8 -> 16x16 with 4 channels, 16x16 -> 32x32 with 8): latency 66 / 258 / 1,026 = output pixels + 2, all three exact;
FF 541 / 1,071 / 4,177 against row buffers of 512 / 1,024 / 4,096 bits; LUT 435 / 622 / 1,492 against
multiplexers of 128 / 256 / 1,024 plus the element-wise control row (255): -12 / -18 / -14 %. That design stays a
lower bound (its io_stream ZeroPadding is not modelled, `edgenn.estimates.padding`).

io_parallel (``nnet_image.h``: fully unrolled copies with constant indices) would be wiring, but no corpus design
checks it, so an io_parallel UpSampling stays unmodelled and its design total a lower bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from edgenn.estimates.hls_layers import HlsLayerContext, register_hls_layer
from edgenn.estimates.layer_models import register_layer_model
from edgenn.estimates.resources import Estimate, LayerSpec

PIPELINE_STATES = 2   # the row loop's entry and exit: latency = output pixels + 2 in all three instances
MUX_INPUTS_PER_LUT = 4  # a LUT6 is a 4:1 multiplexer; MUXF7 / MUXF8 join two / four of them without LUTs
MUXF_JOIN = 4


@dataclass(frozen=True)
class ResizeLayerSpec(LayerSpec):
    """A nearest-neighbour resize (``kind='upsample'``): ``n_in`` / ``n_out`` input / output elements."""

    io_type: str = "io_stream"
    in_pixels: int = 1
    out_pixels: int = 1
    in_width: int = 1
    n_chan: int = 1


def mux_luts(inputs: int) -> int:
    """LUT6s of an ``inputs``:1 multiplexer of one bit: 4:1 per LUT6, up to four of them joined by MUXF7/F8 for
    free, a further level of LUT multiplexers above 16 inputs."""
    if inputs <= 1:
        return 0
    first = math.ceil(inputs / MUX_INPUTS_PER_LUT)
    return first + (mux_luts(math.ceil(first / MUXF_JOIN)) if first > MUXF_JOIN else 0)


@register_layer_model("upsample")
def upsample_estimate(layer: ResizeLayerSpec, clock_ns: float, k) -> Estimate:
    pixel_bits = layer.n_chan * layer.result_width
    latency = layer.out_pixels + PIPELINE_STATES
    return Estimate.build(layer.name, lut=mux_luts(layer.in_width) * pixel_bits, ff=layer.in_width * pixel_bits,
                          dsp=0, bram=0, latency_cycles=latency, ii_cycles=latency, clock_period_ns=clock_ns,
                          notes=(f"row buffer of {layer.in_width} pixels x {pixel_bits} bits, one output pixel "
                                 f"per cycle ({layer.out_pixels})",))


def _nearest_stream(layer, context: HlsLayerContext) -> bool:
    return context.io_type == "io_stream" and str(layer.get_attr("algorithm", "nearest")) == "nearest"


@register_hls_layer("Resize", when=_nearest_stream)
def read_resize(layer, context: HlsLayerContext) -> LayerSpec:
    attr = layer.get_attr
    height, width = int(attr("in_height", 1) or 1), int(attr("in_width"))
    out_pixels = int(attr("out_height", 1) or 1) * int(attr("out_width"))
    n_chan = int(attr("n_chan"))
    return ResizeLayerSpec(layer.name, "upsample", height * width * n_chan, out_pixels * n_chan,
                           input_width=context.in_width, result_width=context.out_width, io_type=context.io_type,
                           in_pixels=height * width, out_pixels=out_pixels, in_width=width, n_chan=n_chan)
