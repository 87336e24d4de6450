"""Firmware types for hls4ml's GarNet layer (``hls4ml.contrib.garnet.GarNet``) and the refusal of its other variants.

The GarNet firmware cannot equal the float Keras layer (exp(-d^2) comes from a table on a 12-bit distance, weights are
rounded to 10 fraction bits), so "exact" here means: the C simulation equals edgenn's numpy model of the firmware
(``exporters.garnet_reference``), which ``exporters.csim`` uses as the reference for this layer. The types edgenn
chooses (hls4ml's own defaults are in brackets) make everything after the table and the data_t(x * w) cast exact:

* ``edge_weight_t`` ap_ufixed<10,0,AP_TRN,AP_SAT> [same]: the table's resolution, as hls4ml tuned it.
* ``edge_weight_aggr_t`` ap_ufixed<2 log2 N + 10, log2 N> [log2 N + 10 bits]: the per-block sums of up to N weights
  and their shifts by log2 N in total lose nothing, so the mean weight is floor(sum / N) at 10 bits for any reuse
  factor.
* ``aggr_t`` signed, log2 N more fraction bits than the data type (at least 10) [10 fraction bits, 3 integer bits of
  "safety factor"]: the weighted feature sums and their shifts are exact; integer bits from the bound
  max(N |x|, |B| + |x| sum |W|, N |Fout_b|), so nothing saturates.
* result type: 10 + aggr fraction bits, the exact width of wbar * aggr, and integer bits from the output bound: the
  accumulation is exact, and the QKeras quantizer after the layer ('garnet_quant') does the only rounding.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgenn.exporters.fixed_point import FixedPoint, smallest_holding
from edgenn.exporters.garnet_reference import WEIGHT_FRACTION_BITS, GarNetTypes, firmware_weights, garnet_firmware
from edgenn.exporters.precision_rules import Context, Tensor, unsupported
from edgenn.exporters.precision_types import LayerPrecision
from edgenn.exporters.precision_rules import merge_rule
from edgenn.exporters.software_model import register_software_model

EDGE_WEIGHT_T = FixedPoint(10, 0, False, "TRN", "SAT")
NORM_T = FixedPoint(14, 4, False, "TRN", "SAT")  # used only with mean_by_nvert, which edgenn refuses
MAX_REFERENCE_BITS = 53  # float64 holds every product and sum of the numpy reference exactly up to this width
GARNET_NOTE = ("GarNet: exp(-d^2) is a 4096-entry table on a 12-bit distance and the weights are rounded to 10 "
               "fraction bits, so the firmware is compared bit for bit with edgenn's numpy model of nnet_garnet.h "
               "(exporters/garnet_reference.py), not with the float Keras layer; the agreement with the float layer "
               "is reported separately")


def require_supported(layer: Any) -> None:
    """The one GarNet variant hls4ml 1.3 converts and edgenn models; UnsupportedModelError naming the rest."""
    cfg = layer.get_config()
    checks = [
        (type(layer).__name__ == "GarNet", "GarNetStack (several GarNet layers in one) is not modelled by edgenn",
         "use one GarNet layer (family 'garnet') followed by Dense layers"),
        (cfg.get("simplified") is True, "simplified=False does not convert (hls4ml supports simplified=True only)",
         "build GarNet(..., simplified=True)"),
        (cfg.get("output_activation") in (None, "linear"), f"output_activation={cfg.get('output_activation')!r} "
         "has no hls4ml implementation", "use output_activation=None and a QActivation after the layer"),
        (cfg.get("input_format") == "xn", f"input_format={cfg.get('input_format')!r} is not converted by hls4ml",
         "use input_format='xn' with an n_vertices input"),
        (cfg.get("collapse") == "mean", f"collapse={cfg.get('collapse')!r}: edgenn verifies the mean collapse only "
         "(hls4ml has no firmware for 'sum', and 'max'/None are not modelled)", "use collapse='mean'"),
        (not cfg.get("mean_by_nvert"), "mean_by_nvert=True divides by a table-free 1/n in norm_t, which edgenn "
         "does not model", "use mean_by_nvert=False (mean over the N padded slots)"),
        (not cfg.get("quantize_transforms"), "quantize_transforms=True quantizes the weights with quantized_bits in "
         "Keras but with a ternary quantizer in hls4ml's firmware", "use quantize_transforms=False"),
    ]
    for ok, why, fix in checks:
        if not ok:
            raise unsupported(layer, why + ".", fix=fix + ".")


def garnet_types(layer: Any, data: FixedPoint, num_vertices: int) -> tuple[GarNetTypes, np.ndarray]:
    """The types of the class docstring and the bound of |output| per output feature."""
    nw = int(round(math.log2(num_vertices)))
    if num_vertices < 2 or 2**nw != num_vertices:
        raise unsupported(layer, f"{num_vertices} vertices: the firmware's mean is a shift by log2 N, exact only "
                                  "for a power-of-two N.", fix="set data.num_constituents to 16 or 32.")
    w = firmware_weights(layer)
    x_max = max(abs(data.min), abs(data.max))
    abs_w, abs_b = np.abs(w.input_transform_weights), np.abs(w.input_transform_biases)
    aggr_bound = abs_b + x_max * abs_w.sum(axis=2)  # (n_out, n_aggr): |wbar B| + sum_i |wfm_i W_i|, wbar, |wfm| <= ...
    fout_b = np.abs(w.output_transform_biases)
    bound = max(num_vertices * x_max, float(aggr_bound.max()), num_vertices * float(fout_b.max(initial=0.0)))
    fraction = max(data.fraction + nw, WEIGHT_FRACTION_BITS)
    limit = math.ceil(bound) + 1.0
    aggr = smallest_holding(-limit, limit, fraction, signed=True).with_modes("TRN", "SAT")
    out_bound = fout_b + aggr_bound.sum(axis=1)  # |bias| + sum_a 1 * |aggr_a|, partial sums included
    r = math.ceil(float(out_bound.max())) + 1.0
    result = smallest_holding(-r, r, fraction + EDGE_WEIGHT_T.fraction, signed=True)
    types = GarNetTypes(data, EDGE_WEIGHT_T, FixedPoint(2 * nw + 10, nw, False, "TRN", "SAT"), aggr, result)
    widest = max(aggr.width + max(t.width for t in w.types.values()), result.width, data.width + 14)
    if widest > MAX_REFERENCE_BITS:
        raise unsupported(layer, f"the firmware model needs {widest}-bit values (> {MAX_REFERENCE_BITS}).",
                           fix="quantize the GarNet input to fewer fraction bits (compress.qat.input).")
    return types, out_bound


@merge_rule("GarNet", "GarNetStack")
def _garnet(layer: Any, ts: list[Tensor], ctx: Context) -> tuple[LayerPrecision, Tensor]:
    require_supported(layer)
    if len(ts) != 2 or ts[0].lo.ndim != 2:
        raise unsupported(layer, "expects inputs (x of shape (N, P), n_vertices).")
    t_x = ts[0]
    types, out_bound = garnet_types(layer, t_x.fp, int(t_x.lo.shape[0]))
    config_types = (("edge_weight", types.edge_weight), ("edge_weight_aggr", types.edge_weight_aggr),
                    ("aggr", types.aggr), ("norm", NORM_T))
    prec = LayerPrecision(layer.name, type(layer).__name__, types.result, exact=t_x.exact,
                          output_min=float(-out_bound.max()), output_max=float(out_bound.max()),
                          notes=(GARNET_NOTE,), config_types=config_types)
    return prec, Tensor(-out_bound, out_bound.copy(), types.result, t_x.exact)


def layer_types(layer: Any, precision: LayerPrecision, data: FixedPoint) -> GarNetTypes:
    """The GarNetTypes of an exported layer, read back from its LayerPrecision."""
    cfg = dict(precision.config_types)
    return GarNetTypes(data, cfg["edge_weight"], cfg["edge_weight_aggr"], cfg["aggr"], precision.result)


@register_software_model("GarNet")
def garnet_software_model(layer: Any, values: list[np.ndarray], input_types: list[FixedPoint], precision: LayerPrecision,
                          reuse_factor: int) -> np.ndarray:
    """GarNet's table-based firmware, bit for bit (``garnet_reference``), as the bit-exactness reference."""
    return garnet_firmware(layer, values[0], values[1], layer_types(layer, precision, input_types[0]), reuse_factor)
