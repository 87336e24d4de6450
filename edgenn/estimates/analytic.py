"""Analytic latency/resource model of hls4ml io_parallel designs (Latency and Resource strategies).

The counting parts are exact (how many products need a multiplier after pruning, how reuse divides them, how many
BRAM18 a Resource-strategy weight ROM needs); the conversion of counts into LUT/FF uses a few constants fitted on
published Vivado/Vitis HLS reports (`edgenn.estimates.calibration`). Formulas and measured error: docs/estimates.md.

Rules taken from hls4ml 1.3 (installed source) and the Xilinx DSP48E2 data sheet:
- hls4ml's DSP heuristic (optimization/dsp_aware_pruning/objectives/vivado_objectives.py, VivadoDSPEstimator):
  a weight of width < 9 bits costs no DSP, otherwise one DSP per product / reuse factor. We apply it per weight to
  the width the constant really needs (odd mantissa + sign), because Vivado HLS folds constant weights.
- DSP48E2 multiplier: 27 x 18 signed; wider products cascade ceil(a/27) * ceil(b/18) slices.
- multiplier_limit = DIV_ROUNDUP(n_in*n_out, RF) - n_zeros/RF (backends/vivado/passes/core_templates.py).
- Resource strategy with RF > 1 puts weights in ROM_nP_BRAM (templates/vivado/nnet_utils/nnet_dense_resource.h),
  BRAM18 = ceil(n_weights * width / (RF * 36)) (vivado_objectives.py, VivadoMultiObjectiveEstimator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from edgenn.estimates.layer_models import layer_model, register_layer_model
from edgenn.estimates.resources import DesignSpec, Estimate, LayerSpec, ResourceReport
from edgenn.estimates.stream_schedule import dataflow_latency_cycles
from edgenn.estimates.streams import fifo_estimate, loop_control_estimate

DSP_MIN_WEIGHT_WIDTH = 9
# A constant product goes to a DSP when the constant has >= 3 non-zero CSD digits (2+ adders) and the input is wide:
# measured per layer on 12 Dense layers with 16-bit inputs (0-5 % DSP error); 6-bit inputs gave 0 DSP in csynth.
# 10-bit inputs too: the L1 jet tagger's pointwise convolutions on ap_fixed<10,3> inputs have 0 DSP in csynth with
# their 5 constants of >= 3 digits per position, so the switch lies between 11 and 16 bits (11 is the lower end, not a
# measured switch point; 10 was assumed before that report was rebuilt at its real parallelism). The rule holds for narrow weight
# types too (it is the constant's digits, not its type, that HLS looks at): QKeras 6-bit weights times 16-bit inputs
# put 23 / 95 / 25 / 14 constants on DSPs against 23 / 100 / 27 / 14 of >= 3 digits (PokerML's RF-1 CNN, per
# instance), 18-23 against 29 (the QKeras tutorial MLP's first layer). hls4ml's own heuristic (DSP_MIN_WEIGHT_WIDTH)
# is kept where the weights are unknown (declared width) and for variable (shared) products.
DSP_MIN_CSD_DIGITS = 3
DSP_MIN_INPUT_WIDTH = 11
RESOURCE_DSP_MIN_WEIGHT_WIDTH = 6  # variable (ROM) weights: the narrowest seen on DSPs in csynth (_dense_shared)
DSP_PORT_A_BITS = 27
DSP_PORT_B_BITS = 18
BRAM18_WIDTH_BITS = 36
BRAM18_DEPTH_AT_36 = 512
BRAM18_BITS = 18 * 1024
SOFTMAX_TABLE_SIZE = 1024
# HLS inlines a small layer function into the top pipeline (no call-boundary register). Seen inlined: Dense(1 -> 64)
# (64 products, 0 cycles); seen as its own pipelined call: the tutorial MLP's Dense(32 -> 5) and larger (160+). The
# threshold lies between; 128 is the middle, not a measured switch point.
INLINE_MAX_PRODUCTS = 128  # hls4ml default table_size for exp and 1/x tables
# cycles after the last shared-multiplier step of a streamed RF > 1 layer (the final adds and the output write), at
# clocks above 10 ns and at 10 ns or faster (pominiq's streamed CNNs at 25 and 10 ns; see _dense_latency_reuse)
STREAM_STEP_TAIL_SLOW = 2
STREAM_STEP_TAIL_FAST = 3


@dataclass(frozen=True)
class ModelConstants:
    """The few fitted numbers; defaults are the values `calibration.fit_constants()` returns (a test checks it)."""

    lut_per_adder_bit: float = 1.28       # LUTs per bit of every adder (adder tree and constant-multiplier adders)
    ff_per_register_bit: float = 3.9      # FFs per bit of a registered softmax/table/shared-multiplier stage
    ff_per_dsp_vivado: float = 4.91       # pipeline FFs per DSP of a Dense in Vivado HLS (csynth per instance)
    ff_per_dsp_vitis: float = 7.95        # the same in Vitis HLS, which schedules deeper
    relu_lut_per_bit: float = 1.75        # HLS csynth charges 28 LUTs per 16-bit ReLU output
    table_lut_per_input_bit: float = 6.9  # table activations: index logic per input bit (hls4ml CI baselines)
    compare_lut_per_bit: float = 2.29     # max/min: comparator + multiplexer per bit (hls4ml MaxPooling baselines)
    softmax_lut_per_table_bit: float = 7.8  # per input x table width
    adder_level_ns: float = 0.4           # delay of one adder level as scheduled by HLS (chains 6+ levels at 5 ns)
    compare_level_ns: float = 1.1         # comparator + multiplexer level (csynth clock estimate of MaxPooling)
    dsp_mult_ns: float = 2.0              # combinational DSP48E2 multiply as scheduled by HLS
    call_boundary_cycles: int = 1         # register HLS adds between non-inlined layer calls of the top pipeline
    softmax_internal_cycles: int = 4      # table read, sum, inverse table, multiply (4 and 5 in the two reports)
    bram_read_cycles: int = 1
    dsp_port_a_bits: int = DSP_PORT_A_BITS  # 27 on DSP48E2 (UltraScale and later), 25 on DSP48E1 (7-series)
    tool: str = ""                        # the design's HLS tool generation (DesignSpec.tool), set by estimate()
    io_type: str = "io_parallel"          # the design's io type, set by estimate()
    fifo_lut_per_bit_vitis: float = 0.55  # io_stream FIFOs (edgenn.estimates.streams)
    fifo_lut_per_bit_vivado: float = 1.7
    stream_loop_control_lut: float = 1134.0     # io_stream loop control per looping process (streams.py)
    stream_elementwise_control_lut: float = 255.0


DEFAULT_CONSTANTS = ModelConstants()


# ----------------------------------------------------------------------------------------------- weight arithmetic

def csd_digits(q: int) -> int:
    """Non-zero digits of the canonical signed-digit (non-adjacent) form of integer ``q``: the adders a
    constant multiplier built from shifts needs, plus one."""
    q = abs(int(q))
    digits = 0
    while q:
        if q & 1:
            digits += 1
            q -= 2 - (q & 3)  # choose digit +1 or -1 so that the next bit is zero
        q >>= 1
    return digits


def significant_bits(q: int) -> int:
    """Bits of the odd mantissa of ``q`` (|q| without trailing zeros): 0 for zero, 1 for +-2^k."""
    q = abs(int(q))
    if q == 0:
        return 0
    while q & 1 == 0:
        q >>= 1
    return q.bit_length()


def expected_csd_digits(magnitude_bits: int) -> float:
    """Mean CSD digit count of a random integer of ``magnitude_bits`` bits (about b/3 + 1/9)."""
    return max(1.0, magnitude_bits / 3.0 + 1.0 / 9.0)


def weight_statistics(codes: np.ndarray, signed: bool) -> tuple[int, int, tuple[int, ...], int]:
    """From integer weight codes: (non-zero count, +-2^k count, histogram of multiplier mantissa bits,
    CSD digits summed over the multiplier weights narrow enough for LUTs)."""
    flat = [int(v) for v in np.asarray(codes).ravel() if v != 0]
    sig = [significant_bits(v) for v in flat]
    mult = [(v, b) for v, b in zip(flat, sig) if b > 1]
    hist = [0] * (max((b for _, b in mult), default=0) + 1)
    for _, b in mult:
        hist[b] += 1
    sign = 1 if signed else 0
    lut_digits = sum(csd_digits(v) for v, b in mult if b + sign < DSP_MIN_WEIGHT_WIDTH)
    return len(flat), sig.count(1), tuple(hist), lut_digits


def csd_histogram(codes: np.ndarray) -> tuple[int, ...]:
    """[d] = weights whose integer code has d non-zero canonical-signed-digit digits (index 0: zeros)."""
    digits = [csd_digits(int(v)) for v in np.asarray(codes).ravel()]
    hist = [0] * (max(digits, default=0) + 1)
    for d in digits:
        hist[d] += 1
    return tuple(hist)


def csd_mantissa_bits(codes: np.ndarray) -> tuple[int, ...]:
    """[d] = odd-mantissa bits (`significant_bits`) summed over the weights with d non-zero CSD digits: a shift-add
    multiplier's adders span the input plus the weight's mantissa, not the weight type's full width."""
    pairs = [(csd_digits(int(v)), significant_bits(int(v))) for v in np.asarray(codes).ravel()]
    out = [0] * (max((d for d, _ in pairs), default=0) + 1)
    for d, bits in pairs:
        out[d] += bits
    return tuple(out)


