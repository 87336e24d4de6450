"""ZeroPadding1D before a Conv1D, converted by hls4ml 1.3 (convert only): io_parallel padding is wiring, so with a
pointwise convolution the total is a point estimate; io_stream padding is a dataflow process the model does not
describe yet, and a Conv1D with a 3-position kernel is not modelled either (its LUTs are 5-10x under csynth's), so
those totals are lower bounds that name the layer."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def convert(tmp_path, io_type: str, kernel: int):
    tf = pytest.importorskip("tensorflow")
    hls4ml = pytest.importorskip("hls4ml")
    from edgenn.seeding import rng

    inp = tf.keras.layers.Input((12, 2), name="inp")
    x = tf.keras.layers.ZeroPadding1D(1, name="pad")(inp)
    out = tf.keras.layers.Conv1D(4, kernel, name="conv")(x)
    model = tf.keras.Model(inp, out)
    gen = rng(0, "padding-test")
    model.get_layer("conv").set_weights([gen.integers(-8, 8, (kernel, 2, 4)) / 8.0, np.zeros(4)])
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado")
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=cfg, output_dir=str(tmp_path / f"{io_type}_{kernel}"), backend="Vivado", io_type=io_type,
        part="xcvu13p-flga2577-2-e", clock_period=5)


def test_io_parallel_padding_is_wiring(tmp_path):
    from edgenn.estimates import design_from_hls_model, estimate

    design = design_from_hls_model(convert(tmp_path, "io_parallel", 1))
    kinds = {layer.name: layer.kind for layer in design.layers}
    conv = next(layer for layer in design.layers if layer.name == "conv")
    assert kinds["pad"] == "reshape"
    assert (conv.kind, conv.in_pixels, conv.out_pixels) == ("conv2d", 14, 14)  # the 14 padded positions
    report = estimate(design)
    assert report.total.lut.bound == "" and report.total.lut.value > 0
    assert next(e for e in report.layers if e.name == "pad").lut.value == 0


@pytest.mark.parametrize("io_type, kernel, unmodelled", [("io_stream", 1, "pad"), ("io_parallel", 3, "conv")])
def test_unmodelled_padding_or_wide_conv1d_leaves_a_lower_bound_that_names_it(tmp_path, io_type, kernel, unmodelled):
    from edgenn.estimates import design_from_hls_model, estimate

    report = estimate(design_from_hls_model(convert(tmp_path, io_type, kernel)))
    assert report.total.lut.bound == "lower"
    assert report.total.notes == (f"layers not modelled (counted as zero): {unmodelled}",)
