"""RTL trace of the particle-set families (Deep Sets, jedi_linear) and the layers they are built from: the da4ml
function and da4ml's interpreter of the traced adder graph equal the exact reference (``edgenn.reference``) on every
row; (slow) the verilated jedi_linear is bit-exact too, at II 1, with the latency da4ml declares.

Tiny builds (4 particles x 3 features, 4-wide layers) keep tracing to seconds; the shipped N = 16 recipes are
exported end to end by ``edgenn export runs/<run> --target rtl`` (BENCHMARKS.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import UnsupportedModelError
from edgenn_testing import quantized_family_model

N, P, CLASSES = 4, 3, 3
CASES = {
    "deepsets_mean": ("deepsets", {"phi": [4, 4], "head": [4], "pooling": "mean"}),
    "deepsets_max": ("deepsets", {"phi": [4], "head": [4], "pooling": "max"}),
    "jedi_linear": ("jedi_linear", {"phi": [4], "node": [4], "head": [4]}),
}


def family_model(case: str, seed: int = 0):
    from edgenn.config.recipe import QatSpec, QuantBits

    family, params = CASES[case]
    qat = QatSpec(input=QuantBits(bits=8, integer=3), weight=QuantBits(bits=4, integer=1))
    return quantized_family_model(family, params, (N, P), CLASSES, qat, seed)


def rows(num: int, seed: int = 1) -> np.ndarray:
    """Constituents over (and past) the input type's range, some jets zero-padded after a few particles."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-9, 9, (num, N, P))
    x[np.arange(N)[None, :] >= rng.integers(1, N + 1, size=num)[:, None]] = 0.0
    return x


def exact_logits(model, precision, xq: np.ndarray) -> np.ndarray:
    from edgenn.reference import EXACT_KIND, evaluate

    ref = evaluate(model, xq)
    assert ref.kind(precision.logits_layer) == EXACT_KIND
    return ref.outputs[precision.logits_layer].reshape(len(xq), -1)


def traced(model, xq: np.ndarray):
    """(precision, numpy function, da4ml adder graph) of ``model``."""
    from da4ml.trace import FixedVariableArrayInput, comb_trace

    from edgenn.exporters.precision import derive_precisions
    from edgenn.exporters.rtl_trace import model_function

    precision = derive_precisions(model, x_calibration=xq.astype(np.float32))
    fn = model_function(model, precision)
    inp = FixedVariableArrayInput(tuple(model.input_shape[1:]))
    return precision, fn, comb_trace(inp, fn(inp))


@pytest.mark.parametrize("case", sorted(CASES))
def test_family_trace_and_adder_graph_equal_the_exact_reference(case):
    model = family_model(case)
    x = rows(3000)
    precision, fn, comb = traced(model, x)
    xq = precision.input.quantize(x)
    want = exact_logits(model, precision, xq)
    assert len(np.unique(want, axis=0)) > 100  # a real test: the logits vary from row to row
    assert np.array_equal(fn(xq), want)
    assert np.array_equal(comb.predict(xq.reshape(len(xq), -1)), want)


def test_merges_permute_and_concatenate_equal_the_exact_reference():
    """Every element-wise merge on per-particle tensors, a Permute and a Concatenate along each axis in one graph."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits

    from edgenn.reference import evaluate

    inp = tf.keras.Input((N, P), name="x")
    q = QActivation(quantized_bits(8, 3, alpha=1), name="q")(inp)

    def dense(units, name, seed):
        layer = QDense(units, kernel_quantizer=quantized_bits(4, 1, alpha=1), bias_quantizer=quantized_bits(6, 2,
                       alpha=1), name=name)
        y = layer(q)
        rng = np.random.default_rng(seed)
        layer.set_weights([layer.kernel_quantizer_internal(rng.normal(0, 0.6, w.shape).astype(np.float32)).numpy()
                           if i == 0 else layer.bias_quantizer_internal(rng.normal(0, 1, w.shape).astype(np.float32))
                           .numpy() for i, w in enumerate(layer.get_weights())])
        return y

    a, b = dense(P, "a", 1), dense(P, "b", 2)
    merged = [cls(name=cls.__name__.lower())([a, b]) for cls in
              (tf.keras.layers.Add, tf.keras.layers.Subtract, tf.keras.layers.Average, tf.keras.layers.Maximum,
               tf.keras.layers.Minimum)]
    wide = tf.keras.layers.Concatenate(axis=-1, name="cat_features")(merged)
    tall = tf.keras.layers.Concatenate(axis=1, name="cat_particles")(
        [q, tf.keras.layers.Permute((2, 1), name="swap")(tf.keras.layers.Permute((2, 1), name="swap0")(a))])
    pooled = tf.keras.layers.Concatenate(name="both")([tf.keras.layers.GlobalMaxPooling1D(name="gmax")(wide),
                                                       tf.keras.layers.GlobalAveragePooling1D(name="gavg")(tall)])
    logits = QDense(2, kernel_quantizer=quantized_bits(4, 1, alpha=1), bias_quantizer=quantized_bits(6, 2, alpha=1),
                    name="logits")(pooled)
    model = tf.keras.Model(inp, logits)
    x = rows(2000, seed=5)
    precision, fn, comb = traced(model, x)
    xq = precision.input.quantize(x)
    ref = evaluate(model, xq)
    want = ref.outputs["logits"].reshape(len(xq), -1)
    assert ref.is_exact("logits") and len(np.unique(want, axis=0)) > 100
    assert np.array_equal(fn(xq), want)
    assert np.array_equal(comb.predict(xq.reshape(len(xq), -1)), want)


def test_mean_pooling_over_a_count_that_is_not_a_power_of_two_is_refused_by_name():
    import tensorflow as tf

    from edgenn.exporters.rtl_sets import trace_global_average

    pool = tf.keras.layers.GlobalAveragePooling1D(name="pool")
    pool(tf.keras.Input((3, 4)))
    with pytest.raises(UnsupportedModelError, match=r"'pool' \(GlobalAveragePooling1D\): mean over 3 elements"):
        trace_global_average(pool, None, 0)


@pytest.mark.slow
def test_verilated_jedi_linear_is_bit_exact_back_to_back_at_ii_1(tmp_path):
    """The whole graph in Verilog: Verilator equals the exact reference on 3,000 rows fed one per clock cycle."""
    from edgenn.errors import ExternalToolError
    from edgenn.exporters.cycle_timing import measure_timing
    from edgenn.exporters.rtl import RtlSettings, export_rtl
    from edgenn.exporters.verilator import build_simulator, run_simulator, verilator_env

    try:
        verilator_env()
    except ExternalToolError as exc:
        pytest.skip(f"Verilator unavailable: {exc}")
    model = family_model("jedi_linear")
    x = rows(3000)
    prj = export_rtl(model, tmp_path / "rtl", RtlSettings(clock_period_ns=3.0), x_calibration=x.astype(np.float32))
    xq = prj.precision.input.quantize(x)
    want = exact_logits(model, prj.precision, xq)
    lib, _ = build_simulator(prj.out_dir, prj.top)
    assert np.array_equal(run_simulator(lib, prj.out_dir, prj.pipeline, xq), want)
    timing = measure_timing(lib, prj.out_dir, prj.pipeline, xq, want, 3.0)
    assert (timing.ii_cycles, timing.latency_cycles) == (1, len(prj.pipeline.solutions))
