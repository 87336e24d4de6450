"""RTL target: the da4ml function of a QKeras chain equals QKeras exactly; the traced graph and Verilator agree.

A tiny model (16 -> 8 -> 5) keeps the Verilator build near 40 s; the jet MLP run is `make bench` (slow).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from edgenn.errors import UnsupportedModelError
from edgenn.exporters.fixed_point import FixedPoint

NUM_SAMPLES = 10_000


@pytest.fixture(scope="module")
def tiny(qmlp_builder):
    return qmlp_builder(hidden=(8,), sparsity=0.5, softmax=True, seed=3)


@pytest.fixture(scope="module")
def tiny_rtl(tiny, tmp_path_factory):
    from edgenn.exporters.rtl import RtlSettings, export_rtl

    return export_rtl(tiny, tmp_path_factory.mktemp("rtl") / "prj", RtlSettings(clock_period_ns=3.0))


def _inputs(fp: FixedPoint, n: int, seed: int) -> np.ndarray:
    return fp.quantize(np.random.default_rng(seed).uniform(fp.min, fp.max + fp.lsb, (n, 16)))


def _logits(model, xq):
    import tensorflow as tf

    probe = tf.keras.Model(model.inputs, model.get_layer("logits").output)
    return np.asarray(probe.predict(xq.astype(np.float32), verbose=0, batch_size=4096), np.float64)


def test_half_even_cast_equals_fixed_point_reference():
    from edgenn.exporters.rtl_trace import _cast

    # every value on a 2**-6 grid in [-8, 8): all ties of a cast to 2 fraction bits are hit
    x = np.arange(-512, 512) / 64.0
    for fp in (FixedPoint(6, 3, True, "RND_CONV", "SAT"), FixedPoint(5, 3, False, "RND_CONV", "SAT"),
               FixedPoint(6, 3, True, "RND_CONV", "SAT_SYM"), FixedPoint(6, 3, True, "RND", "SAT"),
               FixedPoint(6, 3, True, "TRN", "WRAP")):
        np.testing.assert_array_equal(_cast(x, fp, 6), fp.quantize(x), err_msg=fp.to_hls())


def test_reference_interpreter_and_estimate(tiny, tiny_rtl):
    xq = _inputs(tiny_rtl.precision.input, NUM_SAMPLES, 0)
    want = _logits(tiny, xq)
    assert np.array_equal(tiny_rtl.reference(xq), want)
    assert np.array_equal(tiny_rtl.interpret(xq), want)
    est = tiny_rtl.estimate
    assert est.lut > 0 and est.ff > 0
    # 3 adder levels per 3 ns stage: the stage count covers the adder depth
    assert est.latency_cycles == pytest.approx(np.ceil(est.adder_depth / 3), abs=1)
    assert est.figures()["dsp"]["value"] == 0 and {f["method"] for f in est.figures().values()} == {"da4ml"}
    sources = tiny_rtl.verilog_sources()
    assert all(p.is_file() for p in sources) and not any(p.name == "lookup_table.v" for p in sources)


def test_unsupported_layer_is_named(tmp_path):
    import tensorflow as tf

    from edgenn.exporters.precision import derive_precisions
    from edgenn.exporters.rtl_trace import model_function
    from qkeras import QActivation, quantized_bits

    inp = tf.keras.Input((4, 4, 1), name="x")
    x = QActivation(quantized_bits(8, 3, alpha=1), name="q")(inp)
    x = tf.keras.layers.MaxPooling2D(name="pool")(x)
    model = tf.keras.Model(inp, x)
    with pytest.raises(UnsupportedModelError, match=r"'pool' \(MaxPooling2D\)"):
        model_function(model, derive_precisions(model))


def test_an_activation_the_rtl_cannot_trace_is_refused_not_traced_as_relu():
    import tensorflow as tf

    from edgenn.exporters.precision import derive_precisions
    from edgenn.exporters.rtl_trace import model_function
    from qkeras import QActivation, QDense, quantized_bits

    inp = tf.keras.Input((4,), name="x")
    x = QActivation(quantized_bits(8, 3, alpha=1), name="q")(inp)
    x = QDense(3, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1),
               name="fc")(x)
    model = tf.keras.Model(inp, tf.keras.layers.Activation("tanh", name="act")(x))  # a table in hls4ml
    with pytest.raises(UnsupportedModelError, match=r"'act' \(Activation 'tanh'\)"):
        model_function(model, derive_precisions(model, x_calibration=np.zeros((4, 4), np.float32)))


@pytest.fixture(scope="module")
def tiny_sim(tiny_rtl, tmp_path_factory):
    """The tiny design verilated once into a fresh cache: (library, came from the cache, cache dir)."""
    from edgenn.errors import ExternalToolError
    from edgenn.exporters.verilator import build_simulator, verilator_env

    try:
        verilator_env()
    except ExternalToolError as exc:
        pytest.skip(f"Verilator unavailable: {exc}")
    cache = tmp_path_factory.mktemp("verilator_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EDGENN_CACHE_DIR", str(cache))
        lib, cached = build_simulator(tiny_rtl.out_dir, tiny_rtl.top)
    return lib, cached, cache


def test_verilator_is_bit_exact_and_cached(tiny, tiny_rtl, tiny_sim, tmp_path, monkeypatch):
    from edgenn.exporters.verilator import build_simulator, rtl_hash, run_simulator

    lib, cached, cache = tiny_sim
    monkeypatch.setenv("EDGENN_CACHE_DIR", str(cache))
    copy = tmp_path / "copy"
    shutil.copytree(tiny_rtl.out_dir, copy)
    assert rtl_hash(copy) == rtl_hash(tiny_rtl.out_dir)  # content, not location

    assert not cached
    xq = _inputs(tiny_rtl.precision.input, NUM_SAMPLES, 1)
    assert np.array_equal(run_simulator(lib, tiny_rtl.out_dir, tiny_rtl.pipeline, xq), _logits(tiny, xq))
    assert build_simulator(copy, tiny_rtl.top) == (lib, True)

    (copy / "src" / f"{tiny_rtl.top}.v").write_text((copy / "src" / f"{tiny_rtl.top}.v").read_text() + "\n// x\n")
    assert rtl_hash(copy) != rtl_hash(tiny_rtl.out_dir)


def test_cycle_by_cycle_latency_is_the_declared_pipeline_depth_at_ii_1(tiny, tiny_rtl, tiny_sim):
    """Rows fed one per clock: every output is right, and it appears exactly as many cycles after its input as da4ml
    has pipeline stages (input register = cycle 0); the cycle before, the port still holds the previous row's."""
    from edgenn.exporters.cycle_timing import measure_timing
    from edgenn.exporters.verilator import run_cycles

    lib = tiny_sim[0]
    xq = _inputs(tiny_rtl.precision.input, 2000, 4)
    want = _logits(tiny, xq)
    timing = measure_timing(lib, tiny_rtl.out_dir, tiny_rtl.pipeline, xq, want, 3.0)
    depth = len(tiny_rtl.pipeline.solutions)
    assert (timing.latency_cycles, timing.ii_cycles, timing.declared_latency_cycles) == (depth, 1, depth)
    assert timing.figures()["latency_ns"] == {"value": depth * 3.0, "unit": "ns", "method": "verilator",
                                              "note": timing.figures()["latency_ns"]["note"]}
    cycles = run_cycles(lib, tiny_rtl.out_dir, tiny_rtl.pipeline, xq, len(xq) + depth)
    assert np.array_equal(cycles[depth:], want)  # back to back: row r's logits after edge r + depth
    assert np.array_equal(cycles[depth - 1:-1][1:], want[:-1])  # one cycle earlier: the previous row's
    assert not np.array_equal(cycles[depth - 1:-1], want)


@pytest.mark.slow
def test_jet_mlp_rtl_equals_qkeras_and_csim_on_10k(qmlp, tmp_path):
    """The 16-64-32-32-5 jet MLP: Verilator (minutes to build), QKeras and hls4ml C simulation agree exactly."""
    from edgenn.exporters import HlsSettings, export_hls, simulate_csim
    from edgenn.exporters.rtl import RtlSettings, export_rtl
    from edgenn.exporters.verilator import build_simulator, run_simulator

    prj = export_rtl(qmlp, tmp_path / "rtl", RtlSettings())
    xq = _inputs(prj.precision.input, NUM_SAMPLES, 2)
    want = _logits(qmlp, xq)
    lib, _ = build_simulator(prj.out_dir, prj.top)
    assert np.array_equal(run_simulator(lib, prj.out_dir, prj.pipeline, xq), want)
    hls = export_hls(qmlp, tmp_path / "hls", HlsSettings(), precision=prj.precision)
    csim = simulate_csim(hls, qmlp, xq)
    assert np.array_equal(csim.firmware["logits"], want)
