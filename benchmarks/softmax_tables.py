"""Table size of hls4ml's softmax vs how often its class is the model's (issue 13, softmax ``table``).

Two user models with softmax heads are trained a few epochs on seeded Gaussian blobs (5 classes) and exported with
``export.softmax: table`` while the cap on the table step (``softmax_tables.MAX_FRACTION_BITS``) varies: 6 is
hls4ml's own default (1024 entries, step 1/64). Printed per model and cap: logits' fraction bits, table entries,
``softmax_argmax_agreement`` (the firmware's class in C simulation vs the class of the exact reference's logits) on
the validation rows, and the estimated BRAM of the softmax.

    PYTHONPATH=. python benchmarks/softmax_tables.py [--rows 20000] [--caps 6 8 10 12]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np


def _blobs(rows: int, features: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.0, (5, features))
    y = rng.integers(0, 5, rows)
    return (centres[y] + rng.normal(0, 1.0, (rows, features))).astype(np.float32), y


def _tagger(features: int):
    """The public 6-bit QKeras jet-tagging baseline's shape (QDense + BatchNormalization + quantized_relu)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = quantized_bits(6, 0, alpha=1)
    layers = []
    for i, width in enumerate((64, 32, 32)):
        kw = {"input_shape": (features,)} if i == 0 else {}
        layers += [QDense(width, kernel_quantizer=q, bias_quantizer=q, name=f"fc{i + 1}", **kw),
                   tf.keras.layers.BatchNormalization(name=f"bn{i + 1}"),
                   QActivation(quantized_relu(6), name=f"relu{i + 1}")]
    layers += [QDense(5, kernel_quantizer=q, bias_quantizer=q, name="output"),
               tf.keras.layers.Activation("softmax", name="softmax")]
    return tf.keras.Sequential(layers, name="tagger_6bit_bn")


def _mlp(features: int):
    """A small QKeras MLP with an 8-bit input quantizer and no BatchNorm (logits exact by construction)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = quantized_bits(8, 0, alpha=1)
    return tf.keras.Sequential([
        QActivation(quantized_bits(10, 4, alpha=1), input_shape=(features,), name="q_in"),
        QDense(32, kernel_quantizer=q, bias_quantizer=q, name="fc1"), QActivation(quantized_relu(8, 3), name="r1"),
        QDense(5, kernel_quantizer=q, bias_quantizer=q, name="fc2"),
        tf.keras.layers.Activation("softmax", name="softmax")], name="mlp_8bit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--caps", type=int, nargs="+", default=[6, 8, 10, 12])
    args = parser.parse_args()
    import tensorflow as tf

    from edgenn.exporters import softmax_tables
    from edgenn.runners.export import ExportRequest, run_export

    work = Path(tempfile.mkdtemp(prefix="softmax_tables_"))
    print("| model | logits type | cap (fraction bits) | table entries | softmax_argmax_agreement | rows | "
          "softmax BRAM (estimate) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for build in (_tagger, _mlp):
        tf.keras.utils.set_random_seed(0)
        x, y = _blobs(args.rows + 5000, 16, seed=1)
        model = build(16)
        model.compile(optimizer=tf.keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
        model.fit(x[args.rows:], y[args.rows:], epochs=5, batch_size=128, verbose=0)
        model.save(work / f"{model.name}.h5")
        np.savez(work / f"{model.name}.npz", x=x[: args.rows], y=y[: args.rows])
        for cap in args.caps:
            softmax_tables.MAX_FRACTION_BITS = cap
            report = run_export(ExportRequest(source=work / f"{model.name}.h5", data=work / f"{model.name}.npz",
                                              out=work / f"{model.name}_{cap}", softmax="table"),
                                progress=False).report
            layers = {layer["name"]: layer for layer in report["precision"]["layers"]}
            logits = layers[report["precision"]["logits_layer"]]["types"]["result"]["type"]
            bram = next(e["bram"]["value"] for e in report["resources"]["layers"] if e["name"] == "softmax")
            agreement = report["figures"]["softmax_argmax_agreement"]["value"]
            print(f"| {model.name} | {logits} | {cap} | {layers['softmax']['table_size']} | {agreement:.5f} | "
                  f"{report['bitexact']['num_samples']} | {bram:g} |", flush=True)


if __name__ == "__main__":
    main()
