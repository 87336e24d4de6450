"""Analytic latency/resource model of hls4ml 1.3 Conv2D, pointwise Conv1D and Pooling2D layers, io_parallel and
io_stream.

Method label "analytic", like the Dense model it builds on: no vendor tool, no calibration against a conv csynth
report (none was available), so treat the LUT/FF numbers as order-of-magnitude and the cycle counts as the schedule
the templates ask for. Formulas (RF = reuse factor, PF = ParallelizationFactor, P_in/P_out = input/output pixels):

* Conv2D, io_parallel (``nnet_conv2d_latency.h``): im2col ``PartitionLoop`` over ``n_partitions = P_out / PF``,
  pipelined at II = RF; each iteration runs PF unrolled copies of a dense kernel of ``kh*kw*C_in -> C_out``.
  latency = (n_partitions - 1) * RF + dense latency;  II = n_partitions * RF;  resources = PF x the dense kernel.
  With ``n_partitions > 1`` hls4ml switches the top function to DATAFLOW (``passes/pipeline_style.py``): layers run
  one after the other on ping-pong buffers, so the design latency is the sum and the II the slowest layer's.
* Conv2D, io_stream (``nnet_conv2d_stream.h`` ``conv_2d_buffer_cl``): one input pixel per kernel interval through a
  line buffer of (kh - 1) image rows, one dense kernel per output pixel (`stream_pixel_interval`: 1 at RF 1, the
  multiplier schedule at RF > 1, the whole kernel for the Resource strategy).
  II = P_in * interval;  latency = II + dense latency;  line buffer = (kh-1) * W_in * C_in * input bits in shift
  registers (SRL32: one LUT per 32 bits) plus a kh*kw*C_in window in flip-flops. PF is not used by this path.
* Pointwise Conv1D (a Dense applied to each of N particles or edges, hls4ml's PointwiseConv1D): the Conv2D model
  with a 1 x 1 kernel over N pixels; with the default ParallelizationFactor 1, II = N * RF (the graph families'
  per-particle and per-edge layers), with PF = N a single fully unrolled partition (``BatchedDenseForConv1D``).
* Conv1D with a kernel of k > 1 positions: `conv1d_spec_from_hls` reads it as a 1 x k window (``conv_1d_latency_cl``
  / ``conv_1d_buffer_cl``), but no reader registers it: per csynth instance its LUTs come out 5-10x under, so such a
  design stays a lower bound (docs/estimates.md).
* Pooling2D: io_parallel is one unrolled pipelined stage (``pooling2d_cl``, II = RF); io_stream reads one pixel per
  cycle (II = P_in). LUTs: one comparator/adder of the input width per window element beyond the first.
* io_stream designs are dataflow over FIFOs: layers overlap, so the design latency is the slowest process plus one
  element's depth through every process after it, and the design II is the slowest layer's II
  (`edgenn.estimates.stream_schedule`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from edgenn.estimates.analytic import ModelConstants, dense_layer_estimate
from edgenn.estimates.from_hls import dense_spec
from edgenn.estimates.hls_layers import HlsLayerContext, register_hls_layer
from edgenn.estimates.layer_models import register_layer_model
from edgenn.estimates.resources import Estimate, LayerSpec

SRL_BITS_PER_LUT = 32  # SRLC32E: a LUT6 as a 32-deep shift register
DIVIDER_EXTRA_STAGES = 5  # a w-bit HLS divider pipelines into w + 5 stages (21 for 16 bits in the CI baselines)
# cycles a Resource-strategy streamed convolution adds to its kernel per pixel (the line-buffer shift and the write):
# PokerML's two convolutions of four reports, 4,096 and 961 pixels, take RF + 5 = kernel + 2 cycles each, exactly
RESOURCE_STREAM_PIXEL_EXTRA = 2
# A Latency-strategy streamed convolution at RF > 1 is one pipelined pixel loop whose iteration is the kernel's
# multiplier schedule: iteration latency = interval = the schedule's steps, so the process takes
# (P - 1) * steps + steps + the function's entry and exit states. csynth's loop and instance tables of pominiq's
# RF-16 and RF-64 CNNs (committed .rpt files: ReadInputHeight_ReadInputWidth at IL = II = 13, 16, 6, 15, 35, 54)
# give instance latency = P * steps + 2 on all 12 conv instances (this model: 10 exact, the RF-64 second conv one
# step per pixel short in its step count), PokerML's RF-256 QKeras CNN 2 of 3; adding a whole kernel latency after
# the last pixel (as before) overcounted by steps - 2
STREAM_CALL_STATES = 2


@dataclass(frozen=True)
class ConvLayerSpec(LayerSpec):
    """A Conv2D (``kind='conv2d'``, ``n_in = kh*kw*C_in``, ``n_out = C_out``: the per-pixel dense kernel) or a
    Pooling2D (``kind='pool2d'``, ``n_in``/``n_out`` = input/output elements) with its image geometry."""

    io_type: str = "io_parallel"
    in_pixels: int = 1
    out_pixels: int = 1
    in_width: int = 1
    n_chan: int = 1
    filt_height: int = 1
    filt_width: int = 1
    parallelization_factor: int = 1
    padded: bool = False  # pooling with padding ('same'): the windows at the edge see fewer pixels

    def __post_init__(self) -> None:
        super().__post_init__()
        from edgenn.errors import InvalidInputError

        for attr in ("in_pixels", "out_pixels", "in_width", "n_chan", "filt_height", "filt_width",
                     "parallelization_factor"):
            if getattr(self, attr) < 1:
                raise InvalidInputError(f"layer {self.name!r}: {attr} must be >= 1 (got {getattr(self, attr)}).")
        if self.kind == "conv2d" and self.out_pixels % self.parallelization_factor:
            raise InvalidInputError(f"layer {self.name!r}: parallelization_factor {self.parallelization_factor} "
                                    f"does not divide the {self.out_pixels} output pixels.")

    def dense_kernel(self) -> LayerSpec:
        """The per-pixel dense kernel hls4ml instantiates, as the Dense model's input."""
        base = {f.name: getattr(self, f.name) for f in fields(LayerSpec)}
        return LayerSpec(**{**base, "kind": "dense"})