def dsp_kind(part: str) -> str:
    """7-series parts (xc7...) have DSP48E1 (25 x 18 multiplier); UltraScale/UltraScale+/Versal parts DSP48E2 or
    later (27 x 18)."""
    return "DSP48E1" if part.lower().startswith("xc7") else "DSP48E2"


def dsp_per_product(a_bits: int, b_bits: int, port_a_bits: int = DSP_PORT_A_BITS) -> int:
    big, small = max(a_bits, b_bits), min(a_bits, b_bits)
    return math.ceil(big / port_a_bits) * math.ceil(small / DSP_PORT_B_BITS)


# ----------------------------------------------------------------------------------------------------- layers

@dataclass(frozen=True)
class _Counts:
    dsp_products: int          # products that go to DSP48
    lut_products: int          # products built from LUT adders
    lut_mult_adder_bits: float  # adder bits inside the LUT constant multipliers
    widest_lut_digits: float   # CSD digits of the widest LUT-mapped constant (sets its adder depth)


def _constant_products_csd(layer: LayerSpec, port_a_bits: int) -> _Counts:
    """RF=1 with real weights: a constant with >= 3 CSD digits goes to a DSP if the input is wide enough."""
    sign = 1 if layer.weight_signed else 0
    x = layer.input_width
    hist = list(layer.csd_digits_hist or ())
    wide = x >= DSP_MIN_INPUT_WIDTH
    dsp_weights = sum(hist[DSP_MIN_CSD_DIGITS:]) if wide else 0
    lut_hist = [(d, c) for d, c in enumerate(hist) if d >= 2 and c and not (wide and d >= DSP_MIN_CSD_DIGITS)]
    lut = sum(c for _, c in lut_hist)
    digits = sum(d * c for d, c in lut_hist)
    mag = max(1, layer.weight_width - sign)
    mantissa = layer.csd_mantissa_bits
    if mantissa is not None:
        # each of a constant's (d - 1) adders spans the input plus that constant's mantissa: HLS keeps no adder
        # bits for the leading zeros of a small weight (the declared width overcounted trained weights, most of
        # which are far below the type's range)
        adder_bits = sum((d - 1) * (c * x + mantissa[d]) for d, c in lut_hist)
    else:
        adder_bits = max(0, digits - lut) * float(x + mag)  # (digits - 1) adders of about input + weight bits
    widest = max((d for d, _ in lut_hist), default=1)
    return _Counts(dsp_weights * dsp_per_product(layer.weight_width, x, port_a_bits), lut, adder_bits, float(widest))


