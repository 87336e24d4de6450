"""Pure numpy comparison: exact equality, first diverging layer, softmax reported apart from the logits."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.errors import InvalidInputError
from edgenn.verification import FLOAT_CLAIM, build_report, compare_outputs, first_diverging_layer


def _layers(rng, broken: str | None = None, tiny_diff=False):
    out = []
    for name in ("dense_0", "relu_0", "logits", "softmax"):
        ref = rng.integers(-64, 64, size=(50, 5)) / 32.0
        fw = ref.copy()
        if name == broken:
            fw[7, 2] += 1 / 32
        if tiny_diff and name == "softmax":
            fw = fw + 1e-4
        out.append((name, ref, fw))
    return out


def test_exact_report():
    rng = np.random.default_rng(0)
    report = build_report(_layers(rng, tiny_diff=True), logits_layer="logits", output_layer="softmax",
                          bit_exact_expected=True, labels=rng.integers(0, 5, 50))
    assert report.bit_exact and report.exact_fraction == 1.0 and report.max_abs_diff == 0.0
    assert report.first_diverging_layer is None and report.num_samples == 50 and report.num_values == 250
    soft = report.outputs[1]
    assert soft.name == "softmax" and soft.exact_fraction == 0.0 and soft.max_abs_diff == pytest.approx(1e-4)
    assert report.firmware_accuracy == report.reference_accuracy
    assert report.to_dict()["bit_exact"] is True


def test_one_wrong_value_is_found_and_located():
    rng = np.random.default_rng(1)
    layers = _layers(rng, broken="relu_0")
    # relu_0's error propagates in real firmware; here logits are made to differ too
    layers[2][2][7, 2] += 1 / 32
    report = build_report(layers, logits_layer="logits", output_layer="softmax", bit_exact_expected=True)
    assert not report.bit_exact
    assert report.exact_fraction == pytest.approx(1 - 1 / 250)
    assert report.max_abs_diff == 1 / 32
    assert report.first_diverging_layer == "relu_0"
    assert first_diverging_layer(layers[:1]) is None


def test_compare_outputs_argmax_and_shapes():
    ref = np.array([[0.1, 0.9], [0.8, 0.2]])
    stats = compare_outputs(ref, np.array([[0.1, 0.9], [0.3, 0.7]]), name="p", bit_exact_expected=False, label="x")
    assert stats.argmax_agreement == 0.5 and stats.exact_fraction == 0.5
    with pytest.raises(InvalidInputError, match="shape"):
        compare_outputs(ref, ref[:1], name="p", bit_exact_expected=False, label="x")


def test_float_model_is_labelled():
    rng = np.random.default_rng(2)
    report = build_report(_layers(rng), logits_layer="logits", output_layer="logits", bit_exact_expected=False)
    assert report.claim == FLOAT_CLAIM and len(report.outputs) == 1