def stream_window_buffer(layer: ConvLayerSpec) -> tuple[float, float]:
    """(LUT, FF) of the io_stream window of a convolution or pooling: (height - 1) line buffers of a row of pixels
    and the window's own registers. csynth puts both in flip-flops (pominiq's MNIST CNNs, Vivado HLS 2020.1: 1,265 FF
    for a 3x3 window on 28-pixel rows against 896 + 144 buffer and window bits, 2,770 FF for a 2x2 pooling of
    26 x 4 channels against 1,664 + 256); the shift logic costs about a LUT per 32 buffered bits (SRL-like)."""
    buffer_bits = (layer.filt_height - 1) * layer.in_width * layer.n_chan * layer.input_width
    window_bits = layer.filt_height * layer.filt_width * layer.n_chan * layer.input_width
    return math.ceil(buffer_bits / SRL_BITS_PER_LUT), float(buffer_bits + window_bits)


def stream_pixel_interval(layer: ConvLayerSpec, kernel: Estimate) -> int:
    """Cycles between two input pixels of an io_stream convolution. Latency strategy: the kernel's interval (1 at
    RF 1; at RF > 1 its multiplier schedule, which is what csynth reports per pixel, not RF). Resource strategy: the
    template pipelines the pixel loop only for the Latency strategy, so every pixel runs the whole kernel (its
    RF-step ReuseLoop) before the next is read."""
    if layer.strategy == "Resource":
        return int(kernel.latency_cycles.value) + RESOURCE_STREAM_PIXEL_EXTRA
    return max(1, int(kernel.ii_cycles.value))