def _constant_products(layer: LayerSpec, port_a_bits: int = DSP_PORT_A_BITS) -> _Counts:
    """RF=1: every weight is a constant; classify each multiplier weight by the width it really needs."""
    if layer.csd_digits_hist is not None:
        return _constant_products_csd(layer, port_a_bits)
    # weights unknown (declared width): hls4ml's heuristic, LUT adders counted from the mantissa widths
    sign = 1 if layer.weight_signed else 0
    x = layer.input_width
    if layer.mult_sig_bits_hist is None:
        mag = max(1, layer.weight_width - sign)
        hist = [0] * (mag + 1)
        hist[mag] = layer.num_multiplier_weights
    else:
        hist = list(layer.mult_sig_bits_hist)
    dsp = lut = 0
    lut_bits_classes: list[tuple[int, int]] = []
    for bits, count in enumerate(hist):
        if count == 0:
            continue
        if bits + sign >= DSP_MIN_WEIGHT_WIDTH and x >= DSP_MIN_INPUT_WIDTH:
            dsp += count * dsp_per_product(bits + sign, x, port_a_bits)
        else:
            lut += count
            lut_bits_classes.append((bits, count))
    expected_digits = sum(count * expected_csd_digits(bits) for bits, count in lut_bits_classes)
    digits = float(layer.lut_mult_csd_digits) if layer.lut_mult_csd_digits is not None else expected_digits
    # each LUT product needs (digits - 1) adders of about (input + weight mantissa) bits
    mean_width = (sum(count * (x + bits) for bits, count in lut_bits_classes) / lut) if lut else 0.0
    adder_bits = max(0.0, digits - lut) * mean_width
    widest = max((expected_csd_digits(b) for b, _ in lut_bits_classes), default=1.0)
    return _Counts(dsp, lut, adder_bits, widest)


