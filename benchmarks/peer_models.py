"""Models of hls4ml 1.3.0's own Keras-2 / QKeras tests, rebuilt here and exported through edgenn as a user would.

The models follow the layer stacks of hls4ml 1.3.0's ``test/pytest/test_qkeras.py``, ``test_keras_api.py``,
``test_binary_cnn.py``, ``test_merge.py`` and ``test_batchnorm.py`` (read from its source distribution; rebuilt
here, not copied). Each is saved to .h5 exactly as the test builds it (Sequential stays Sequential), given random
inputs of the range the test uses, and exported with ``edgenn export MODEL --data DATA --target fpga``. Printed per
model: exported?, the fraction of output values where the C simulation equals edgenn's exact reference, whether
hls4ml's own test asserts exact equality, and the reason (the report's claim, or edgenn's one-line refusal). A model
refused because a float layer holds float weights is retried with ``--ptq``, the fix the refusal names, and marked so.

    PYTHONPATH=. python benchmarks/peer_models.py [--only NAME] [--samples 200] [--out /tmp/peer_models]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

PEERS: list[tuple[str, str, bool, Callable]] = []  # (name, hls4ml test, hls4ml asserts exact, builder)


def peer(name: str, test: str, asserts_exact: bool):
    def register(fn):
        PEERS.append((name, test, asserts_exact, fn))
        return fn
    return register


def _tf():
    import tensorflow as tf
    return tf


def _rand(n, *shape, lo=0.0, hi=1.0, seed=0):
    return np.random.default_rng(seed).uniform(lo, hi, (n, *shape))


# ----- test_qkeras.py ------------------------------------------------------------------------------------------
for _bits, _alpha in ((4, 1), (4, "auto_po2")):
    def _single_dense(n, bits=_bits, alpha=_alpha):
        from qkeras import QActivation, QDense, quantized_bits, quantized_relu
        tf = _tf()
        m = tf.keras.Sequential([
            QActivation(quantized_bits(bits, 0, alpha=1), input_shape=(16,), name="inp_quant"),
            QDense(4, kernel_quantizer=quantized_bits(bits, 0, alpha=alpha), bias_quantizer=quantized_bits(bits, 0, alpha=1),
                   name="dense"),
            QActivation(quantized_relu(bits, 0), name="relu1")])
        return m, _rand(n, 16)
    peer(f"single_dense_activation_exact[{_bits},{_alpha}]", "test_qkeras.py", True)(_single_dense)

for _q in ("quantized_bits(8, 0)", "quantized_bits(8, 4)", "quantized_bits(4, 2)", "quantized_bits(4, 0)",
           "quantized_bits(10, 0)", "quantized_relu(4)", "quantized_relu(4, 2)", "quantized_relu(8)",
           "quantized_relu(8, 4)", "quantized_relu(10)", "quantized_relu(10, 5)"):
    def _quantizer(n, q=_q):
        from qkeras import QActivation
        tf = _tf()
        return tf.keras.Sequential([QActivation(input_shape=(1,), activation=q, name="quantizer")]), _rand(n, 1, lo=-1)
    peer(f"quantizer[{_q}]", "test_qkeras.py", True)(_quantizer)

for _q in ("quantized_tanh(8)", "quantized_sigmoid(5)", "quantized_sigmoid(7, use_real_sigmoid=True)"):
    def _special(n, q=_q):
        from qkeras import QActivation
        tf = _tf()
        return tf.keras.Sequential([QActivation(input_shape=(1,), activation=q, name="quantizer")]), _rand(n, 1, lo=-1)
    peer(f"quantizer_special[{_q}]", "test_qkeras.py", False)(_special)

for _q in ("quantized_relu(4, negative_slope=0.5)", "quantized_relu(8, 4, negative_slope=1.0)",
           "quantized_relu(10, 2, negative_slope=0.25)"):
    def _neg(n, q=_q):
        from qkeras import QActivation
        tf = _tf()
        return tf.keras.Sequential([QActivation(input_shape=(1,), activation=q, name="quantizer")]), _rand(n, 1, lo=-1)
    peer(f"relu_negative_slope[{_q}]", "test_qkeras.py", False)(_neg)

for _i, (_k, _b, _a, _bn) in enumerate((("ternary(alpha=1)", "quantized_bits(5, 2)", "binary_tanh", False),
                                         ("binary()", "quantized_bits(5, 2)", "binary_tanh", False),
                                         ("ternary(alpha='auto')", "quantized_bits(5, 2)", "binary()", True),
                                         ("ternary(alpha='auto')", "quantized_bits(5, 2)", "ternary", True),
                                         ("ternary(alpha='auto')", "quantized_bits(5, 2)", "ternary(threshold=0.2)", True),
                                         ("binary()", "quantized_bits(5, 2)", "binary()", False)), start=1):
    def _btnn(n, k=_k, b=_b, a=_a, bn=_bn):
        from qkeras import QActivation, QDense
        tf = _tf()
        m = tf.keras.Sequential([QDense(10, input_shape=(10,), kernel_quantizer=k, bias_quantizer=b, name="dense")])
        if bn:
            m.add(tf.keras.layers.BatchNormalization(name="bn"))
        m.add(QActivation(activation=a))
        return m, _rand(n, 10, lo=-1)
    peer(f"btnn[{_i}: {_k}, {_a}{', bn' if _bn else ''}]", "test_qkeras.py", False)(_btnn)

for _act in ("quantized_relu(2, 0)", "quantized_relu(4, 0)", "quantized_relu(8, 0)"):
    def _kwarg(n, act=_act):
        from qkeras import QDense
        tf = _tf()
        inp = tf.keras.Input((10,))
        out = QDense(10, activation=act, name="qdense", kernel_quantizer="quantized_bits(4, 0, alpha=1)",
                     bias_quantizer="quantized_bits(4, 0, alpha=1)", kernel_initializer="lecun_uniform")(inp)
        return tf.keras.Model(inp, out), _rand(n, 10, lo=-1)
    peer(f"qactivation_kwarg[{_act}]", "test_qkeras.py", False)(_kwarg)


@peer("quantizer_parsing", "test_qkeras.py", True)
def _parsing(n):
    from qkeras import QDense
    tf = _tf()
    # as the test builds it: weights initialised to ones and zeros, inputs on the 2**-10 grid (its exact ap_fixed)
    m = tf.keras.Sequential([QDense(8, input_shape=(10,), kernel_quantizer=None, bias_quantizer=None,
                                    kernel_initializer="ones", bias_initializer="zeros",
                                    activation="quantized_relu(8, 0)", name="dense")])
    return m, np.round(_rand(n, 10, lo=-1) * 2**10) * 2**-10


@peer("qconv2dbn", "test_qkeras.py", True)
def _qconv2dbn(n):
    from qkeras import QConv2DBatchnorm
    tf = _tf()
    m = tf.keras.Sequential([QConv2DBatchnorm(4, kernel_size=(3, 3), input_shape=(8, 8, 1),
                                              kernel_quantizer="quantized_bits(8, 0, alpha=1)",
                                              bias_quantizer="quantized_bits(8, 0, alpha=1)",
                                              activation="quantized_relu(8, 0)", name="qconv2dbn")])
    return m, _rand(n, 8, 8, 1)


@peer("qdepthwiseconv2d", "test_qkeras.py", False)
def _qdw(n):
    from qkeras import QDepthwiseConv2D
    tf = _tf()
    m = tf.keras.Sequential([QDepthwiseConv2D(kernel_size=(3, 3), input_shape=(32, 32, 3),
                                              depthwise_quantizer="quantized_bits(6, 0, alpha=1)",
                                              bias_quantizer="quantized_bits(4, 0, alpha=1)",
                                              activation="quantized_relu(3, 0)", name="qdw")])
    return m, _rand(n, 32, 32, 3)


@peer("quantised_po2_bit_width", "test_qkeras.py", False)
def _po2(n):
    from qkeras import QDense, quantized_po2
    tf = _tf()
    m = tf.keras.Sequential([QDense(4, input_shape=(8,), name="dense",
                                    kernel_quantizer=quantized_po2(18, max_value=2 ** 20))])
    return m, _rand(n, 8, lo=-1)


@peer("qseparableconv1d", "test_qkeras.py", True)
def _qsep(n):
    from qkeras import QSeparableConv1D, quantized_bits
    tf = _tf()
    inp = tf.keras.Input((13, 20), name="input_layer")
    out = QSeparableConv1D(5, 3, depthwise_quantizer=quantized_bits(8, 3, alpha=1),
                           pointwise_quantizer=quantized_bits(8, 3, alpha=1),
                           bias_quantizer=quantized_bits(8, 3, alpha=1), name="qsepconv_1")(inp)
    return tf.keras.Model(inp, out), np.round(_rand(n, 13, 20, lo=-1) * 128) / 128


# ----- test_keras_api.py ---------------------------------------------------------------------------------------
@peer("dense_elu", "test_keras_api.py", False)
def _dense_elu(n):
    tf = _tf()
    m = tf.keras.Sequential([tf.keras.layers.Dense(2, input_shape=(1,), name="Dense", activation="elu"),
                             tf.keras.layers.Activation(activation="elu", name="Activation")])
    return m, _rand(n, 1)


for _name, _make in (("relu", lambda tf: tf.keras.layers.Activation("relu", name="relu")),
                     ("leaky_relu", lambda tf: tf.keras.layers.LeakyReLU(alpha=1.0)),
                     ("elu", lambda tf: tf.keras.layers.ELU(alpha=1.0)),
                     ("prelu", lambda tf: tf.keras.layers.PReLU(alpha_initializer="zeros")),
                     ("sigmoid", lambda tf: tf.keras.layers.Activation("sigmoid", name="sigmoid"))):
    def _act(n, make=_make):
        tf = _tf()
        m = tf.keras.Sequential([tf.keras.layers.Dense(64, input_shape=(1,), name="Dense",
                                                       kernel_initializer="lecun_uniform"), make(tf)])
        return m, _rand(n, 1)
    peer(f"activations[{_name}]", "test_keras_api.py", False)(_act)

for _pad in ("same", "valid"):
    def _conv1d(n, pad=_pad):
        tf = _tf()
        m = tf.keras.Sequential([tf.keras.layers.Conv1D(32, 3, padding=pad, activation="relu", input_shape=(128, 4),
                                                        kernel_initializer="normal", use_bias=False),
                                 tf.keras.layers.Activation("relu")])
        return m, _rand(n, 128, 4)
    peer(f"conv1d[{_pad}]", "test_keras_api.py", False)(_conv1d)

    def _conv2d(n, pad=_pad):
        tf = _tf()
        m = tf.keras.Sequential([tf.keras.layers.Conv2D(32, (4, 4), strides=(4, 4), padding=pad,
                                                        input_shape=(28, 28, 3), kernel_initializer="normal",
                                                        use_bias=False)])
        return m, _rand(n, 28, 28, 3)
    peer(f"conv2d[{_pad}]", "test_keras_api.py", False)(_conv2d)


@peer("depthwise2d", "test_keras_api.py", False)
def _dw2d(n):
    tf = _tf()
    return tf.keras.Sequential([tf.keras.layers.DepthwiseConv2D((3, 3), input_shape=(32, 32, 3))]), _rand(n, 32, 32, 3)


@peer("depthwise1d", "test_keras_api.py", False)
def _dw1d(n):
    tf = _tf()
    return tf.keras.Sequential([tf.keras.layers.DepthwiseConv1D(3, input_shape=(32, 3))]), _rand(n, 32, 3)


for _cls in ("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D"):
    for _pad in ("valid", "same"):
        def _pool(n, cls=_cls, pad=_pad):
            tf = _tf()
            shape = (18, 15, 3) if "2D" in cls else (121, 3)
            return tf.keras.Sequential([getattr(tf.keras.layers, cls)(padding=pad, input_shape=shape)]), _rand(n, *shape)
        peer(f"pooling[{_cls},{_pad}]", "test_keras_api.py", False)(_pool)


# ----- test_binary_cnn.py --------------------------------------------------------------------------------------
@peer("binary_cnn", "test_binary_cnn.py", False)
def _binary_cnn(n):
    from qkeras import QActivation, QBatchNormalization, QConv2D, QDense
    tf = _tf()
    L = tf.keras.layers
    x_in = L.Input(shape=(28, 28, 1))
    x = QConv2D(4, (3, 3), kernel_quantizer="binary", name="conv2d_1", kernel_regularizer=None, use_bias=False)(x_in)
    x = QBatchNormalization()(x)
    x = QActivation("binary", name="act1")(x)
    x = QConv2D(8, (3, 3), kernel_quantizer="binary", name="conv2d_2", use_bias=False)(x)
    x = L.MaxPooling2D(pool_size=(2, 2))(x)
    x = QBatchNormalization()(x)
    x = QActivation("binary", name="act2")(x)
    x = QConv2D(8, (3, 3), kernel_quantizer="binary", name="conv2d_3", use_bias=False)(x)
    x = L.MaxPooling2D(pool_size=(2, 2))(x)
    x = QBatchNormalization()(x)
    x = QActivation("binary", name="act3")(x)
    x = L.Flatten()(x)
    x = QDense(10, kernel_quantizer="binary", name="q_dense_6", use_bias=False)(x)
    x = QBatchNormalization()(x)
    x = QActivation("binary_tanh", name="act4")(x)
    x = QDense(10, kernel_quantizer="binary", activation="linear", name="q_dense_7", use_bias=False)(x)
    return tf.keras.Model(x_in, x), _rand(n, 28, 28, 1)


# ----- test_merge.py / test_batchnorm.py -----------------------------------------------------------------------
for _merge in ("Add", "Average", "Maximum", "Minimum", "Multiply", "Subtract"):
    def _merge_model(n, merge=_merge):
        tf = _tf()
        a, b = tf.keras.Input((10, 3), name="inp1"), tf.keras.Input((10, 3), name="inp2")
        return tf.keras.Model([a, b], getattr(tf.keras.layers, merge)()([a, b])), [_rand(n, 10, 3, seed=1),
                                                                                 _rand(n, 10, 3, seed=2)]
    peer(f"merge[{_merge}]", "test_merge.py", False)(_merge_model)


@peer("concatenate1d", "test_merge.py", False)
def _concat1d(n):
    tf = _tf()
    a, b = tf.keras.Input((10,)), tf.keras.Input((15,))
    return tf.keras.Model([a, b], tf.keras.layers.Concatenate()([a, b])), [_rand(n, 10, seed=1), _rand(n, 15, seed=2)]


for _center in (True, False):
    def _bn(n, center=_center):
        tf = _tf()
        m = tf.keras.Sequential([tf.keras.layers.BatchNormalization(input_shape=(16,), center=center, scale=center)])
        return m, _rand(n, 16, lo=-1)
    peer(f"batchnorm[center/scale={_center}]", "test_batchnorm.py", False)(_bn)


# ----- driver --------------------------------------------------------------------------------------------------
def run_one(name: str, builder: Callable, samples: int, workdir: Path) -> tuple[bool, float | None, str, float]:
    from edgenn.errors import EdgennError
    from edgenn.runners.export import ExportRequest, run_export

    tf = _tf()
    tf.keras.utils.set_random_seed(7)
    model, x = builder(samples)
    slug = "".join(c if c.isalnum() else "_" for c in name)[:60]
    path = workdir / f"{slug}.h5"
    model.save(path)
    data = workdir / f"{slug}.npz"
    if isinstance(x, list):
        np.savez(data, x=x[0], **{f"x{i}": a for i, a in enumerate(x)})
    else:
        np.savez(data, x=x)
    start = time.perf_counter()
    try:
        try:
            result = run_export(ExportRequest(source=path, target="fpga", out=workdir / slug, data=data),
                                progress=False)
            how = ""
        except EdgennError as err:
            if "--ptq" not in str(err):
                raise
            # what the refusal tells a user to do (a float layer with float weights): the explicit quantization,
            # as hls4ml's own tests quantize their float models to its default ap_fixed<16,6>
            result = run_export(ExportRequest(source=path, target="fpga", out=workdir / slug, data=data, ptq=True),
                                progress=False)
            how = "with --ptq (the refusal's fix): "
    except EdgennError as err:
        return False, None, str(err).splitlines()[0], time.perf_counter() - start
    except Exception as err:  # noqa: BLE001  a crash is a finding: recorded, one line
        return False, None, f"CRASH {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}", \
            time.perf_counter() - start
    b = result.report["bitexact"]
    return True, float(b["exact_fraction"]), how + b["claim"], time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=None, help="run the models whose name contains this")
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    workdir = args.out or Path(tempfile.mkdtemp(prefix="peer_models_"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    print("| model | hls4ml test | exported | exact fraction | hls4ml asserts exact | reason |")
    print("|---|---|---|---:|---|---|")
    for name, test, asserts, builder in PEERS:
        if args.only and args.only not in name:
            continue
        ok, frac, reason, secs = run_one(name, builder, args.samples, workdir)
        rows.append((name, ok, frac, asserts))
        shown = "-" if frac is None else f"{frac:.4f}"
        print(f"| {name} | {test} | {'yes' if ok else 'no'} | {shown} | {'yes' if asserts else 'no'} | "
              f"{reason.replace('|', '/')[:200]} |", flush=True)
    exported = sum(r[1] for r in rows)
    exact_needed = [r for r in rows if r[3]]
    exact_ok = sum(1 for r in exact_needed if r[2] == 1.0)
    print(f"\nexported {exported}/{len(rows)} ({exported / max(len(rows), 1):.0%}); exact where hls4ml asserts "
          f"exactness: {exact_ok}/{len(exact_needed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
