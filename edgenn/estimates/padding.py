"""hls4ml 1.3's ZeroPadding1D / ZeroPadding2D in io_parallel: the padded array is the input's values and constant
zeros, so the layer is wiring (``reshape`` kind, no cost), as the template's copy loops are.

io_stream padding (``zeropad1d_cl`` / ``zeropad2d_cl``, a dataflow process writing every output pixel once) is not
modelled yet, so a streamed total over it stays a lower bound. csynth has it per instance (19 instances, Vivado HLS
2019.2 / 2020.1: 105-469 LUT, 11-37 FF, output pixels + 1 to + 5 cycles), but the corpus designs that would become
point estimates with it (Berk-Bilgin/ML-fpga's Conv1D encoders) are dominated by a Resource-strategy Dense at RF 2-3
whose 146k LUT (285 per shared multiplier) the Dense model puts at about 28k: modelling the padding alone would
hide that behind a plausible number.
"""

from __future__ import annotations

from edgenn.estimates.hls_layers import HlsLayerContext, register_hls_layer
from edgenn.estimates.resources import LayerSpec


@register_hls_layer("ZeroPadding1D", "ZeroPadding2D", when=lambda layer, context: context.io_type == "io_parallel")
def read_zero_padding(layer, context: HlsLayerContext) -> LayerSpec:
    return LayerSpec(layer.name, "reshape", context.n_out, context.n_out, result_width=context.out_width)
