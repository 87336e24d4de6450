"""QONNX jet MLP benchmark (issue 18): a Brevitas-style quantized 16-64-32-32-5 jet tagger in QONNX -> fpga.

Without torch: the network is trained quantization-aware with QKeras using exactly the quantizers Brevitas' fixed-point
presets export (per-tensor power-of-two scales: 8-bit input on 2**-3, 4-bit weights on 2**-3, 8-bit biases on 2**-4,
6-bit unsigned ReLU activations on 2**-3), then written as the QONNX graph Brevitas' ``export_qonnx`` produces
(``edgenn.qonnx.brevitas_graphs``: Quant on the input, Gemm(x, Quant(W), Quant(b)) with transB=1, Relu -> unsigned
Quant), with the *float* weights in the initializers, as Brevitas stores them. It checks that the exact evaluation of
that QONNX graph equals the exact reference of the QKeras model on every held-out jet (the two are one model), then
runs ``edgenn export model.onnx --data val.npz --target fpga`` and ``edgenn check`` with
firmware/budgets/qonnx_jet_mlp.yml, and prints the BENCHMARKS.md row::

    edgenn data generate jets --out data/jets3k --jets-per-class 3000 --fast
    python benchmarks/qonnx_jet_mlp.py --data data/jets3k --out firmware/qonnx_jet_mlp

For real Brevitas exports (torch + brevitas in a separate environment) see benchmarks/brevitas_export.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

INPUT_BITS, INPUT_INTEGER = 8, 4      # QKeras quantized_bits(8, 4): step 2**-3, the QONNX input Quant
WEIGHT_BITS, WEIGHT_INTEGER = 4, 0    # quantized_bits(4, 0): step 2**-3, codes -8..7 (not narrow)
BIAS_BITS, BIAS_INTEGER = 8, 3        # quantized_bits(8, 3): step 2**-4
ACT_BITS, ACT_INTEGER = 6, 3          # quantized_relu(6, 3): step 2**-3, codes 0..63
HIDDEN = (64, 32, 32)


def _step(bits: int, integer: int, signed: bool = True) -> float:
    return 2.0 ** (integer - (bits - (1 if signed else 0)))


def build_qkeras(num_features: int, num_classes: int):
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    x = inp = tf.keras.Input((num_features,), name="inputs")
    x = QActivation(quantized_bits(INPUT_BITS, INPUT_INTEGER, alpha=1), name="input_quant")(x)
    for i, units in enumerate((*HIDDEN, num_classes)):
        x = QDense(units, kernel_quantizer=quantized_bits(WEIGHT_BITS, WEIGHT_INTEGER, alpha=1),
                   bias_quantizer=quantized_bits(BIAS_BITS, BIAS_INTEGER, alpha=1), name=f"fc{i}")(x)
        if i < len(HIDDEN):
            x = QActivation(quantized_relu(ACT_BITS, ACT_INTEGER), name=f"relu{i}")(x)
    return tf.keras.Model(inp, x, name="qonnx_jet_mlp")


def to_qonnx(model):
    from edgenn.qonnx.brevitas_graphs import mlp_graph

    dense = [layer for layer in model.layers if type(layer).__name__ == "QDense"]
    weights = [layer.get_weights()[0] for layer in dense]
    biases = [layer.get_weights()[1] for layer in dense]
    return mlp_graph(weights, biases, weight_bits=WEIGHT_BITS, act_bits=ACT_BITS, input_bits=INPUT_BITS,
                     input_scale=_step(INPUT_BITS, INPUT_INTEGER), act_scale=_step(ACT_BITS, ACT_INTEGER, False),
                     bias_bits=BIAS_BITS, weight_scales=[_step(WEIGHT_BITS, WEIGHT_INTEGER)] * len(dense),
                     narrow_weights=False, bias_scales=[_step(BIAS_BITS, BIAS_INTEGER)] * len(dense))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="edgenn jet dataset directory (jets.h5)")
    parser.add_argument("--out", type=Path, default=Path("firmware/qonnx_jet_mlp"))
    parser.add_argument("--train-fraction", type=float, default=0.3)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import onnx
    import tensorflow as tf

    from edgenn.datasets.jet_data import load_jets
    from edgenn.qonnx.evaluate import evaluate_qonnx
    from edgenn.reference import evaluate
    from edgenn.seeding import seed_everything
    from edgenn.datasets import HLF16

    seed_everything(args.seed)
    jets = load_jets(args.data)
    order = np.random.default_rng(args.seed).permutation(len(jets.labels))
    n_train = int(args.train_fraction * len(order))
    train, test = order[:n_train], order[n_train:]
    features = jets.features[:, [jets.feature_names.index(name) for name in HLF16]]  # hls4ml's 16 HLF inputs
    mean, std = features[train].mean(0), features[train].std(0) + 1e-6
    x = ((features - mean) / std).astype(np.float32)
    y = jets.labels

    model = build_qkeras(x.shape[1], len(jets.class_names))
    model.compile(tf.keras.optimizers.Adam(3e-3), tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    t0 = time.perf_counter()
    model.fit(x[train], y[train], epochs=args.epochs, batch_size=128, validation_split=0.15, verbose=0,
              callbacks=[tf.keras.callbacks.EarlyStopping(patience=8, restore_best_weights=True)])
    train_s = time.perf_counter() - t0

    args.out.mkdir(parents=True, exist_ok=True)
    graph = to_qonnx(model)
    onnx.save(graph, args.out / "qonnx_jet_mlp.onnx")
    np.savez(args.out / "val.npz", x=x[test], y=y[test])
    ref = evaluate(model, x[test].astype(np.float64))
    keras_logits = ref.outputs[ref.output_names[0]]
    q = evaluate_qonnx(graph, x[test].astype(np.float64))
    qonnx_logits = q.values[q.output_names[0]]
    same = float(np.mean(keras_logits == qonnx_logits))

    edgenn = [sys.executable, "-c", "from edgenn.cli.app import main; main()"]  # the CLI of this interpreter
    fw = args.out / "fpga"
    t0 = time.perf_counter()
    subprocess.run([*edgenn, "--no-progress", "export", str(args.out / "qonnx_jet_mlp.onnx"), "--data",
                    str(args.out / "val.npz"), "--target", "fpga", "--out", str(fw)], check=True)
    export_s = time.perf_counter() - t0
    budget = Path(__file__).resolve().parents[1] / "firmware" / "budgets" / "qonnx_jet_mlp.yml"
    check = subprocess.run([*edgenn, "--no-progress", "check", str(fw), "--budget", str(budget)])
    report = json.loads((fw / "report.json").read_text())
    f, b = report["figures"], report["bitexact"]
    print(json.dumps({"train_rows": len(train), "test_rows": len(test), "train_seconds": round(train_s, 1),
                      "qkeras_vs_qonnx_exact_fraction": same, "export_seconds": round(export_s, 1),
                      "check_exit_code": check.returncode}, indent=1))
    print("| model | samples | bit-exact | accuracy | LUT | FF | DSP | latency (ns) | II | check |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    print(f"| QONNX jet MLP 16-64-32-32-5 (4-bit W, 6-bit act, po2) | {b['num_samples']} | "
          f"{b['exact_fraction']:.2%} | {f['accuracy']['value']:.4f} | {f['lut']['value']:,.0f} | {f['ff']['value']:,.0f} | "
          f"{f['dsp']['value']} | {f['latency_ns']['value']:g} | {f['ii_cycles']['value']} | "
          f"{'pass' if check.returncode == 0 else 'FAIL'} |")
    return 0 if same == 1.0 and b["exact_fraction"] == 1.0 and check.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