def _tree_levels(terms: int) -> int:
    return math.ceil(math.log2(terms)) if terms > 1 else 0


def _dense_constant(layer: LayerSpec, clock_ns: float, k: ModelConstants, allow_inline: bool = True) -> Estimate:
    c = _constant_products(layer, k.dsp_port_a_bits)
    dsp = c.dsp_products
    # n_nz products plus one bias per output fold into n_nz two-input adders; a product on a DSP brings its own
    # post-adder (P = A*B + C), which takes one of them out of the LUTs
    # when an output has that single product (Dense(1 -> n)); a sum of several products stays a LUT adder tree
    # (the tutorial MLPs' csynth LUTs keep every tree adder)
    single = layer.num_nonzero_weights <= layer.n_out
    dsp_weights = dsp // max(1, dsp_per_product(layer.weight_width, layer.input_width, k.dsp_port_a_bits)) if single else 0
    tree_bits = max(0, layer.num_nonzero_weights - dsp_weights) * layer.accum_width
    lut = k.lut_per_adder_bit * (tree_bits + c.lut_mult_adder_bits)
    terms_per_output = math.ceil(layer.num_nonzero_weights / layer.n_out) + 1
    mult_ns = k.dsp_mult_ns if dsp else _tree_levels(math.ceil(c.widest_lut_digits)) * k.adder_level_ns
    depth_ns = mult_ns + _tree_levels(terms_per_output) * k.adder_level_ns
    notes = (f"{c.dsp_products} DSP products, {c.lut_products} LUT constant products, "
             f"{layer.num_power_of_two_weights} shift-only weights, "
             f"{layer.n_in * layer.n_out - layer.num_nonzero_weights} zero weights",)
    if allow_inline and layer.num_nonzero_weights <= INLINE_MAX_PRODUCTS and layer.strategy == "Latency":
        # small enough for HLS to inline into the caller's pipeline: no call boundary, registers only where the
        # logic outgrows the clock (hls4ml CI baselines: Dense(1 -> 64) + ReLU at 5 ns, 0 cycles, 18 FF in all)
        latency = math.floor(depth_ns / clock_ns)
        ff = k.ff_per_register_bit * latency * layer.n_out * layer.accum_width
        latency = max(latency, 1) if k.io_type == "io_stream" else latency  # a dataflow process takes a cycle
        return Estimate.build(layer.name, lut=lut, ff=ff, dsp=dsp, bram=0, latency_cycles=latency, ii_cycles=1,
                              clock_period_ns=clock_ns, notes=(*notes, "inlined into the caller's pipeline"))
    internal = max(1, math.ceil(depth_ns / clock_ns - 1e-9))
    if layer.strategy == "Resource":
        internal += k.bram_read_cycles  # dense_resource keeps its ReuseLoop even at RF=1
    # registers: the layer's output at the call boundary, plus the pipeline registers HLS puts around every DSP
    # product (csynth per instance: 4.9 FF per DSP in Vivado HLS 2019.2, 7.9 in Vitis HLS 2022.2, the same
    # network; a Dense whose products are all LUT shift-adds has 0 FF of its own, the tutorial's QKeras model)
    per_dsp = k.ff_per_dsp_vitis if k.tool == "Vitis" else k.ff_per_dsp_vivado
    ff = layer.n_out * layer.result_width + per_dsp * dsp
    return Estimate.build(layer.name, lut=lut, ff=ff, dsp=dsp, bram=0, latency_cycles=internal + k.call_boundary_cycles,
                          ii_cycles=1, clock_period_ns=clock_ns, notes=notes)


