"""Analytic figures of hls4ml 1.3's table and parametrised activations, io_parallel and io_stream.

* Table activations (sigmoid, tanh, ELU, SELU, softplus, softsign: ``nnet_activation.h``): each output computes a
  table index from its input (scale, offset, clamp) and reads a ``table_size``-entry ROM of ``table_t``. The ROM
  becomes BRAM; a BRAM has two read ports, so n parallel outputs need ``ceil(n / 2)`` copies of
  ``ceil(table_size * table_width / 18 Kb)`` RAMB18 (hls4ml's CI baselines: 64 outputs, 1024 x 18 bits -> 32
  BRAM18, in every tool version). Index logic: ``table_lut_per_input_bit`` LUTs per input bit, fitted on the
  baselines' sigmoid and ELU designs (the Dense in front subtracted by its LeakyReLU(alpha=1) twin, which HLS
  reduces to wiring). Latency: the index, then the registered ROM read.
* LeakyReLU / PReLU: ``x > 0 ? x : alpha * x`` with a constant alpha per element. HLS folds alpha = 1 to wiring
  and alpha = 0 to a ReLU; another alpha adds a constant multiplier of (CSD digits - 1) adders.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgenn.estimates.analytic import BRAM18_BITS, ModelConstants, csd_digits
from edgenn.estimates.from_hls import quantize
from edgenn.estimates.hls_layers import HlsLayerContext, register_hls_layer
from edgenn.estimates.layer_models import register_layer_model
from edgenn.estimates.resources import Estimate, LayerSpec

TABLE_ACTIVATIONS = ("sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "hard_tanh_table")


@register_layer_model("table")
def _table(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    n, x, table_w = layer.n_in, max(layer.input_width, 1), max(layer.weight_width, 1)
    table_size = max(layer.table_size, 1)
    bram = math.ceil(n / 2) * math.ceil(table_size * table_w / BRAM18_BITS)
    lut = k.table_lut_per_input_bit * n * x
    ff = n * (table_w + x)  # the index and the ROM output, registered around the BRAM read
    return Estimate.build(layer.name, lut=lut, ff=ff, dsp=0, bram=bram, latency_cycles=1 + k.bram_read_cycles,
                          ii_cycles=1, clock_period_ns=clock_ns,
                          notes=(f"{layer.op} table: {table_size} x {table_w} bits, {math.ceil(n / 2)} copies",))


@register_layer_model("param_relu")
def _param_relu(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    width = layer.input_width or layer.result_width
    selects = layer.num_nonzero_weights          # elements whose alpha is not 1 (alpha = 1 is wiring)
    mult_adders = layer.lut_mult_csd_digits or 0  # (digits - 1) adders summed over alphas that are not 0 or 2^k
    lut = k.relu_lut_per_bit * selects * width + k.lut_per_adder_bit * mult_adders * width
    return Estimate.build(layer.name, lut=lut, ff=0, dsp=0, bram=0, latency_cycles=0, ii_cycles=1,
                          clock_period_ns=clock_ns,
                          notes=(f"{layer.op}: {layer.n_in - selects} of {layer.n_in} elements have alpha 1 (wiring)",))


def table_spec_from_hls(layer: Any, name: str, in_width: int, out_width: int, n_par: int) -> LayerSpec:
    table = layer.types.get("table_t") if hasattr(layer, "types") else None
    table_w = int(table.precision.width) if table is not None else 18
    return LayerSpec(layer.name, "table", n_par, n_par, weight_width=table_w, input_width=in_width,
                     result_width=out_width, op=name, table_size=int(layer.get_attr("table_size", 1024) or 1024))


def param_relu_spec_from_hls(layer: Any, in_width: int, out_width: int, n_par: int, quantize) -> LayerSpec:
    """LeakyReLU (one alpha, ``activ_param``) or PReLU (one alpha per element, weight ``param``), quantized to
    ``param_t`` as the C++ would."""
    param_t = layer.types.get("param_t").precision
    if layer.class_name == "PReLU":
        alphas = np.asarray(layer.get_weights("param").data, dtype=np.float64).ravel()
    else:
        alphas = np.full(n_par, float(layer.get_attr("activ_param", 0.3)))
    codes = quantize(alphas, param_t)
    one = 1 << (int(param_t.width) - int(param_t.integer))
    codes = np.resize(codes, n_par)
    selects = int(np.count_nonzero(codes != one))
    adders = sum(max(0, csd_digits(int(c)) - 1) for c in codes if c not in (0, one))
    return LayerSpec(layer.name, "param_relu", n_par, n_par, input_width=in_width, result_width=out_width,
                     num_nonzero_weights=selects, lut_mult_csd_digits=adders, op=layer.class_name)


@register_hls_layer(when=lambda layer, context: context.kind_name in ("LeakyReLU", "PReLU"))
def read_param_relu(layer: Any, context: HlsLayerContext) -> LayerSpec:
    return param_relu_spec_from_hls(layer, context.in_width, context.out_width, context.n_par, quantize)


@register_hls_layer(when=lambda layer, context: context.activation in TABLE_ACTIVATIONS)
def read_table(layer: Any, context: HlsLayerContext) -> LayerSpec:
    return table_spec_from_hls(layer, context.activation, context.in_width, context.out_width, context.n_par)
