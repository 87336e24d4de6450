"""io_stream dataflow latency: element counts along the graph and the bottleneck-plus-downstream-depth total."""

from __future__ import annotations

from edgenn.estimates import DesignSpec, LayerSpec, estimate
from edgenn.estimates.conv import ConvLayerSpec
from edgenn.estimates.stream_schedule import process_timings, stream_elements


def streamed_cnn(rf: int = 1) -> DesignSpec:
    """28 x 28 x 1 image -> 3x3 conv (4 maps, 26 x 26) -> ReLU -> flatten -> Dense(2704 -> 10): io_stream."""
    inp = LayerSpec("inp", "input", 784, 784, result_width=16, stream_bits=16)
    conv = ConvLayerSpec("conv", "conv2d", 9, 4, weight_width=16, input_width=16, accum_width=16, result_width=16,
                         num_nonzero_weights=36, reuse_factor=rf, csd_digits_hist=(0, 0, 6, 20, 10), io_type="io_stream", in_pixels=784, out_pixels=676, in_width=28,
                         n_chan=1, filt_height=3, filt_width=3, stream_bits=64)
    relu = LayerSpec("relu", "relu", 4, 4, input_width=16, result_width=16, stream_bits=64)
    flat = LayerSpec("flat", "reshape", 2704, 2704, result_width=16, stream_bits=64)
    dense = LayerSpec("dense", "dense", 2704, 10, weight_width=16, input_width=16, accum_width=16, result_width=16,
                      num_nonzero_weights=270, stream_bits=160)
    return DesignSpec((inp, conv, relu, flat, dense), 5.0, io_type="io_stream", tool="Vivado")


def test_elements_follow_the_graph_pixels_then_one_vector():
    elements = stream_elements(streamed_cnn())
    # the conv reads the image's 784 pixels and writes 676, which the ReLU and the Dense read one by one
    assert elements == {"conv": 784, "relu": 676, "flat": 676, "dense": 676}


def test_total_is_the_slowest_process_plus_one_element_through_the_rest():
    design = streamed_cnn()
    report = estimate(design)
    timings = {t.name: t for t in process_timings(design, report.layers[:len(design.layers)])}
    conv, relu, dense = timings["conv"], timings["relu"], timings["dense"]
    assert conv.latency >= 784 and dense.latency >= 676  # one pixel per cycle in, the Dense reads every element
    total = report.total.latency_cycles.value
    # overlapped: far below the processes run one after the other, above the slowest alone
    assert max(t.latency for t in timings.values()) < total < conv.latency + relu.latency + dense.latency


def test_a_slower_bottleneck_adds_its_own_delay_and_nothing_else():
    fast, slow = streamed_cnn(rf=1), streamed_cnn(rf=4)
    r_fast, r_slow = estimate(fast), estimate(slow)
    conv = {d: next(t for t in process_timings(d, r.layers[:len(d.layers)]) if t.name == "conv")
            for d, r in ((fast, r_fast), (slow, r_slow))}
    # RF 4 on 36 constants: 30 of >= 3 CSD digits through ceil(36 / 4) = 9 multipliers, 4 steps + 3 at 5 ns per pixel
    assert conv[slow].interval == 7 and conv[fast].interval == 1
    assert (r_slow.total.latency_cycles.value - r_fast.total.latency_cycles.value
            == conv[slow].latency - conv[fast].latency)