def _dense_shared(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    """RF > 1: a multiplier serves RF weights, so it multiplies by a variable and shift-only weights need it too."""
    rf = layer.reuse_factor
    units = math.ceil(layer.num_nonzero_weights / rf)
    w, x, acc = layer.weight_width, layer.input_width, layer.accum_width
    # the Resource strategy reads its weights from a ROM, so its products are variable: csynth puts each shared
    # multiplier on one DSP for weights down to 6 bits on a >= 11-bit input (Berk-Bilgin's 8-bit Conv1D / Dense
    # layers at RF 2 and 3: 21 + 160 + 80 + 40 + 512 DSPs = their shared multipliers exactly; PokerML's 6-bit
    # convolutions and Dense at RF 108-784: 1, 1, 13, 8, 16 = theirs), not only from hls4ml's 9-bit heuristic
    wide_weight = w >= (RESOURCE_DSP_MIN_WEIGHT_WIDTH if layer.strategy == "Resource" else DSP_MIN_WEIGHT_WIDTH)
    if wide_weight and x >= DSP_MIN_INPUT_WIDTH:
        dsp, mult_adder_bits = units * dsp_per_product(w, x, k.dsp_port_a_bits), 0.0
    else:
        # array multiplier: about one adder row of (x + w) bits per weight bit, halved by LUT6 packing
        dsp, mult_adder_bits = 0, units * w * (x + w) / 2.0
    adder_bits = units * acc + mult_adder_bits
    data_mux_luts = units * x * math.ceil(min(rf, layer.n_in) / 4)  # LUT6 = 4:1 mux per bit
    bram = 0
    if layer.strategy == "Resource":
        bram = math.ceil(units * w / BRAM18_WIDTH_BITS) * math.ceil(rf / BRAM18_DEPTH_AT_36)
        weight_luts = 0
    else:
        weight_luts = units * w * math.ceil(rf / 64)  # constant ROM of depth RF per weight bit, LUT6 as 64x1 ROM
    lut = k.lut_per_adder_bit * adder_bits + data_mux_luts + weight_luts
    mult_ns = k.dsp_mult_ns if dsp else _tree_levels(w) * k.adder_level_ns
    step = max(1, math.ceil((mult_ns + k.adder_level_ns) / clock_ns - 1e-9))
    # Resource: a pipelined ReuseLoop of RF iterations plus the BRAM read. Latency strategy: the layer is one
    # pipeline at II = RF whose depth does not grow with RF (the hector RF-2 MLP: 12 cycles, its RF-1 twin 13); the
    # RF-64 design (hector model3 on a Zynq, 52 cycles, about 12 per layer) is not explained by this (see the docs)
    loop = rf + k.bram_read_cycles if layer.strategy == "Resource" else 0
    latency = loop + step + k.call_boundary_cycles
    # registers on the layer's input and output only: the hector RF-2 MLP (Vivado HLS 2019.2) has the FF of its RF-1
    # twin (8.9k vs 11.0k), not an extra accumulator bank per shared multiplier
    ff = k.ff_per_register_bit * (layer.n_in * x + layer.n_out * acc)
    notes = (f"{units} shared multipliers (RF={rf})", *(("weights in BRAM (ROM_nP_BRAM)",) if bram else ()))
    return Estimate.build(layer.name, lut=lut, ff=ff, dsp=dsp, bram=bram, latency_cycles=latency, ii_cycles=rf,
                          clock_period_ns=clock_ns, notes=notes)


def multiplier_limit(layer: LayerSpec) -> int:
    """hls4ml's ``multiplier_limit``: DIV_ROUNDUP(n_in * n_out, RF) - n_zeros / RF (integer division)."""
    rf = layer.reuse_factor
    zeros = layer.n_in * layer.n_out - layer.num_nonzero_weights
    return max(1, math.ceil(layer.n_in * layer.n_out / rf) - zeros // rf)


def _dense_latency_reuse(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    """Latency strategy at RF > 1 with the weights known: the layer is the RF-1 circuit pipelined at II = RF, with
    ``#pragma HLS ALLOCATION`` limiting only the multiply operations to `multiplier_limit`. Constant products HLS
    builds from shifts and adds are not multiplies, the adder tree is not shared, so LUTs stay those of RF 1 (the
    hector-tutorial RF-2 MLP: 84.8k LUT against 85.1k at RF 1, the same DSP per layer, 349 / 575 / 477, because
    those counts are below the limit of 512 / 1,024 / 512); DSP products beyond the limit share the limit's DSPs
    through an input multiplexer (pominiq's RF-8/16 MLPs: DSP = the limit exactly, 8 / 6 / 16 / 12)."""
    base = _dense_constant(layer, clock_ns, k, allow_inline=False)
    per_product = dsp_per_product(layer.weight_width, layer.input_width, k.dsp_port_a_bits)
    dsp_products = int(base.dsp.value) // max(1, per_product)
    limit = multiplier_limit(layer)
    lut, dsp, notes = base.lut.value, base.dsp.value, base.notes
    latency, ii = int(base.latency_cycles.value), layer.reuse_factor
    if dsp_products > limit:
        share = math.ceil(dsp_products / limit)
        dsp = limit * per_product
        lut += limit * layer.input_width * math.ceil(share / 4)  # share:1 input mux per bit, LUT6 = 4:1
        notes = (*notes, f"{dsp_products} DSP products share {limit} DSPs (multiplier_limit, RF={layer.reuse_factor})")
    multiplies = sum((layer.csd_digits_hist or ())[DSP_MIN_CSD_DIGITS:])
    if k.io_type == "io_stream" and multiplies:
        # a streamed layer (a convolution's per-pixel kernel, a Dense after its reads) runs every constant of >= 3
        # CSD digits through the `limit` shared multipliers, whatever the input width, then adds the products:
        # ceil(M / limit) steps plus the tail reproduce csynth's per-pixel interval of pominiq's RF-16 CNNs (13, 16,
        # 6, 15 cycles: steps + 2 at 25 ns, 8 of 8 instances) and RF-64 ones (35, 38, 54: steps + 3-4 at 10 ns), and
        # the Dense after the reads (16, 17, 16, 15 and 63, 63 cycles); PokerML's 6-bit QKeras CNN at RF 256: 15, 27,
        # 7 against 15, 28, 7 (at RF 128 the same layers take 3-8 cycles more than the count: not explained)
        steps = math.ceil(multiplies / limit) + (STREAM_STEP_TAIL_SLOW if clock_ns > 10 else STREAM_STEP_TAIL_FAST)
        ii = latency = steps
    elif dsp_products:
        # csynth reports II = latency + 1 for every io_parallel RF > 1 Dense instance in the corpus (10 of 10): the
        # function is scheduled as a sequence, not pipelined at II = RF, and its length is the multiplier schedule.
        # With the multiplies scarce, the constants of 3 CSD digits (two adders) stay shift-adds and only those of
        # >= 4 digits wait for one of the `limit` multipliers: ceil(M / limit) multiplier steps reproduce the II of
        # 7 of 8 such instances (pominiq RF 8 / 16: 11, 12, 5, 5 vs 11, 12, 5, 6; the RF-2 tutorial MLP: 2, 2, 2, 2)
        heavy = sum((layer.csd_digits_hist or ())[DSP_MIN_CSD_DIGITS + 1:])
        steps = max(1, math.ceil(heavy / limit) - 1)
        ii = steps + 1
        latency = steps + k.call_boundary_cycles
    return Estimate.build(layer.name, lut=lut, ff=base.ff.value, dsp=dsp, bram=0, latency_cycles=latency,
                          ii_cycles=ii, clock_period_ns=clock_ns, notes=notes)


@register_layer_model("dense")
def dense_layer_estimate(layer: LayerSpec, clock_ns: float, k: ModelConstants, allow_inline: bool = True) -> Estimate:
    """One Dense layer (or a kernel built like one: a convolution's per-pixel kernel, a diagonal BatchNorm).
    ``allow_inline=False`` for a kernel that runs inside a layer's own pipelined loop (a convolution's partitions),
    which is never merged into the top pipeline."""
    if layer.reuse_factor == 1:
        return _dense_constant(layer, clock_ns, k, allow_inline)
    if layer.strategy == "Latency" and layer.csd_digits_hist is not None:
        return _dense_latency_reuse(layer, clock_ns, k)
    return _dense_shared(layer, clock_ns, k)



@register_layer_model("relu")
def _relu(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    width = layer.input_width or layer.result_width
    return Estimate.build(layer.name, lut=k.relu_lut_per_bit * layer.n_in * width, ff=0, dsp=0, bram=0,
                          latency_cycles=0, ii_cycles=1, clock_period_ns=clock_ns)


@register_layer_model("softmax")
def _softmax(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    n = layer.n_in
    table_w = layer.accum_width or 18
    tables = math.ceil((layer.table_size or SOFTMAX_TABLE_SIZE) * table_w / BRAM18_BITS)
    # exp table read n times per cycle: a BRAM has two ports, so ceil(n/2) copies; one 1/x table
    bram = math.ceil(n / 2) * tables + tables
    dsp = n * dsp_per_product(table_w, table_w, k.dsp_port_a_bits) if table_w >= DSP_MIN_WEIGHT_WIDTH else 0
    lut = k.softmax_lut_per_table_bit * n * table_w
    ff = k.ff_per_register_bit * n * table_w
    # two registered table reads (exp, then 1/sum) plus the logic between and after them where it outgrows the
    # clock: the max tree, the sum tree and the DSP multiply chain into the reads' cycles at 25 ns (pominiq's Zynq
    # MLPs: 2 cycles in all 4 reports) and take about one more cycle at 5 ns (3, 3 and 4 cycles in Vivado HLS);
    # Vitis HLS schedules a stage deeper (5 cycles for the same softmax at 5 ns), as it does the Dense DSP products
    # the `latency` implementation skips the max subtraction (no comparator tree): KERAS_3layer, Vivado HLS
    # 2019.2.1 at 5 ns, softmax_latency instance 2 cycles where the tutorial's softmax_stable takes 3-4
    levels = _tree_levels(n)
    max_tree = 0 if layer.op == "latency" else levels
    logic_ns = max_tree * k.compare_level_ns + (levels + 1) * k.adder_level_ns + (k.dsp_mult_ns if dsp else 0.0)
    internal = 2 * k.bram_read_cycles + math.floor(logic_ns / clock_ns) + (1 if k.tool == "Vitis" else 0)
    return Estimate.build(layer.name, lut=lut, ff=ff, dsp=dsp, bram=bram,
                          latency_cycles=internal + k.call_boundary_cycles, ii_cycles=1,
                          clock_period_ns=clock_ns)


@register_layer_model("input")
def _input(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    # the top function registers its input port (csynth: fc1_input_preg, 16 x 16 bits); in io_stream the input is
    # a FIFO, counted with the others (edgenn.estimates.streams)
    ff = 0 if k.io_type == "io_stream" else layer.n_out * layer.result_width
    return Estimate.build(layer.name, lut=0, ff=ff, dsp=0, bram=0, latency_cycles=0,
                          ii_cycles=1, clock_period_ns=clock_ns)


@register_layer_model("other")
def _other(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    return Estimate.build(layer.name, lut=0, ff=0, dsp=0, bram=0, latency_cycles=0, ii_cycles=1,
                          clock_period_ns=clock_ns, notes=("not modelled: counted as zero",))


def estimate_layer(layer: LayerSpec, clock_period_ns: float, constants: ModelConstants = DEFAULT_CONSTANTS) -> Estimate:
    return layer_model(layer.kind)(layer, clock_period_ns, constants)


def critical_path_cycles(layers: tuple[LayerSpec, ...], estimates: tuple[Estimate, ...]) -> int:
    """io_parallel: the top function is one pipeline, so a layer starts when its slowest input is ready and the
    design's latency is the longest input-to-output path; parallel branches (a wide-and-deep model's two towers, an
    interaction network's sender and receiver paths) overlap instead of adding. A layer without ``inputs`` follows
    the one before it. Rows beyond ``layers`` (the io_stream FIFOs) add nothing here."""
    ready: dict[str, int] = {}
    previous = 0
    for layer, est in zip(layers, estimates):
        start = max((ready[name] for name in layer.inputs if name in ready), default=previous)
        previous = ready[layer.name] = start + int(est.latency_cycles.value)
    return max(ready.values(), default=0)


def _with_interval(name: str, fig, clock_period_ns: float, cls: str | None):
    from edgenn.estimates.intervals import interval

    found = interval(name, fig.value, clock_period_ns, cls)
    return fig if found is None else replace(fig, interval=(found[0], found[1]), interval_note=found[2])


def estimate(design: DesignSpec, constants: ModelConstants = DEFAULT_CONSTANTS) -> ResourceReport:
    """Estimate every layer and the design total (io_parallel: the longest path's latency, II the slowest layer's).

    A total over a design with any layer the model does not describe is a lower bound (``Figure.bound``)."""
    kind = dsp_kind(design.part)
    if kind == "DSP48E1":
        constants = replace(constants, dsp_port_a_bits=25)
    constants = replace(constants, tool=design.tool, io_type=design.io_type)
    per_layer = tuple(estimate_layer(layer, design.clock_period_ns, constants) for layer in design.layers)
    extra = (fifo_estimate(design, constants), loop_control_estimate(design, constants))
    per_layer += tuple(e for e in extra if e is not None)
    unmodelled = [e.name for e in per_layer if e.notes and e.notes[0].startswith("not modelled")]
    total = Estimate.build(
        "total",
        lut=sum(e.lut.value for e in per_layer),
        ff=sum(e.ff.value for e in per_layer),
        dsp=sum(e.dsp.value for e in per_layer),
        bram=sum(e.bram.value for e in per_layer),
        latency_cycles=(critical_path_cycles(design.layers, per_layer) if design.io_type == "io_parallel"
                        else dataflow_latency_cycles(design, per_layer[:len(design.layers)])),
        ii_cycles=int(max(e.ii_cycles.value for e in per_layer)),
        clock_period_ns=design.clock_period_ns,
        notes=(f"layers not modelled (counted as zero): {', '.join(unmodelled)}",) if unmodelled else (),
        dsp_kind=kind,
    )
    if unmodelled:
        why = f"lower bound: layers not modelled ({', '.join(unmodelled)}) are counted as zero"
        total = replace(total, **{k: replace(f, bound="lower", note=f"{f.note}; {why}".lstrip("; "))
                                  for k, f in total.figures().items() if k != "ii_cycles"})
    else:
        from edgenn.estimates.intervals import interval_class

        rfs = [layer.reuse_factor for layer in design.layers]
        total = replace(total, **{k: _with_interval(k, f, design.clock_period_ns,
                                                    interval_class(k, f.value, design.io_type, rfs))
                                  for k, f in total.figures().items()})
    assumptions = (
        "LUT/FF are scaled to Vivado/Vitis HLS csynth estimates (see docs/estimates.md for the measured error).",
        f"DSP rule: a constant weight with >= {DSP_MIN_CSD_DIGITS} non-zero canonical-signed-digit digits goes to a "
        f"{kind} when the layer input is >= {DSP_MIN_INPUT_WIDTH} bits wide (without weight values: when the weight "
        f"type is >= {DSP_MIN_WEIGHT_WIDTH} bits); otherwise LUTs.",
    ) + (("Without weight values every multiplier weight is assumed to use its full declared width (DSP upper bound).",)
         if any(layer.kind == "dense" and layer.mult_sig_bits_hist is None and layer.csd_digits_hist is None
                for layer in design.layers) else ())
    return ResourceReport(per_layer, total, design.clock_period_ns, design.part, assumptions=assumptions)
