"""Nearest-neighbour UpSampling2D in io_stream, against csynth's per-instance figures of the one corpus design that
has it (ChiRuiChen/AutoEncoder_hls4ml): each of its three layers rebuilt alone with its geometry and data type."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[2]
KEY = "chiruichen_autoencoder_dd6f3c2"


# (input height = width, channels) of the corpus design's three UpSampling2D(2) layers, in config order
GEOMETRIES = ((4, 4), (8, 4), (16, 8))


def _corpus_entry() -> dict:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synthesis_corpus import load_corpus

    return next(e for e in load_corpus(ROOT / "corpus" / "synthesis") if e["id"] == KEY)


def _resize_instances(entry: dict) -> list[dict]:
    found = [i for i in entry["instances"] if i["module"].startswith("resize_nearest")]
    return sorted(found, key=lambda i: int(re.search(r"config(\d+)", i["module"])[1]))


def _upsampling(tmp_path, side: int, chan: int, io_type: str = "io_stream"):
    """An UpSampling2D(2) of the corpus design's geometry and data type (its HLSConfig: ap_fixed<32,16>), converted
    by hls4ml 1.3 for its part and clock: the layer's spec and estimate depend on nothing else."""
    tf = pytest.importorskip("tensorflow")
    hls4ml = pytest.importorskip("hls4ml")
    from edgenn.estimates import design_from_hls_model, estimate

    inp = tf.keras.layers.Input((side, side, chan), name="inp")
    model = tf.keras.Model(inp, tf.keras.layers.UpSampling2D(2, name="up")(inp))
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="model", backend="Vivado",
                                               default_precision="ap_fixed<32,16>")
    hls = hls4ml.converters.convert_from_keras_model(
        model, hls_config=cfg, output_dir=str(tmp_path / f"{io_type}_{side}_{chan}"), backend="Vivado",
        io_type=io_type, part="xc7z020clg400-1", clock_period=5)
    design = design_from_hls_model(hls)
    return design, estimate(design)


def test_streamed_upsampling_takes_one_cycle_per_output_pixel_and_buffers_one_input_row(tmp_path):
    from edgenn.estimates.analytic import DEFAULT_CONSTANTS
    from edgenn.estimates.resample import mux_luts
    from edgenn.estimates.streams import looping_processes

    instances = _resize_instances(_corpus_entry())
    assert len(instances) == len(GEOMETRIES)
    for (side, chan), inst in zip(GEOMETRIES, instances):
        design, report = _upsampling(tmp_path, side, chan)
        spec = next(layer for layer in design.layers if layer.name == "up")
        est = next(e for e in report.layers if e.name == "up")
        assert (spec.kind, spec.in_width, spec.n_chan, spec.result_width) == ("upsample", side, chan, 32)
        assert "up" in looping_processes(design)[1]  # its loop control is an element-wise process's
        assert est.latency_cycles.value == inst["latency_cycles"]  # output pixels + 2, exactly
        assert est.ff.value == side * chan * 32
        assert est.ff.value == pytest.approx(inst["ff"], rel=0.06)  # the row buffer is the instance's FF
        assert est.lut.value == mux_luts(side) * chan * 32
        # datapath + the element-wise control every looping copy process carries (streams.py): within 20 %
        assert est.lut.value + DEFAULT_CONSTANTS.stream_elementwise_control_lut == pytest.approx(inst["lut"], rel=0.2)
        assert report.total.lut.bound != "lower"


def test_mux_luts_follow_lut6_and_muxf_packing():
    from edgenn.estimates.resample import mux_luts

    assert [mux_luts(n) for n in (1, 2, 4, 8, 16, 32)] == [0, 1, 1, 2, 4, 9]


def test_io_parallel_upsampling_stays_unmodelled(tmp_path):
    tf = pytest.importorskip("tensorflow")
    hls4ml = pytest.importorskip("hls4ml")
    from edgenn.estimates import design_from_hls_model, estimate

    inp = tf.keras.layers.Input((4, 4, 2), name="inp")
    out = tf.keras.layers.UpSampling2D(2, name="up")(inp)
    model = tf.keras.Model(inp, out)
    kinds = {}
    for io_type in ("io_parallel", "io_stream"):
        cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado")
        hls = hls4ml.converters.convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path / io_type),
                                                          backend="Vivado", io_type=io_type, clock_period=5)
        design = design_from_hls_model(hls)
        kinds[io_type] = ({layer.name: layer.kind for layer in design.layers}["up"], estimate(design).total)
    assert kinds["io_parallel"][0] == "other" and kinds["io_parallel"][1].lut.bound == "lower"
    assert kinds["io_stream"][0] == "upsample" and kinds["io_stream"][1].lut.bound != "lower"
    assert kinds["io_stream"][1].latency_cycles.value >= 8 * 8  # every output pixel once
