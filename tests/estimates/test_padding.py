"""ZeroPadding1D and a Conv1D with a 3-position kernel, converted by hls4ml 1.3 (convert only): io_parallel padding
is wiring and the convolution a 1 x 3 window, so the total is a point estimate; in io_stream the padding is a
dataflow process the model does not describe yet, so the total is a lower bound that names it."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def convert(tmp_path, io_type: str):
    tf = pytest.importorskip("tensorflow")
    hls4ml = pytest.importorskip("hls4ml")
    from edgenn.seeding import rng

    inp = tf.keras.layers.Input((12, 2), name="inp")
    x = tf.keras.layers.ZeroPadding1D(1, name="pad")(inp)
    out = tf.keras.layers.Conv1D(4, 3, name="conv")(x)
    model = tf.keras.Model(inp, out)
    gen = rng(0, "padding-test")
    model.get_layer("conv").set_weights([gen.integers(-8, 8, (3, 2, 4)) / 8.0, np.zeros(4)])
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado")
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=cfg, output_dir=str(tmp_path / io_type), backend="Vivado", io_type=io_type,
        part="xcvu13p-flga2577-2-e", clock_period=5)


def test_io_parallel_padding_is_wiring_and_conv1d_a_one_by_three_window(tmp_path):
    from edgenn.estimates import design_from_hls_model, estimate

    design = design_from_hls_model(convert(tmp_path, "io_parallel"))
    kinds = {layer.name: layer.kind for layer in design.layers}
    conv = next(layer for layer in design.layers if layer.name == "conv")
    assert kinds["pad"] == "reshape"
    assert (conv.kind, conv.filt_height, conv.filt_width, conv.n_in, conv.n_out) == ("conv2d", 1, 3, 6, 4)
    assert (conv.in_pixels, conv.out_pixels) == (14, 12)  # padded input, 'valid' output positions
    report = estimate(design)
    assert report.total.lut.bound == "" and report.total.lut.value > 0
    assert report.total.ii_cycles.value == 12  # one partition per output position at PF 1, RF 1


def test_io_stream_padding_leaves_a_lower_bound_that_names_it(tmp_path):
    from edgenn.estimates import design_from_hls_model, estimate

    report = estimate(design_from_hls_model(convert(tmp_path, "io_stream")))
    assert report.total.lut.bound == "lower"
    assert any("pad" in note for note in report.total.notes)
    conv = next(e for e in report.layers if e.name == "conv")
    assert conv.ii_cycles.value == 14  # the streamed convolution reads the 14 padded positions one per cycle
