"""A robustness sweep as a new user would run it: Keras 2 / QKeras models written the way people write them in public
trigger and edge-ML repositories, each saved (.h5, .keras or a SavedModel directory) and exported with
``edgenn export MODEL --data DATA --target fpga`` and ``--target onnx`` through the CLI.

Every outcome must be a successful export or exit 2 with one line naming the layer and the fix; anything else (a
traceback, exit 1 or 3, several lines) is a finding and is marked BAD. A model refused because it is a float model
is retried with ``--ptq``, the fix the refusal names, and the row says so.

    PYTHONPATH=. python benchmarks/user_models.py [--only NAME] [--rows 200] [--targets fpga onnx] [--out DIR]
        [--shard 0/2]   # and --shard 1/2 in a second process
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

MODELS: list[tuple[str, str, Callable]] = []  # (name, save format, builder -> (model, x))


def user_model(name: str, fmt: str = "h5"):
    def register(fn):
        MODELS.append((name, fmt, fn))
        return fn
    return register


def _k():
    import tensorflow as tf
    return tf.keras


def _x(n, *shape, lo=-2.0, hi=2.0, seed=1):
    return np.random.default_rng(seed).uniform(lo, hi, (n, *shape)).astype(np.float32)


def _qmlp_layers(first_kw):
    from qkeras import QActivation, QDense

    return [QDense(32, kernel_quantizer="quantized_bits(6,0,alpha=1)", bias_quantizer="quantized_bits(6,0,alpha=1)",
                   name="fc1", **first_kw),
            QActivation("quantized_relu(6)", name="relu1"),
            QDense(5, kernel_quantizer="quantized_bits(6,0,alpha=1)", bias_quantizer="quantized_bits(6,0,alpha=1)",
                   name="output")]


# ----- how Sequential models are started ------------------------------------------------------------------------
# the 6-bit weight and bias quantizers most models of the sweep use, written as users write them (strings)
Q6 = dict(kernel_quantizer="quantized_bits(6,0,alpha=1)", bias_quantizer="quantized_bits(6,0,alpha=1)")


@user_model("seq_input_shape_kwarg")
def _m1(n):
    k = _k()
    return k.Sequential(_qmlp_layers({"input_shape": (16,)}) + [k.layers.Activation("softmax")]), _x(n, 16)


@user_model("seq_explicit_Input")
def _m2(n):
    k = _k()
    return k.Sequential([k.Input((16,)), *_qmlp_layers({}), k.layers.Activation("softmax")]), _x(n, 16)


@user_model("seq_InputLayer")
def _m3(n):
    k = _k()
    return k.Sequential([k.layers.InputLayer(input_shape=(16,)), *_qmlp_layers({}), k.layers.Softmax()]), _x(n, 16)


@user_model("seq_keras_v3_file", "keras")
def _m4(n):
    k = _k()
    return k.Sequential(_qmlp_layers({"input_shape": (16,)})), _x(n, 16)


@user_model("seq_savedmodel_dir", "tf")
def _m5(n):
    k = _k()
    return k.Sequential(_qmlp_layers({"input_shape": (16,)})), _x(n, 16)


@user_model("seq_built_by_add")
def _m6(n):
    k = _k()
    m = k.Sequential(name="tagger")
    for layer in _qmlp_layers({"input_shape": (16,)}):
        m.add(layer)
    m.add(k.layers.Activation("softmax", name="softmax"))
    return m, _x(n, 16)


# ----- functional and nested ------------------------------------------------------------------------------------
@user_model("functional_keras_file", "keras")
def _m7(n):
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu
    k = _k()
    inp = k.Input((10,), name="features")
    x = QActivation(quantized_bits(8, 3, alpha=1), name="in_q")(inp)
    x = QDense(16, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1))(x)
    x = QActivation(quantized_relu(6))(x)
    out = QDense(3, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1))(x)
    return k.Model(inp, out), _x(n, 10)


@user_model("nested_sequential_in_functional")
def _m8(n):
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu
    k = _k()
    q = dict(kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1))
    backbone = k.Sequential([QDense(16, input_shape=(12,), **q), QActivation(quantized_relu(6))], name="backbone")
    inp = k.Input((12,))
    out = k.layers.Activation("softmax")(QDense(4, **q)(backbone(inp)))
    return k.Model(inp, out), _x(n, 12)


@user_model("nested_functional_encoder")
def _m9(n):
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu
    k = _k()
    q = dict(kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1))
    e_in = k.Input((8,))
    enc = k.Model(e_in, QActivation(quantized_relu(6))(QDense(6, **q)(e_in)), name="encoder")
    inp = k.Input((8,))
    return k.Model(inp, QDense(2, **q)(enc(inp)), name="outer"), _x(n, 8)


# ----- Flatten / Reshape, Dropout, BatchNorm placements ---------------------------------------------------------
@user_model("flatten_first")
def _m10(n):
    from qkeras import QDense
    k = _k()
    return k.Sequential([k.layers.Flatten(input_shape=(4, 4)),
                         QDense(8, kernel_quantizer="quantized_bits(6,0,alpha=1)",
                                bias_quantizer="quantized_bits(6,0,alpha=1)", activation="quantized_relu(6)"),
                         QDense(3, kernel_quantizer="quantized_bits(6,0,alpha=1)",
                                bias_quantizer="quantized_bits(6,0,alpha=1)")]), _x(n, 4, 4)


@user_model("reshape_then_conv1d")
def _m11(n):
    from qkeras import QActivation, QConv1D, QDense
    k = _k()
    return k.Sequential([QActivation("quantized_bits(8,2,alpha=1)", input_shape=(24,)),
                         k.layers.Reshape((8, 3)),
                         QConv1D(4, 3, kernel_quantizer="quantized_bits(6,0,alpha=1)",
                                 bias_quantizer="quantized_bits(6,0,alpha=1)"),
                         QActivation("quantized_relu(6)"), k.layers.Flatten(),
                         QDense(2, kernel_quantizer="quantized_bits(6,0,alpha=1)",
                                bias_quantizer="quantized_bits(6,0,alpha=1)")]), _x(n, 24)


@user_model("dropout_and_bn_before_act")
def _m12(n):
    from qkeras import QActivation, QDense
    k = _k()
    q = Q6
    return k.Sequential([QDense(32, input_shape=(16,), **q), k.layers.BatchNormalization(),
                         QActivation("quantized_relu(6)"), k.layers.Dropout(0.2),
                         QDense(5, **q), k.layers.Activation("softmax")]), _x(n, 16)


@user_model("bn_after_act")
def _m13(n):
    from qkeras import QActivation, QDense
    k = _k()
    q = Q6
    return k.Sequential([QDense(16, input_shape=(16,), **q), QActivation("quantized_relu(6)"),
                         k.layers.BatchNormalization(), QDense(5, **q)]), _x(n, 16)


@user_model("dense_softmax_fused")
def _m14(n):
    from qkeras import QActivation, QDense
    k = _k()
    q = Q6
    return k.Sequential([QDense(16, input_shape=(16,), **q), QActivation("quantized_relu(6)"),
                         QDense(5, activation="softmax", **q)]), _x(n, 16)


@user_model("qdense_no_bias_quantizer")
def _m15(n):
    from qkeras import QActivation, QDense
    k = _k()
    return k.Sequential([QDense(16, input_shape=(16,), kernel_quantizer="quantized_bits(6,0,alpha=1)"),
                         QActivation("quantized_relu(6)"),
                         QDense(5, kernel_quantizer="quantized_bits(6,0,alpha=1)")]), _x(n, 16)


@user_model("quantized_bits_default_alpha")
def _m16(n):
    from qkeras import QActivation, QDense, quantized_bits
    k = _k()
    q = dict(kernel_quantizer=quantized_bits(8, 0), bias_quantizer=quantized_bits(8, 0))
    return k.Sequential([QDense(16, input_shape=(16,), **q), QActivation("quantized_relu(8)"),
                         QDense(5, **q)]), _x(n, 16)


@user_model("dense_relu_no_bias")
def _m17(n):
    from qkeras import QDense
    k = _k()
    return k.Sequential([QDense(16, input_shape=(16,), use_bias=False, activation="relu",
                                kernel_quantizer="quantized_bits(6,0,alpha=1)"),
                         QDense(1, activation="sigmoid", kernel_quantizer="quantized_bits(6,0,alpha=1)",
                                bias_quantizer="quantized_bits(6,0,alpha=1)")]), _x(n, 16)


# ----- CNNs ------------------------------------------------------------------------------------------------------
@user_model("qconv2d_maxpool_flatten_dense")
def _m18(n):
    from qkeras import QActivation, QConv2D, QDense
    k = _k()
    q = Q6
    return k.Sequential([QActivation("quantized_bits(8,0,alpha=1)", input_shape=(8, 8, 1)),
                         QConv2D(4, (3, 3), **q), QActivation("quantized_relu(6)"), k.layers.MaxPooling2D((2, 2)),
                         k.layers.Flatten(), QDense(10, **q), k.layers.Activation("softmax")]), _x(n, 8, 8, 1, lo=0)


@user_model("qconv2dbatchnorm_tutorial")
def _m19(n):
    from qkeras import QActivation, QConv2DBatchnorm, QDense
    k = _k()
    inp = k.Input((8, 8, 3))
    x = QConv2DBatchnorm(4, (3, 3), kernel_quantizer="quantized_bits(6,0,alpha=1)",
                         bias_quantizer="quantized_bits(6,0,alpha=1)", use_bias=True)(inp)
    x = QActivation("quantized_relu(6)")(x)
    x = k.layers.MaxPooling2D((2, 2))(x)
    x = k.layers.Flatten()(x)
    x = QDense(8, kernel_quantizer="quantized_bits(6,0,alpha=1)", use_bias=False)(x)
    x = k.layers.BatchNormalization()(x)
    x = QActivation("quantized_relu(6)")(x)
    return k.Model(inp, k.layers.Activation("softmax")(QDense(4, kernel_quantizer="quantized_bits(6,0,alpha=1)",
                                                              bias_quantizer="quantized_bits(6,0,alpha=1)")(x))), \
        _x(n, 8, 8, 3, lo=0, hi=1)


@user_model("conv2d_avgpool_3x3")
def _m20(n):
    from qkeras import QActivation, QConv2D, QDense
    k = _k()
    q = Q6
    return k.Sequential([QActivation("quantized_bits(8,0,alpha=1)", input_shape=(9, 9, 1)),
                         QConv2D(2, (3, 3), padding="same", **q), QActivation("quantized_relu(6)"),
                         k.layers.AveragePooling2D((3, 3)), k.layers.Flatten(), QDense(3, **q)]), \
        _x(n, 9, 9, 1, lo=0, hi=1)


@user_model("conv1d_constituents_avgpool3")
def _m21(n):
    from qkeras import QActivation, QConv1D, QDense
    k = _k()
    q = Q6
    inp = k.Input((12, 4))
    x = QActivation("quantized_bits(8,2,alpha=1)")(inp)
    x = QActivation("quantized_relu(6)")(QConv1D(8, 1, **q)(x))
    x = k.layers.AveragePooling1D(3)(x)
    x = k.layers.Flatten()(x)
    return k.Model(inp, QDense(2, **q)(x)), _x(n, 12, 4)


@user_model("conv1d_constituents_gap")
def _m22(n):
    from qkeras import QActivation, QConv1D, QDense
    k = _k()
    q = Q6
    inp = k.Input((10, 6), name="particles")
    x = QActivation("quantized_relu(6)")(QConv1D(8, 1, **q)(inp))
    x = QActivation("quantized_relu(6)")(QConv1D(8, 1, **q)(x))
    x = k.layers.GlobalAveragePooling1D()(x)
    return k.Model(inp, QDense(1, activation="sigmoid", **q)(x)), _x(n, 10, 6, lo=0)


@user_model("conv2d_channels_first")
def _m23(n):
    from qkeras import QConv2D, QDense
    k = _k()
    q = Q6
    return k.Sequential([QConv2D(2, 3, data_format="channels_first", input_shape=(1, 6, 6), **q),
                         k.layers.Flatten(), QDense(2, **q)]), _x(n, 1, 6, 6)


@user_model("variable_length_sequence")
def _m24(n):
    from qkeras import QConv1D, QDense
    k = _k()
    q = Q6
    inp = k.Input((None, 4))
    x = k.layers.GlobalMaxPooling1D()(QConv1D(4, 1, **q)(inp))
    return k.Model(inp, QDense(2, **q)(x)), _x(n, 8, 4)


# ----- branches, outputs, activations ---------------------------------------------------------------------------
@user_model("concatenate_two_branches")
def _m25(n):
    from qkeras import QActivation, QDense
    k = _k()
    q = Q6
    inp = k.Input((12,))
    a = QActivation("quantized_relu(6)")(QDense(8, **q)(inp))
    b = QActivation("quantized_tanh(6)")(QDense(4, **q)(inp))
    x = k.layers.concatenate([a, b])
    return k.Model(inp, QDense(3, activation="softmax", **q)(x)), _x(n, 12)


@user_model("two_inputs_concat")
def _m26(n):
    from qkeras import QActivation, QDense
    k = _k()
    q = Q6
    a_in, b_in = k.Input((6,), name="jets"), k.Input((3,), name="met")
    x = k.layers.Concatenate()([QActivation("quantized_relu(6)")(QDense(8, **q)(a_in)), b_in])
    return k.Model([a_in, b_in], QDense(2, **q)(x)), [_x(n, 6), _x(n, 3, seed=2)]


@user_model("float_mlp_relu_softmax")
def _m27(n):
    k = _k()
    return k.Sequential([k.layers.Dense(32, activation="relu", input_shape=(16,)),
                         k.layers.Dense(16, activation="relu"),
                         k.layers.Dense(5, activation="softmax")]), _x(n, 16)


@user_model("mixed_float_head")
def _m28(n):
    from qkeras import QActivation, QDense
    k = _k()
    return k.Sequential([QDense(16, input_shape=(16,), kernel_quantizer="quantized_bits(6,0,alpha=1)",
                                bias_quantizer="quantized_bits(6,0,alpha=1)"),
                         QActivation("quantized_relu(6)"),
                         k.layers.Dense(5), k.layers.Activation("softmax")]), _x(n, 16)


@user_model("relu6_layer_and_leaky")
def _m29(n):
    from qkeras import QDense
    k = _k()
    q = Q6
    return k.Sequential([QDense(16, input_shape=(16,), **q), k.layers.ReLU(6.0),
                         QDense(8, **q), k.layers.LeakyReLU(0.1), QDense(2, **q)]), _x(n, 16)


@user_model("dashed_layer_names")
def _m30(n):
    from qkeras import QActivation, QDense
    k = _k()
    q = Q6
    return k.Sequential([QDense(8, input_shape=(8,), name="fc-1", **q), QActivation("quantized_relu(6)", name="act-1"),
                         QDense(2, name="out.dense", **q)], name="my-model"), _x(n, 8)


@user_model("rescaling_input")
def _m31(n):
    from qkeras import QDense
    k = _k()
    return k.Sequential([k.layers.Rescaling(1 / 255.0, input_shape=(16,)),
                         QDense(4, kernel_quantizer="quantized_bits(6,0,alpha=1)",
                                bias_quantizer="quantized_bits(6,0,alpha=1)")]), _x(n, 16, lo=0, hi=255)


@user_model("dense_on_sequence")
def _m32(n):
    from qkeras import QActivation, QDense
    k = _k()
    q = Q6
    inp = k.Input((8, 3))
    x = QActivation("quantized_relu(6)")(QDense(4, **q)(inp))
    x = k.layers.GlobalMaxPooling1D()(x)
    return k.Model(inp, QDense(2, **q)(x)), _x(n, 8, 3)


@user_model("two_outputs_named")
def _m33(n):
    from qkeras import QActivation, QDense
    k = _k()
    q = Q6
    inp = k.Input((10,))
    h = QActivation("quantized_relu(6)")(QDense(8, **q)(inp))
    cls = QDense(3, activation="softmax", name="cls", **q)(h)
    reg = QDense(1, name="reg", **q)(h)
    return k.Model(inp, [cls, reg]), _x(n, 10)


@user_model("input_fixed_batch_size")
def _m34(n):
    from qkeras import QActivation, QDense
    k = _k()
    q = Q6
    inp = k.Input((16,), batch_size=1, name="inputs")
    x = QActivation("quantized_relu(6)")(QDense(8, **q)(inp))
    return k.Model(inp, QDense(3, **q)(x)), _x(n, 16)


@user_model("strided_conv_gap2d")
def _m35(n):
    from qkeras import QActivation, QConv2D, QDense
    k = _k()
    q = Q6
    return k.Sequential([QActivation("quantized_bits(8,0,alpha=1)", input_shape=(8, 8, 2)),
                         QConv2D(4, 3, strides=2, padding="same", **q), QActivation("quantized_relu(6)"),
                         k.layers.GlobalAveragePooling2D(), QDense(3, **q)]), _x(n, 8, 8, 2, lo=0, hi=1)


@user_model("keras_relu_between_qdense")
def _m36(n):
    from qkeras import QDense
    k = _k()
    q = Q6
    return k.Sequential([k.layers.InputLayer(batch_input_shape=(None, 16)), QDense(16, **q),
                         k.layers.Activation("relu"), QDense(8, **q), k.layers.ReLU(), QDense(2, **q)]), _x(n, 16)


# ----- driver ---------------------------------------------------------------------------------------------------
def _save(model, fmt: str, workdir: Path, slug: str) -> Path:
    if fmt == "tf":
        path = workdir / slug
        model.save(path, save_format="tf")
    else:
        path = workdir / f"{slug}.{fmt}"
        model.save(path)
    return path


def _invoke(args: list[str]) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    res = CliRunner().invoke(app, ["--no-progress", *args])
    crash = ""
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        crash = f"{type(res.exception).__name__}: {str(res.exception).splitlines()[0] if str(res.exception) else ''}"
    return res.exit_code, res.output, crash


def run_one(name: str, fmt: str, builder: Callable, rows: int, workdir: Path, target: str) -> dict:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(3)
    model, x = builder(rows)
    for layer in model.layers:  # trained-looking BatchNorm statistics (a fresh one is nearly the identity)
        if type(layer).__name__ == "BatchNormalization":
            rng = np.random.default_rng(0)
            c = layer.gamma.shape[0] if layer.gamma is not None else layer.moving_mean.shape[0]
            ws = [rng.uniform(0.5, 1.5, c), rng.normal(0, 0.3, c), rng.normal(0, 0.5, c), rng.uniform(0.5, 2, c)]
            layer.set_weights(ws[-len(layer.get_weights()):])
    slug = "".join(c if c.isalnum() else "_" for c in name)
    path = _save(model, fmt, workdir, slug)
    data = workdir / f"{slug}.npz"
    if isinstance(x, list):
        np.savez(data, **{f"x{i}": a for i, a in enumerate(x)})
    else:
        np.savez(data, x=x)
    out = workdir / f"{slug}_{target}"
    args = ["export", str(path), "--data", str(data), "--target", target, "--out", str(out), "--no-report"]
    start = time.perf_counter()
    code, text, crash = _invoke(args)
    how = ""
    if code == 2 and "--ptq" in text:  # the refusal's own fix
        how = "--ptq: "
        code, text, crash = _invoke([*args, "--ptq"])
    seconds = time.perf_counter() - start
    lines = [ln for ln in text.splitlines() if ln.strip()]
    row = {"model": name, "format": fmt, "target": target, "exit": code, "seconds": round(seconds, 1), "how": how}
    if code == 0:
        report = json.loads((out / "report.json").read_text())
        if target == "fpga":
            b = report["bitexact"]
            row["exact_fraction"] = b["exact_fraction"]
            row["claim"] = "exact" if b["outputs"][0]["bit_exact_expected"] else "measured"
            row["argmax"] = b.get("argmax_agreement")
        else:
            row["onnx_argmax"] = report["figures"].get("onnx_argmax_agreement", {}).get("value")
        row["verdict"] = "ok"
    else:
        one_line = code == 2 and len(lines) == 1 and "Traceback" not in text and "Fix:" in lines[0]
        row["verdict"] = "refused" if one_line else "BAD"
        row["message"] = crash or (lines[-1] if lines else "")
        if not one_line:
            row["output_tail"] = text[-1500:]
    return row


def _fewer_latency_runs(runs: int) -> None:
    import functools

    import edgenn.exporters.onnx_export as onnx_export

    onnx_export.export_onnx = functools.partial(onnx_export.export_onnx, benchmark_runs=runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=None)
    ap.add_argument("--rows", type=int, default=200)
    ap.add_argument("--targets", nargs="*", default=["fpga", "onnx"])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--shard", default="0/1", help="i/n: run every n-th model from the i-th (two processes, two cores)")
    ap.add_argument("--onnx-benchmark-runs", type=int, default=5,
                    help="batch-1 latency runs of the onnx target (its default 200 x 3 engines dominates a sweep; the "
                         "sweep checks outcomes, not latency)")
    args = ap.parse_args(argv)
    _fewer_latency_runs(args.onnx_benchmark_runs)
    shard, shards = (int(v) for v in args.shard.split("/"))
    workdir = args.out or Path(tempfile.mkdtemp(prefix="user_models_"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    print("| model | saved as | target | verdict | exit | exact fraction (claim) / onnx argmax | s | message |")
    print("|---|---|---|---|---:|---|---:|---|")
    for index, (name, fmt, builder) in enumerate(MODELS):
        if (args.only and args.only not in name) or index % shards != shard:
            continue
        for target in args.targets:
            try:
                row = run_one(name, fmt, builder, args.rows, workdir, target)
            except Exception as err:  # noqa: BLE001  a failure of the sweep itself (model build/save), recorded
                row = {"model": name, "format": fmt, "target": target, "exit": -1, "verdict": "SWEEP",
                       "message": f"{type(err).__name__}: {err}"[:200], "seconds": 0, "how": ""}
            rows.append(row)
            fig = (f"{row['exact_fraction']:.4f} ({row['claim']})" if "exact_fraction" in row
                   else f"{row['onnx_argmax']}" if "onnx_argmax" in row else "")
            print(f"| {name} | {fmt} | {target} | {row['verdict']} | {row['exit']} | {row['how']}{fig} | "
                  f"{row['seconds']} | {row.get('message', '').replace('|', '/')[:220]} |", flush=True)
    (workdir / f"rows_{shard}.json").write_text(json.dumps(rows, indent=1))
    bad = [r for r in rows if r["verdict"] in ("BAD", "SWEEP")]
    print(f"\n{len(rows)} exports: {sum(r['verdict'] == 'ok' for r in rows)} ok, "
          f"{sum(r['verdict'] == 'refused' for r in rows)} refused in one line, {len(bad)} bad; rows in "
          f"{workdir / f'rows_{shard}.json'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