@register_layer_model("conv2d")
def _conv2d(layer: ConvLayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    kernel = dense_layer_estimate(layer.dense_kernel(), clock_ns, k, allow_inline=False)
    rf = layer.reuse_factor
    if layer.io_type == "io_stream":
        copies = 1
        per_pixel = stream_pixel_interval(layer, kernel)
        ii = layer.in_pixels * per_pixel
        latency = ii + int(kernel.latency_cycles.value)
        if layer.strategy == "Latency" and per_pixel > 1:
            latency = ii + STREAM_CALL_STATES  # the last pixel's kernel is inside the loop (STREAM_CALL_STATES)
        extra_lut, extra_ff = stream_window_buffer(layer)
        how = f"line buffer: {layer.in_pixels} input pixels x {per_pixel} cycles (RF {rf})"
    else:
        copies = layer.parallelization_factor
        partitions = layer.out_pixels // copies
        ii = partitions * rf
        latency = (partitions - 1) * rf + int(kernel.latency_cycles.value)
        extra_lut = extra_ff = 0.0
        how = f"{partitions} partitions of PF {copies} pixels x RF {rf}"
    if layer.filt_height == layer.filt_width == 1 and layer.n_chan == layer.n_in:
        how += f" (pointwise: the same Dense applied to each of {layer.out_pixels} elements)"
    return Estimate.build(layer.name, lut=copies * kernel.lut.value + extra_lut,
                          ff=copies * kernel.ff.value + extra_ff, dsp=copies * kernel.dsp.value,
                          bram=copies * kernel.bram.value, latency_cycles=latency, ii_cycles=ii,
                          clock_period_ns=clock_ns, notes=(how, *kernel.notes))


@register_layer_model("pool2d")
def _pool2d(layer: ConvLayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    """Max: a chain of window-1 comparator + multiplexer levels (the template's loop is a chain, y = x > y ? x : y);
    Average: an adder tree HLS balances (ceil(log2 window) levels), the division a shift or constant multiply.
    io_parallel pooling is inlined into the surrounding pipeline: it costs a cycle only when its logic depth exceeds
    the clock (hls4ml's pooling baselines: 0 cycles for 2-wide and 2x2 windows at 5 ns)."""
    window = layer.filt_height * layer.filt_width
    per_output = (window - 1) * layer.input_width
    is_max = layer.op.lower() == "max"
    if layer.io_type == "io_stream":
        outputs_at_once, ii = layer.n_chan, layer.in_pixels
        latency = ii + k.call_boundary_cycles
    else:
        outputs_at_once, ii = layer.n_out, layer.reuse_factor
        depth_ns = (window - 1) * k.compare_level_ns if is_max else _levels(window) * k.adder_level_ns
        latency = math.floor(depth_ns / clock_ns)
    per_bit = k.compare_lut_per_bit if is_max else k.lut_per_adder_bit
    lut = per_bit * outputs_at_once * per_output
    ff = 0.0
    if layer.io_type == "io_stream":
        buffer_lut, ff = stream_window_buffer(layer)  # the same line buffer and window as a streamed convolution
        lut += buffer_lut
    notes = (f"{window}-element {'max' if is_max else 'average'} window",)
    if not is_max and layer.padded and k.tool == "Vivado" and layer.io_type == "io_parallel":
        # Vivado HLS keeps the average's divisor (the count of real pixels under a padded window) a variable and
        # builds a pipelined divider per output; Vitis HLS folds it to constants (hls4ml CI baselines, 'same':
        # 21 cycles and ~470 LUT / ~750 FF per output in Vivado HLS 2020.1, none in Vitis HLS 2024.1).
        stages = layer.result_width + DIVIDER_EXTRA_STAGES
        lut += outputs_at_once * stages * (layer.result_width + DIVIDER_EXTRA_STAGES + 1)
        ff = outputs_at_once * stages * (2 * layer.result_width + 3)
        latency += stages
        notes += (f"Vivado HLS: a {stages}-stage divider per output (variable divisor of the padded windows)",)
    return Estimate.build(layer.name, lut=lut, ff=ff, dsp=0, bram=0, latency_cycles=latency, ii_cycles=ii,
                          clock_period_ns=clock_ns, notes=notes)


def _levels(terms: int) -> int:
    return math.ceil(math.log2(terms)) if terms > 1 else 0


@register_layer_model("reshape")
def _reshape(layer: LayerSpec, clock_ns: float, k: ModelConstants) -> Estimate:
    return Estimate.build(layer.name, lut=0, ff=0, dsp=0, bram=0, latency_cycles=0, ii_cycles=1,
                          clock_period_ns=clock_ns, notes=("shape only: wiring",))


def conv1d_spec_from_hls(layer, dense_spec, in_width_bits: int, io_type: str) -> LayerSpec:
    """A Conv1D as a `ConvLayerSpec` of height 1, so the Conv2D model above applies unchanged. Kernel width 1: a
    Dense applied to every element of a set or sequence (hls4ml 1.3 turns a Dense on an (N, C) tensor into a
    PointwiseConv1D: ``n_partitions = N / ParallelizationFactor`` pipelined partitions, as a 1 x 1 Conv2D over N
    pixels). Kernel width k > 1: ``conv_1d_latency_cl`` (io_parallel, ``out_width / PF`` partitions of a
    ``k * C_in -> C_out`` kernel) and ``conv_1d_buffer_cl`` (io_stream: a k-position window, no line buffer; hls4ml
    puts a ZeroPadding1D before it for 'same' padding), as a 1 x k Conv2D."""
    attr = layer.get_attr
    k, n_chan, n_filt = int(attr("filt_width", 1) or 1), int(attr("n_chan")), int(attr("n_filt"))
    base = dense_spec(_WithAttrs(layer, n_in=k * n_chan, n_out=n_filt), in_width_bits)
    fields_ = {f.name: getattr(base, f.name) for f in fields(LayerSpec)}
    fields_.update(kind="conv2d", n_in=k * n_chan, n_out=n_filt)
    width_in, width_out = int(attr("in_width")), int(attr("out_width"))
    return ConvLayerSpec(**fields_, io_type=io_type, in_pixels=width_in, out_pixels=width_out, in_width=width_in,
                         n_chan=n_chan, filt_height=1, filt_width=k,
                         parallelization_factor=int(attr("parallelization_factor", 1) or 1))


def conv_spec_from_hls(layer, dense_spec, in_width_bits: int, io_type: str) -> LayerSpec:
    """A `ConvLayerSpec` from a converted hls4ml Conv2D/Pooling2D node (``dense_spec`` reads its weights the way
    ``from_hls`` reads a Dense's), or a zero-cost ``reshape`` for Reshape/Flatten."""
    attr = layer.get_attr
    out_bits = int(layer.get_output_variable().type.precision.width)
    n_out_elements = int(math.prod(int(s) for s in layer.get_output_variable().shape))
    if layer.class_name == "Reshape":
        return LayerSpec(layer.name, "reshape", n_out_elements, n_out_elements, result_width=out_bits)
    geometry = dict(io_type=io_type, in_pixels=int(attr("in_height")) * int(attr("in_width")),
                    out_pixels=int(attr("out_height")) * int(attr("out_width")), in_width=int(attr("in_width")))
    if layer.class_name == "Pooling2D":
        n_filt = int(attr("n_filt"))
        return ConvLayerSpec(layer.name, "pool2d", geometry["in_pixels"] * n_filt, n_out_elements,
                             input_width=in_width_bits, result_width=out_bits, reuse_factor=int(attr("reuse_factor", 1)),
                             n_chan=n_filt, filt_height=int(attr("pool_height")), filt_width=int(attr("pool_width")),
                             op=str(attr("pool_op", "Max")), padded=_padded(layer), **geometry)
    # hls4ml's Conv2D carries n_in/n_out only for some paths; the dense kernel is kh*kw*C_in -> C_out
    kh, kw, n_chan, n_filt = (int(attr(a)) for a in ("filt_height", "filt_width", "n_chan", "n_filt"))
    base = dense_spec(_WithAttrs(layer, n_in=kh * kw * n_chan, n_out=n_filt), in_width_bits)
    fields_ = {f.name: getattr(base, f.name) for f in fields(LayerSpec)}
    fields_.update(kind="conv2d", n_in=kh * kw * n_chan, n_out=n_filt)
    return ConvLayerSpec(**fields_, n_chan=n_chan, filt_height=kh, filt_width=kw,
                         parallelization_factor=int(attr("parallelization_factor", 1) or 1), **geometry)


def pool1d_spec_from_hls(layer, in_width_bits: int, io_type: str) -> LayerSpec:
    """Pooling1D (window ``pool_width``) or GlobalPooling1D (one window over all ``n_in`` positions) as a height-1
    ``pool2d`` window, so one pooling model serves 1D, 2D and global pooling."""
    attr = layer.get_attr
    out_bits = int(layer.get_output_variable().type.precision.width)
    n_in, n_filt = int(attr("n_in")), int(attr("n_filt"))
    if layer.class_name == "GlobalPooling1D":
        window, n_out = n_in, 1
    else:
        window, n_out = int(attr("pool_width")), int(attr("n_out"))
    return ConvLayerSpec(layer.name, "pool2d", n_in * n_filt, n_out * n_filt, input_width=in_width_bits,
                         result_width=out_bits, reuse_factor=int(attr("reuse_factor", 1)), op=str(attr("pool_op", "Max")),
                         padded=_padded(layer), io_type=io_type, in_pixels=n_in, out_pixels=n_out, in_width=n_in, n_chan=n_filt,
                         filt_height=1, filt_width=window)


def _padded(layer) -> bool:
    return any(int(layer.get_attr(side, 0) or 0) > 0 for side in ("pad_top", "pad_bottom", "pad_left", "pad_right"))


class _WithAttrs:
    """Read-only view of an hls4ml node with some attributes overridden (the node itself is left untouched)."""

    def __init__(self, layer, **overrides) -> None:
        self._layer, self._overrides = layer, overrides

    def get_attr(self, key, default=None):
        return self._overrides[key] if key in self._overrides else self._layer.get_attr(key, default)

    def __getattr__(self, name):
        return getattr(self._layer, name)


# ----------------------------------------------------------------------------- hls4ml layers read by this module

@register_hls_layer("Conv2D", "Pooling2D", "Conv2DBatchnorm")  # QConv2DBatchnorm: a Conv2D with the BN folded in
@register_hls_layer("Reshape", when=lambda layer, context: context.io_type != "io_parallel")  # io_parallel: wiring
def read_conv2d(layer, context: HlsLayerContext) -> LayerSpec:
    return conv_spec_from_hls(layer, dense_spec, context.in_width, context.io_type)


@register_hls_layer("Pooling1D", "GlobalPooling1D")
def read_pool1d(layer, context: HlsLayerContext) -> LayerSpec:
    return pool1d_spec_from_hls(layer, context.in_width, context.io_type)


# A Conv1D with a wider kernel is left unmodelled (a lower bound): the 1 x k window gets csynth's DSPs within 2 % and
# its cycles within 10 % on Berk-Bilgin's encoders, but their LUTs 5-10x under (docs/estimates.md), so a point estimate
# with the Dense-calibrated interval would overstate what is known
@register_hls_layer("PointwiseConv1D", "Conv1D", when=lambda layer, context: int(layer.get_attr("filt_width", 1)) == 1)
def read_conv1d(layer, context: HlsLayerContext) -> LayerSpec:
    return conv1d_spec_from_hls(layer, dense_spec, context.in_width, context.io_type)

