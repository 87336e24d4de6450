"""Analytic Conv2D/Pooling2D model: cycle formulas per io type, PF scaling, and the io_stream design total."""

from __future__ import annotations

import pytest

from edgenn.errors import InvalidInputError
from edgenn.estimates import DEFAULT_CONSTANTS, DesignSpec, LayerSpec, estimate, estimate_layer
from edgenn.estimates.analytic import dense_layer_estimate
from edgenn.estimates.conv import ConvLayerSpec


def conv(io_type="io_parallel", pf=1, rf=1, **kw) -> ConvLayerSpec:
    base = dict(name="conv_0", kind="conv2d", n_in=9, n_out=8, weight_width=6, input_width=10, accum_width=17,
                result_width=17, num_nonzero_weights=60, reuse_factor=rf, io_type=io_type, in_pixels=16 * 16,
                out_pixels=14 * 14, in_width=16, n_chan=1, filt_height=3, filt_width=3, parallelization_factor=pf)
    return ConvLayerSpec(**{**base, **kw})


def pool(io_type="io_parallel") -> ConvLayerSpec:
    return ConvLayerSpec("pool_0", "pool2d", 14 * 14 * 8, 7 * 7 * 8, input_width=8, result_width=8, io_type=io_type,
                         in_pixels=14 * 14, out_pixels=7 * 7, in_width=14, n_chan=8, filt_height=2, filt_width=2)


def test_io_parallel_conv_runs_one_partition_per_rf_cycles():
    # the kernel runs inside the convolution's own pipelined loop, never inlined into the top pipeline
    kernel = dense_layer_estimate(conv().dense_kernel(), 5.0, DEFAULT_CONSTANTS, allow_inline=False)
    e = estimate_layer(conv(), 5.0)
    assert e.ii_cycles.value == 196  # 14*14 partitions of one pixel, II = RF = 1
    assert e.latency_cycles.value == 195 + kernel.latency_cycles.value
    assert e.lut.value == kernel.lut.value and e.dsp.value == kernel.dsp.value
    # PF 14: 14 kernel copies, 14 partitions
    e14 = estimate_layer(conv(pf=14), 5.0)
    assert e14.ii_cycles.value == 14 and e14.lut.value == pytest.approx(14 * kernel.lut.value)
    assert estimate_layer(conv(rf=2), 5.0).ii_cycles.value >= 2 * 196
    for e in (e, e14):
        assert all(f.method == "analytic" for f in e.figures().values())


def test_io_stream_conv_reads_one_input_pixel_per_cycle_and_pays_a_line_buffer():
    e = estimate_layer(conv("io_stream"), 5.0)
    par = estimate_layer(conv(), 5.0)
    assert e.ii_cycles.value == 256 and e.latency_cycles.value > 256
    assert e.lut.value > par.lut.value  # same kernel plus the shift-register line buffer


def test_pooling_cycles():
    assert estimate_layer(pool(), 5.0).ii_cycles.value == 1
    stream = estimate_layer(pool("io_stream"), 5.0)
    assert stream.ii_cycles.value == 196 and stream.dsp.value == 0


def test_design_totals_add_in_io_parallel_and_overlap_in_io_stream():
    head = LayerSpec("flatten", "reshape", 392, 392, result_width=8)
    par = estimate(DesignSpec((conv(), pool(), head), 5.0))
    layers = par.layers
    assert par.total.latency_cycles.value == sum(e.latency_cycles.value for e in layers)
    assert par.total.ii_cycles.value == 196
    stream = estimate(DesignSpec((conv("io_stream"), pool("io_stream"), head), 5.0, io_type="io_stream"))
    s_layers = stream.layers
    assert stream.total.ii_cycles.value == 256
    # overlapped: less than running the layers one after the other, more than the slowest layer alone
    assert 256 < stream.total.latency_cycles.value < sum(e.latency_cycles.value for e in s_layers)
    assert not stream.total.notes  # every layer is modelled


def test_bad_conv_geometry_is_rejected_naming_the_layer():
    with pytest.raises(InvalidInputError, match="'conv_0'.*parallelization_factor"):
        conv(pf=3)
    with pytest.raises(InvalidInputError, match="'conv_0'"):
        conv(num_nonzero_weights=73)  # more than the 9*8 kernel weights
