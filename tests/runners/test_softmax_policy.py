"""Softmax policy per export: drop gives exact logits, argmax an exact one-hot class, table a measured agreement."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
qkeras = pytest.importorskip("qkeras")
from qkeras import QActivation, QDense, quantized_bits, quantized_relu  # noqa: E402

from edgenn.runners.export import ExportRequest, run_export  # noqa: E402


@pytest.fixture(scope="module")
def user_model(tmp_path_factory):
    tf.keras.utils.set_random_seed(11)
    inp = tf.keras.Input((8,), name="x")
    h = QActivation(quantized_bits(8, 2, alpha=1), name="q_in")(inp)
    h = QDense(8, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1),
               name="fc1")(h)
    h = QActivation(quantized_relu(6, 2), name="relu1")(h)
    h = QDense(4, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1),
               name="fc2")(h)
    model = tf.keras.Model(inp, tf.keras.layers.Activation("softmax", name="sm")(h))
    d = tmp_path_factory.mktemp("softmax_policy")
    model.save(d / "m.h5")
    np.savez(d / "val.npz", x=np.random.default_rng(2).normal(0, 2, (3000, 8)))
    return d


@pytest.mark.parametrize("policy", ["drop", "argmax", "table"])
def test_softmax_policy(user_model, policy):
    d = user_model
    report = run_export(ExportRequest(source=d / "m.h5", data=d / "val.npz", out=d / policy, softmax=policy),
                        progress=False).report
    b, figs = report["bitexact"], report["figures"]
    assert b["exact_fraction"] == 1.0 and report["bitexact"]["reference_kind"].startswith("exact reference")
    agreement = figs["softmax_argmax_agreement"]["value"]
    if policy == "drop":
        assert report["precision"]["output_layer"] == "fc2" and len(b["outputs"]) == 1 and agreement == 1.0
    elif policy == "argmax":
        out = b["outputs"][1]
        assert out["exact_fraction"] == 1.0 and out["bit_exact_expected"] and agreement == 1.0
    else:
        assert not b["outputs"][1]["bit_exact_expected"]
        # tables sized from the logits' LSB (exporters.softmax_tables): the firmware's class is the model's
        assert agreement >= 0.999
        layers = {layer["name"]: layer for layer in report["precision"]["layers"]}
        assert layers["sm"]["table_size"] > 1024  # finer than hls4ml's default step of 1/64
    _check_budget_line(d / policy, agreement)


def _check_budget_line(export_dir, agreement):
    """softmax_argmax_agreement is a budget key: `edgenn check` passes a limit the figure meets, fails one it misses."""
    from edgenn.api import check

    (export_dir.parent / "ok.yml").write_text(f"softmax_argmax_agreement: {{min: {agreement}, method: [csim]}}\n")
    # a limit the figure misses: a higher minimum while one fits in [0, 1] (the budget refuses a fraction above 1),
    # else a maximum just below it
    tight = f"min: {agreement + 1e-9}" if agreement + 1e-9 <= 1.0 else f"max: {agreement - 1e-6}"
    (export_dir.parent / "tight.yml").write_text(f"softmax_argmax_agreement: {{{tight}}}\n")
    assert check(export_dir, export_dir.parent / "ok.yml").passed
    assert not check(export_dir, export_dir.parent / "tight.yml").passed
