"""Analytic figures of hls4ml 1.3's element-wise layers, io_parallel (method label "analytic").

These layers are what kept the Deep Sets, interaction-network and VAE totals "lower bounds": merges (``Merge``:
add, subtract, multiply, average, maximum, minimum), standalone ``BatchNormalization`` (not folded into a Dense),
and the ``linear`` Activation hls4ml emits for a QKeras ``quantized_bits`` activation (a re-quantizing cast).
Transpose and Concatenate only move values (``reshape`` kind, wiring); global and 1D pooling are pooling windows
handled by `edgenn.estimates.conv` (``pool2d`` kind with a height-1 window).

What each costs, from the templates (``nnet_merge.h``, ``nnet_batchnorm.h``, ``nnet_activation.h``):

* add / subtract / average: one adder of the output width per element (average: the 0.5 is a shift).
* maximum / minimum: a comparator and a multiplexer per element, costed like a max-pooling window element
  (``compare_lut_per_bit``, fitted on hls4ml's MaxPooling baselines).
* multiply: a product of two variables per element. Both operands wide (>= 9 and >= 11 bits, the thresholds the
  Dense model uses for a shared multiplier) -> a DSP; else a LUT array multiplier of about ``w * (x + w) / 2``
  adder bits. No corpus design has a Multiply merge: this is the Dense model's multiplier rule, not a fit.
* BatchNormalization: ``data * scale + bias`` per element with constant scale: the Dense model applied to a
  diagonal weight matrix (the same CSD/DSP decision per constant, one adder per element).
* linear cast: rounding and saturation logic per input bit, costed like a ReLU (``relu_lut_per_bit``).

Latency: an element-wise step is one level of logic; HLS chains it into the neighbouring stage (as it does a ReLU)
unless a DSP multiplier is used, which it registers (one cycle).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from edgenn.estimates.analytic import (
    DSP_MIN_INPUT_WIDTH,
    DSP_MIN_WEIGHT_WIDTH,
    ModelConstants,
    dense_layer_estimate,
    csd_histogram,
    dsp_per_product,
    weight_statistics,
)
from edgenn.estimates.from_hls import quantize
from edgenn.estimates.hls_layers import HlsLayerContext, register_hls_layer
from edgenn.estimates.layer_models import register_layer_model
from edgenn.estimates.resources import Estimate, LayerSpec

MERGE_OPS = ("add", "subtract", "multiply", "average", "maximum", "minimum")


@register_layer_model("merge")
def _merge(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    n, out_w = layer.n_out, max(layer.result_width, 1)
    dsp, latency, note = 0, 0, f"{n} element-wise {layer.op}"
    if layer.op == "multiply":
        a, b = max(layer.input_width, layer.input2_width), min(layer.input_width, layer.input2_width)
        if b >= DSP_MIN_WEIGHT_WIDTH and a >= DSP_MIN_INPUT_WIDTH:
            dsp, lut, latency = n * dsp_per_product(a, b, k.dsp_port_a_bits), 0.0, 1
            note += " on DSPs"
        else:
            lut = k.lut_per_adder_bit * n * b * (a + b) / 2.0  # array multiplier, as a shared Dense multiplier
            note += " in LUTs"
    elif layer.op in ("maximum", "minimum"):
        lut = k.compare_lut_per_bit * n * out_w
    else:
        lut = k.lut_per_adder_bit * n * out_w
    return Estimate.build(layer.name, lut=lut, ff=0, dsp=dsp, bram=0, latency_cycles=latency, ii_cycles=1,
                          clock_period_ns=clock_ns, notes=(note,))


@register_layer_model("batchnorm")
def _batchnorm(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    est = dense_layer_estimate(replace(layer, kind="dense"), clock_ns, k)
    return Estimate.build(layer.name, lut=est.lut.value, ff=est.ff.value, dsp=est.dsp.value, bram=0,
                          latency_cycles=int(est.latency_cycles.value), ii_cycles=int(est.ii_cycles.value),
                          clock_period_ns=clock_ns, notes=("scale and shift per element (diagonal Dense)",
                                                           *est.notes))


@register_layer_model("cast")
def _cast(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    width = layer.input_width or layer.result_width
    return Estimate.build(layer.name, lut=k.relu_lut_per_bit * layer.n_in * width, ff=0, dsp=0, bram=0,
                          latency_cycles=0, ii_cycles=1, clock_period_ns=clock_ns,
                          notes=("re-quantizing cast (rounding/saturation)",))


# ------------------------------------------------------------------------------------- from hls4ml ModelGraph nodes

def merge_spec_from_hls(layer: Any, in_widths: list[int], out_width: int, n_out: int) -> LayerSpec:
    op = str(layer.get_attr("op", "")).lower()
    if op not in MERGE_OPS:
        return LayerSpec(layer.name, "other", n_out, n_out, result_width=out_width)
    a = in_widths[0] if in_widths else out_width
    b = in_widths[1] if len(in_widths) > 1 else a
    return LayerSpec(layer.name, "merge", n_out, n_out, input_width=a, input2_width=b, result_width=out_width,
                     op=op)


def batchnorm_spec_from_hls(layer: Any, in_width: int, out_width: int, n_out: int, quantize) -> LayerSpec:
    """``data * scale + bias`` as a diagonal Dense: n_in = n_out = n elements, the scales as its weights."""
    scale = layer.get_weights("scale")
    prec = scale.type.precision
    w_width = int(getattr(prec, "width", 16) or 16)
    signed = bool(getattr(prec, "signed", True))
    codes = quantize(np.asarray(scale.data).ravel(), prec)
    nonzero, pow2, hist, lut_digits = weight_statistics(codes, signed)
    n = int(codes.size)
    if n != n_out:  # per-channel scale broadcast over pixels: every element has its own product
        reps = math.ceil(n_out / max(n, 1))
        codes = np.tile(codes, reps)[:n_out]
        nonzero, pow2, hist, lut_digits = weight_statistics(codes, signed)
    return LayerSpec(layer.name, "batchnorm", n_out, n_out, weight_width=w_width, weight_signed=signed,
                     input_width=in_width or out_width, accum_width=out_width, result_width=out_width,
                     num_nonzero_weights=nonzero, reuse_factor=int(layer.get_attr("reuse_factor", 1)),
                     num_power_of_two_weights=pow2, mult_sig_bits_hist=hist, lut_mult_csd_digits=lut_digits,
                     csd_digits_hist=csd_histogram(codes))


def _parallel(layer: Any, context: HlsLayerContext) -> bool:
    return context.io_type == "io_parallel"


@register_hls_layer("Merge", when=_parallel)
def read_merge(layer: Any, context: HlsLayerContext) -> LayerSpec:
    return merge_spec_from_hls(layer, list(context.in_widths), context.out_width, context.n_out)


@register_hls_layer("BatchNormalization")
def read_batchnorm(layer: Any, context: HlsLayerContext) -> LayerSpec:
    # io_stream: one pixel's channels per cycle (n_par), as the stream activations; io_parallel: every element
    return batchnorm_spec_from_hls(layer, context.in_width, context.out_width, context.n_par, quantize)
