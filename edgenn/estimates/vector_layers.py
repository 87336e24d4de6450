"""Analytic figures of hls4ml 1.3's Dot, Embedding and LayerNormalization layers, io_parallel (method "analytic").

No design in the synthesis corpus has one of these layers, so nothing here is fitted: each model counts what the
template computes with the Dense model's own rules (constant adders and multipliers, the DSP thresholds, adder-tree
depth) and says so in its notes, with an interval on the layer's figures where the template leaves the schedule to
HLS. Before these models a design holding one of them had its whole total labelled a lower bound.

* **Dot** (``nnet_merge.h`` ``dot1d``): n products of two *variables* (no constant to shift-add), summed in
  ``accum_t``. A product goes to a DSP when both operands are wide (the merge multiply rule: >= 9 and >= 10 bits),
  else an array multiplier of about ``a * (a + b) / 2`` adder bits; then ``n - 1`` adders of the accumulator width.
* **Embedding** (``nnet_embed.h``): ``res[j*d + i] = embeddings[data[j]*d + i]`` for n indices and d outputs each,
  from a table of V x d constants. The template leaves the table unpartitioned (its comment: partitioning would build
  a large multiplexer), so the table is a ROM: a LUT ROM of ``ceil(V / 64)`` LUT6 per output bit and read port when
  its bits fit 64-deep LUTs well (V*d*w <= 18 Kb, where HLS keeps small ROMs in LUTs), else BRAM copies. What is not
  known without a report is how many read ports HLS builds: fully partitioned (II 1, n*d read ports of LUT ROM) is
  the point estimate, because hls4ml pipelines the top function at II 1 and HLS partitions the small tables of the
  zoo's models; a two-port ROM would instead give II ceil(n*d / 2). The layer's II figure carries both as its
  interval.
* **LayerNormalization** (``nnet_layernorm.h``): one row of ``dim`` features per iteration of a pipelined loop over
  ``seq_len`` rows (II 1 each, so II seq_len; if HLS unrolls the loop into the top function's pipeline instead, II 1
  with every row's hardware: the II, DSP and LUT figures carry that range as their interval). Per row: the sum and the mean (a product by 1/dim), the
  differences and their squares (dim variable products), the variance (a product), a 1/sqrt table read (BRAM
  copies as the table activations), then ``diff * inv * scale`` (two products per feature, ``inv`` variable, scale
  a constant) and the bias add. Variable products follow the DSP rule on the accumulator width.
"""

from __future__ import annotations

import math
from typing import Any

from edgenn.estimates.analytic import (
    BRAM18_BITS,
    DSP_MIN_INPUT_WIDTH,
    DSP_MIN_WEIGHT_WIDTH,
    ModelConstants,
    dsp_per_product,
)
from edgenn.estimates.hls_layers import HlsLayerContext, register_hls_layer
from edgenn.estimates.layer_models import register_layer_model
from edgenn.estimates.resources import Estimate, Figure, LayerSpec

NOT_FITTED = "modelled from the template with the Dense rules, not fitted (no corpus design has this layer)"
LUT6_ROM_DEPTH = 64  # entries of a one-bit ROM in one LUT6
LAYERNORM_TABLE_SIZE = 1024  # hls4ml's default table_size for the 1/sqrt table


def _tree_levels(terms: int) -> int:
    return math.ceil(math.log2(terms)) if terms > 1 else 0


def _variable_products(n: int, a: int, b: int, k: ModelConstants) -> tuple[int, float, float]:
    """(DSP, LUT, delay ns) of n products of an a-bit and a b-bit variable (the merge multiply rule)."""
    wide, narrow = max(a, b), min(a, b)
    if n == 0:
        return 0, 0.0, 0.0
    if narrow >= DSP_MIN_WEIGHT_WIDTH and wide >= DSP_MIN_INPUT_WIDTH:
        return n * dsp_per_product(wide, narrow, k.dsp_port_a_bits), 0.0, k.dsp_mult_ns
    return 0, k.lut_per_adder_bit * n * narrow * (wide + narrow) / 2.0, _tree_levels(narrow) * k.adder_level_ns


def _with_interval(est: Estimate, figure: str, low: float, high: float, note: str) -> Estimate:
    from dataclasses import replace

    fig: Figure = getattr(est, figure)
    return replace(est, **{figure: replace(fig, interval=(low, high), interval_note=note)})


