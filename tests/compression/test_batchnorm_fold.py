"""edgenn compress MODEL.h5 --data train.npz --fold-batchnorm: the public 6-bit QKeras jet-tagger baseline
(Sequential, BatchNorm after each hidden QDense) becomes a model without BatchNorm whose export is 100 % exact
(issue 13 Done-when)."""

from __future__ import annotations

import json

import numpy as np
import pytest


def _blobs(rows, seed=1):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.0, (5, 16))
    y = rng.integers(0, 5, rows)
    return (centres[y] + rng.normal(0, 1.0, (rows, 16))).astype(np.float32), y


def _baseline(bn_after_relu: bool = False):
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = quantized_bits(6, 0, alpha=1)
    layers = []
    for i, width in enumerate((32, 16)):
        kw = {"input_shape": (16,)} if i == 0 else {}
        layers += [QDense(width, kernel_quantizer=q, bias_quantizer=q, name=f"fc{i + 1}", **kw),
                   tf.keras.layers.BatchNormalization(name=f"bn{i + 1}"),
                   QActivation(quantized_relu(6), name=f"relu{i + 1}")]
    if bn_after_relu:
        layers.append(tf.keras.layers.BatchNormalization(name="bn_late"))
    layers += [QDense(5, kernel_quantizer=q, bias_quantizer=q, name="output"),
               tf.keras.layers.Activation("softmax", name="softmax")]
    return tf.keras.Sequential(layers, name="baseline_bn")


def _cli(args):
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    return CliRunner().invoke(app, ["--no-progress", *args])


def test_fold_plan_folds_batchnorm_after_qdense_only():
    from edgenn.compression.batchnorm_fold import fold_batchnorm
    from edgenn.flatten import flatten_model

    model = flatten_model(_baseline(bn_after_relu=True))
    folded, plan, kept = fold_batchnorm(model)
    assert plan == {"fc1": "bn1", "fc2": "bn2"} and kept == ["bn_late"]
    assert [lay.name for lay in folded.layers if type(lay).__name__ == "BatchNormalization"] == ["bn_late"]
    # folding alone (before fine-tuning) computes the same network up to the re-quantized weights
    x, _ = _blobs(200)
    assert np.mean(folded.predict(x, verbose=0).argmax(1) == model.predict(x, verbose=0).argmax(1)) > 0.5


def test_fine_tuning_without_labels_is_refused(tmp_path):
    _baseline().save(tmp_path / "m.h5")
    np.savez(tmp_path / "t.npz", x=_blobs(50)[0])
    res = _cli(["compress", str(tmp_path / "m.h5"), "--data", str(tmp_path / "t.npz"), "--fold-batchnorm"])
    assert res.exit_code == 2 and "needs labels" in res.output and "Traceback" not in res.output


@pytest.mark.slow  # trains, fine-tunes and compiles two C simulations (~2 min on 2 cores)
def test_folded_baseline_exports_exactly(tmp_path):
    import tensorflow as tf

    x, y = _blobs(6000)
    tf.keras.utils.set_random_seed(0)
    model = _baseline()
    model.compile(optimizer=tf.keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    model.fit(x[2000:], y[2000:], epochs=5, batch_size=128, verbose=0)
    model.save(tmp_path / "tagger.h5")
    np.savez(tmp_path / "train.npz", x=x[2000:], y=y[2000:])
    np.savez(tmp_path / "val.npz", x=x[:2000], y=y[:2000])
    res = _cli(["compress", str(tmp_path / "tagger.h5"), "--data", str(tmp_path / "train.npz"), "--fold-batchnorm",
                "--epochs", "3", "--out", str(tmp_path / "folded.h5")])
    assert res.exit_code == 0, res.output[-3000:]
    record = json.loads((tmp_path / "folded.fold.json").read_text())
    assert record["folded"] == ["bn1", "bn2"] and record["accuracy_tuned"] > record["accuracy_before"] - 0.05
    reports = {}
    for name in ("tagger", "folded"):
        res = _cli(["export", str(tmp_path / f"{name}.h5"), "--data", str(tmp_path / "val.npz"), "--out",
                    str(tmp_path / f"{name}_fpga"), "--no-report"])
        assert res.exit_code == 0, res.output[-3000:]
        reports[name] = json.loads((tmp_path / f"{name}_fpga" / "report.json").read_text())["bitexact"]
    assert not reports["tagger"]["outputs"][0]["bit_exact_expected"]  # BatchNorm rounds: measured
    assert reports["folded"]["outputs"][0]["bit_exact_expected"] and reports["folded"]["exact_fraction"] == 1.0
