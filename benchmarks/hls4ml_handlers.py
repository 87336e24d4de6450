"""Which Keras-2 layer classes hls4ml 1.3 converts (its registered Keras handlers) and what edgenn does with each.

For every handler class that is a ``tf.keras`` or QKeras layer, a one-layer model behind an 8-bit input quantizer is
typed by edgenn (``derive_precisions``) and evaluated by the exact reference; the table says "exact", "measured" (a
type is derived but the layer is not exact by construction) or the one-line refusal. Classes that are not layers of
these libraries (HGQ proxies, Larq's BinaryDense / TernaryDense, the model containers) are listed with the reason.
Conversion only: no C++ compile (the zoo exports each supported class to fpga with C simulation).

    PYTHONPATH=. python benchmarks/hls4ml_handlers.py
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

NOT_KERAS2 = {
    "FixedPointQuantizer": "HGQ proxy model (edgenn's HGQ route, exporters/hgq_hls.py)",
    "HGQ>FixedPointQuantizer": "HGQ proxy model (edgenn's HGQ route)", "HGQ>UnaryLUT": "HGQ proxy model",
    "UnaryLUT": "HGQ proxy model",
    "BinaryDense": "Larq layer, not tf.keras/QKeras (QDense with binary quantizers converts)",
    "TernaryDense": "Larq layer, not tf.keras/QKeras (QDense with ternary quantizers converts)",
    "InputLayer": "model input (every export)", "Sequential": "model container (flattened on load)",
    "Functional": "model container (flattened on load)",
}
RECURRENT = {"SimpleRNN", "LSTM", "GRU", "QSimpleRNN", "QLSTM", "QGRU", "Bidirectional"}


def _examples():
    """class name -> (input shape or shapes, build(inputs) -> output tensor of the layer 'under_test')."""
    import qkeras as qk
    from tensorflow.keras import layers as kl

    n = "under_test"
    q = dict(kernel_quantizer=qk.quantized_bits(6, 0, alpha=1), bias_quantizer=qk.quantized_bits(8, 3, alpha=1))
    dq = dict(depthwise_quantizer=qk.quantized_bits(6, 0, alpha=1), bias_quantizer=qk.quantized_bits(8, 3, alpha=1))
    one = {
        "Activation": ((8,), lambda x: kl.Activation("relu", name=n)(x)),
        "ReLU": ((8,), lambda x: kl.ReLU(name=n)(x)), "ELU": ((8,), lambda x: kl.ELU(name=n)(x)),
        "LeakyReLU": ((8,), lambda x: kl.LeakyReLU(0.25, name=n)(x)),
        "PReLU": ((8,), lambda x: kl.PReLU(name=n)(x)),
        "ThresholdedReLU": ((8,), lambda x: kl.ThresholdedReLU(0.5, name=n)(x)),
        "Softmax": ((5,), lambda x: kl.Softmax(name=n)(x)),
        "Dense": ((8,), lambda x: kl.Dense(4, name=n)(x)), "QDense": ((8,), lambda x: qk.QDense(4, **q, name=n)(x)),
        "BatchNormalization": ((8,), lambda x: kl.BatchNormalization(name=n)(x)),
        "QBatchNormalization": ((8,), lambda x: qk.QBatchNormalization(name=n)(x)),
        "LayerNormalization": ((4, 6), lambda x: kl.LayerNormalization(name=n)(x)),
        "Embedding": ((6,), lambda x: kl.Embedding(10, 3, name=n)(x)),
        "QActivation": ((8,), lambda x: qk.QActivation(qk.quantized_relu(6, 2), name=n)(x)),
        "Flatten": ((4, 2), lambda x: kl.Flatten(name=n)(x)),
        "Reshape": ((8,), lambda x: kl.Reshape((4, 2), name=n)(x)),
        "Permute": ((4, 2), lambda x: kl.Permute((2, 1), name=n)(x)),
        "ZeroPadding1D": ((6, 2), lambda x: kl.ZeroPadding1D(1, name=n)(x)),
        "ZeroPadding2D": ((4, 4, 2), lambda x: kl.ZeroPadding2D(1, name=n)(x)),
        "Cropping1D": ((6, 2), lambda x: kl.Cropping1D(1, name=n)(x)),
        "Cropping2D": ((5, 4, 2), lambda x: kl.Cropping2D(1, name=n)(x)),
        "UpSampling1D": ((4, 2), lambda x: kl.UpSampling1D(2, name=n)(x)),
        "UpSampling2D": ((3, 2, 2), lambda x: kl.UpSampling2D(2, name=n)(x)),
        "Conv1D": ((8, 2), lambda x: kl.Conv1D(3, 3, name=n)(x)),
        "Conv2D": ((6, 6, 2), lambda x: kl.Conv2D(3, 3, name=n)(x)),
        "QConv1D": ((8, 2), lambda x: qk.QConv1D(3, 3, **q, name=n)(x)),
        "QConv2D": ((6, 6, 2), lambda x: qk.QConv2D(3, 3, **q, name=n)(x)),
        "QConv2DBatchnorm": ((6, 6, 2), lambda x: qk.QConv2DBatchnorm(3, 3, **q, name=n)(x)),
        "DepthwiseConv1D": ((8, 2), lambda x: kl.DepthwiseConv1D(3, name=n)(x)),
        "DepthwiseConv2D": ((6, 6, 2), lambda x: kl.DepthwiseConv2D(3, name=n)(x)),
        "QDepthwiseConv2D": ((6, 6, 2), lambda x: qk.QDepthwiseConv2D(3, **dq, name=n)(x)),
        "SeparableConv1D": ((8, 2), lambda x: kl.SeparableConv1D(3, 3, name=n)(x)),
        "SeparableConv2D": ((6, 6, 2), lambda x: kl.SeparableConv2D(3, 3, name=n)(x)),
        "QSeparableConv1D": ((8, 2), lambda x: qk.QSeparableConv1D(3, 3, pointwise_quantizer=q["kernel_quantizer"],
                                                                   **dq, name=n)(x)),
        "QSeparableConv2D": ((6, 6, 2), lambda x: qk.QSeparableConv2D(3, 3, pointwise_quantizer=q["kernel_quantizer"],
                                                                      **dq, name=n)(x)),
        "MaxPooling1D": ((8, 2), lambda x: kl.MaxPooling1D(2, name=n)(x)),
        "MaxPooling2D": ((4, 4, 2), lambda x: kl.MaxPooling2D(2, name=n)(x)),
        "AveragePooling1D": ((8, 2), lambda x: kl.AveragePooling1D(2, name=n)(x)),
        "AveragePooling2D": ((4, 4, 2), lambda x: kl.AveragePooling2D(2, name=n)(x)),
        "GlobalMaxPooling1D": ((8, 2), lambda x: kl.GlobalMaxPooling1D(name=n)(x)),
        "GlobalMaxPooling2D": ((4, 4, 2), lambda x: kl.GlobalMaxPooling2D(name=n)(x)),
        "GlobalAveragePooling1D": ((8, 2), lambda x: kl.GlobalAveragePooling1D(name=n)(x)),
        "GlobalAveragePooling2D": ((4, 4, 2), lambda x: kl.GlobalAveragePooling2D(name=n)(x)),
        "TimeDistributed": ((4, 6), lambda x: kl.TimeDistributed(qk.QDense(3, **q), name=n)(x)),
        "GarNet": (None, None), "GarNetStack": (None, None),
    }
    two = {cls: ((8,), lambda a, b, cls=cls: getattr(kl, cls)(name=n)([a, b]))
           for cls in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")}
    two["Dot"] = ((8,), lambda a, b: kl.Dot(axes=1, name=n)([a, b]))
    return one, two


def _try(cls: str, one: dict, two: dict) -> str:
    import numpy as np
    import tensorflow as tf
    from qkeras import QActivation, quantized_bits

    from edgenn.errors import EdgennError
    from edgenn.exporters.precision import derive_precisions
    from edgenn.flatten import flatten_model

    if cls in ("GarNet", "GarNetStack"):
        return "exact (GarNet: tests/exporters/test_garnet_reference.py)" if cls == "GarNet" else \
            "refused by edgenn's rule (one GarNet layer is modelled)"
    tf.keras.utils.set_random_seed(0)
    if cls in two:
        shape, build = two[cls]
        a, b = tf.keras.Input(shape, name="a"), tf.keras.Input(shape, name="b")
        qa, qb = QActivation(quantized_bits(8, 3, alpha=1), name="qa")(a), QActivation(quantized_bits(8, 3, alpha=1),
                                                                                        name="qb")(b)
        model = tf.keras.Model([a, b], build(qa, qb))
    else:
        shape, build = one[cls]
        x = tf.keras.Input(shape, name="x")
        q = x if cls == "Embedding" else QActivation(quantized_bits(8, 3, alpha=1), name="q_in")(x)
        model = tf.keras.Model(x, build(q))
    rng = np.random.default_rng(0)
    calib = [rng.uniform(0, 7, (32, *inp.shape[1:])).astype(np.float32) for inp in model.inputs]
    try:
        model = flatten_model(model)  # as the export loads it: wrappers unwrapped, QKeras inference layers
        precision = derive_precisions(model, x_calibration=calib[0] if len(calib) == 1 else calib)
    except EdgennError as err:
        return f"refused: {str(err).splitlines()[0][:150]}"
    except Exception as err:  # noqa: BLE001  a crash is a finding of this table, not a reason to stop it
        return f"CRASH {type(err).__name__}: {str(err)[:120]}"
    layer = next((p for p in precision.layers if p.name == "under_test" or p.name.startswith("under_test_")), None)
    if layer is None:
        return "exact (no type: passes its input on)"
    return "exact" if layer.exact else f"measured ({'; '.join(layer.notes)[:100]})"


def main() -> None:
    import qkeras  # noqa: F401  registers the QKeras classes
    from hls4ml.converters import get_supported_keras_layers

    one, two = _examples()
    print("| hls4ml 1.3 Keras handler | edgenn |")
    print("|---|---|")
    for cls in sorted(get_supported_keras_layers()):
        if cls in NOT_KERAS2:
            verdict = f"not a Keras-2 layer here: {NOT_KERAS2[cls]}"
        elif cls in RECURRENT:
            verdict = "recurrent: out of scope (hls4ml's QKeras RNN path fails on this stack, hls4ml issue #1166)"
        elif cls not in one and cls not in two:
            verdict = "NO EXAMPLE in this script"
        else:
            verdict = _try(cls, one, two)
        print(f"| {cls} | {verdict} |", flush=True)


if __name__ == "__main__":
    main()