@register_layer_model("dot")
def _dot(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    n, acc = layer.n_in, max(layer.accum_width, layer.result_width, 1)
    dsp, mult_lut, mult_ns = _variable_products(n, layer.input_width, layer.input2_width, k)
    lut = mult_lut + k.lut_per_adder_bit * max(0, n - 1) * acc
    depth_ns = mult_ns + _tree_levels(n) * k.adder_level_ns
    latency = math.floor(depth_ns / clock_ns)  # a small function: HLS chains it into the caller's pipeline
    est = Estimate.build(layer.name, lut=lut, ff=k.ff_per_register_bit * latency * acc, dsp=dsp, bram=0,
                         latency_cycles=latency, ii_cycles=1, clock_period_ns=clock_ns,
                         notes=(f"dot product of {n} pairs ({'DSP' if dsp else 'LUT'} products)", NOT_FITTED))
    # without a fit, the Dense model's own spread (it misses single LUT designs by up to about a factor 2)
    return _with_interval(est, "lut", lut / 2.0, lut * 2.0, "factor-2 interval: " + NOT_FITTED)


@register_layer_model("embedding")
def _embedding(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    vocab, indices, d, w = max(layer.table_size, 1), layer.n_in, max(layer.n_out // max(layer.n_in, 1), 1), \
        max(layer.weight_width, 1)
    reads = indices * d
    table_bits = vocab * d * w
    if table_bits <= BRAM18_BITS:
        lut = reads * w * math.ceil(vocab / LUT6_ROM_DEPTH)  # a distributed ROM per read port
        bram = 0
        where = f"LUT ROM, {reads} read ports of {w} bits over {vocab} entries"
    else:
        lut = 0.0
        bram = math.ceil(reads / 2) * math.ceil(table_bits / BRAM18_BITS)
        where = f"BRAM ROM, {math.ceil(reads / 2)} two-port copies of {table_bits} bits"
    est = Estimate.build(layer.name, lut=lut, ff=reads * w, dsp=0, bram=bram, latency_cycles=1, ii_cycles=1,
                         clock_period_ns=clock_ns, notes=(f"embedding: {where}", NOT_FITTED))
    port_limited = math.ceil(reads / 2)
    est = _with_interval(est, "ii_cycles", 1, port_limited,
                         f"1 if HLS partitions the table, {port_limited} if it keeps one two-port ROM")
    return _with_interval(est, "lut", lut / 4.0, lut * 2.0 if lut else 0.0,
                          "constant bits shared across entries shrink a LUT ROM: " + NOT_FITTED)


@register_layer_model("layernorm")
def _layernorm(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    dim = max(layer.n_out, 1)  # features per row (LayerSpec.n_out here); n_in = rows * dim elements
    rows = max(layer.n_in // dim, 1)
    acc, table_w = max(layer.accum_width, 1), max(layer.weight_width, 1)
    parts = (_variable_products(dim, acc, acc, k),      # the squared differences
             _variable_products(2, acc, acc, k),        # mean = sum * (1/dim), var = sum2 * (1/dim)
             _variable_products(dim, acc, table_w, k),  # diff * 1/sqrt(var)
             _variable_products(dim, acc, acc, k))      # ... * scale (hls4ml multiplies in accum_t)
    dsp = sum(p[0] for p in parts)
    adders = 4 * dim * acc  # sum, differences, sum of squares, bias
    lut = k.lut_per_adder_bit * adders + sum(p[1] for p in parts) + k.table_lut_per_input_bit * acc
    bram = math.ceil((layer.table_size or LAYERNORM_TABLE_SIZE) * table_w / BRAM18_BITS)
    depth_ns = (2 * _tree_levels(dim) + 2) * k.adder_level_ns + parts[0][2] + 2 * parts[1][2] + parts[2][2] \
        + parts[3][2]
    depth = math.ceil(depth_ns / clock_ns) + k.bram_read_cycles
    est = Estimate.build(layer.name, lut=lut, ff=k.ff_per_register_bit * depth * dim * acc, dsp=dsp, bram=bram,
                         latency_cycles=rows + depth, ii_cycles=rows, clock_period_ns=clock_ns,
                         notes=(f"layer norm: {rows} rows of {dim} features, one row per cycle (the template's "
                                f"pipelined row loop); {dsp} DSP per row", NOT_FITTED))
    # if HLS unrolls the row loop into the top function's pipeline instead, every row gets its own hardware
    unrolled = f"1 row ({rows} cycles) to {rows} rows in parallel (1 cycle), as HLS schedules the row loop"
    est = _with_interval(est, "ii_cycles", 1, rows, unrolled)
    est = _with_interval(est, "dsp", dsp, dsp * rows, unrolled)
    return _with_interval(est, "lut", lut / 2.0, lut * 2.0 * rows, "factor 2 around one row, up to every row: "
                          + NOT_FITTED)


# ------------------------------------------------------------------------------------- from hls4ml ModelGraph nodes
def _precision_width(layer: Any, name: str, default: int) -> int:
    t = layer.types.get(name) if hasattr(layer, "types") else None
    return int(getattr(t.precision, "width", default) or default) if t is not None else default


def _parallel(layer: Any, context: HlsLayerContext) -> bool:
    return context.io_type == "io_parallel"


@register_hls_layer("Dot", when=_parallel)
def read_dot(layer: Any, context: HlsLayerContext) -> LayerSpec:
    a = context.in_widths[0] if context.in_widths else context.in_width
    b = context.in_widths[1] if len(context.in_widths) > 1 else a
    n = int(layer.get_input_variable(layer.inputs[0]).size())
    return LayerSpec(layer.name, "dot", n, 1, input_width=a, input2_width=b,
                     accum_width=_precision_width(layer, "accum_t", context.out_width), result_width=context.out_width)


@register_hls_layer("Embedding", when=_parallel)
def read_embedding(layer: Any, context: HlsLayerContext) -> LayerSpec:
    n_in, d = int(layer.get_attr("n_in")), int(layer.get_attr("n_out"))
    w = _precision_width(layer, "embeddings_t", 16)
    return LayerSpec(layer.name, "embedding", n_in, n_in * d, weight_width=w, input_width=context.in_width,
                     result_width=context.out_width, table_size=int(layer.get_attr("vocab_size")))


@register_hls_layer("LayerNormalization", when=_parallel)
def read_layernorm(layer: Any, context: HlsLayerContext) -> LayerSpec:
    n_in, rows = int(layer.get_attr("n_in")), int(layer.get_attr("seq_len", 1) or 1)
    return LayerSpec(layer.name, "layernorm", n_in, max(n_in // rows, 1),
                     weight_width=_precision_width(layer, "table_t", 16), input_width=context.in_width,
                     accum_width=_precision_width(layer, "accum_t", 16), result_width=context.out_width,
                     table_size=int(layer.get_attr("table_size", LAYERNORM_TABLE_SIZE) or LAYERNORM_TABLE_SIZE))
