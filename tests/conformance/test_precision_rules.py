"""Conformance battery over every registered precision rule: a rule is tested by being registered.

For every layer class with a rule (``@rule`` / ``@merge_rule``), a one-layer model behind an 8-bit input quantizer
is typed by ``derive_precisions`` and evaluated by the exact reference on random inputs on the input grid. The rule's
interval analysis must be sound: every value the layer computes lies inside the range of the firmware type the rule
gave it and inside its recorded output bounds, and where the rule claims the type exact (``LayerPrecision.exact``)
and the reference proves the value exact, the value is on that type's grid (a cast to it changes nothing). A rule
that gives no type (Dropout) passes its input's on, so its layer must compute the identity.
A registered class without an example below fails, naming itself: the example is how the battery reaches it.
"""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.exporters.precision_rules import MERGE_RULES, supported_layer_classes

NUM_ROWS = 64
# Checked elsewhere, and why.
ELSEWHERE = {
    "GarNet": "needs a vertex-count input; tests/exporters/test_garnet_reference.py types and checks it bit for bit",
    "GarNetStack": "refused by its rule (edgenn models one GarNet layer)",
}
# layers fed integer indices straight from the model input (no input quantizer), with the vocabulary size
INDEX_INPUTS = {"Embedding": 12}


def _q(bits: int = 6, integer: int = 0):
    from qkeras import quantized_bits

    return quantized_bits(bits, integer, alpha=1)


def _examples():
    """class name -> (input shape, build(x) -> output tensor of the layer under test, named 'under_test')."""
    import qkeras as qk
    from tensorflow.keras import layers as kl

    n = "under_test"
    conv_q = dict(kernel_quantizer=_q(), bias_quantizer=_q(8, 3))
    return {
        "Activation": ((8,), lambda x: kl.Activation("relu", name=n)(x)),
        "ReLU": ((8,), lambda x: kl.ReLU(name=n)(x)),
        "Softmax": ((5,), lambda x: kl.Softmax(name=n)(x)),
        "ThresholdedReLU": ((8,), lambda x: kl.ThresholdedReLU(0.5, name=n)(x)),
        "LeakyReLU": ((8,), lambda x: kl.LeakyReLU(0.25, name=n)(x)),
        "PReLU": ((8,), lambda x: kl.PReLU(alpha_initializer=lambda s, dtype=None: np.full(s, 0.5, "float32"),
                                           name=n)(x)),
        "ELU": ((8,), lambda x: kl.ELU(name=n)(x)),
        "QActivation": ((8,), lambda x: qk.QActivation(qk.quantized_relu(6, 2), name=n)(x)),
        "Dropout": ((8,), lambda x: kl.Dropout(0.5, name=n)(x)),
        "Dense": ((8,), lambda x: kl.Dense(4, name=n)(x)),
        "QDense": ((8,), lambda x: qk.QDense(4, **conv_q, name=n)(x)),
        "BatchNormalization": ((8,), lambda x: kl.BatchNormalization(name=n)(x)),
        "Flatten": ((4, 2), lambda x: kl.Flatten(name=n)(x)),
        "Reshape": ((8,), lambda x: kl.Reshape((4, 2), name=n)(x)),
        "Permute": ((4, 2), lambda x: kl.Permute((2, 1), name=n)(x)),
        "ZeroPadding1D": ((6, 2), lambda x: kl.ZeroPadding1D(1, name=n)(x)),
        "ZeroPadding2D": ((4, 4, 2), lambda x: kl.ZeroPadding2D(1, name=n)(x)),
        "Cropping1D": ((6, 2), lambda x: kl.Cropping1D((1, 2), name=n)(x)),
        "Cropping2D": ((5, 4, 2), lambda x: kl.Cropping2D(((1, 0), (1, 2)), name=n)(x)),
        "UpSampling1D": ((4, 2), lambda x: kl.UpSampling1D(3, name=n)(x)),
        "UpSampling2D": ((3, 2, 2), lambda x: kl.UpSampling2D((2, 3), name=n)(x)),
        "Conv1D": ((8, 2), lambda x: kl.Conv1D(3, 3, name=n)(x)),
        "QConv1D": ((8, 2), lambda x: qk.QConv1D(3, 3, **conv_q, name=n)(x)),
        "Conv2D": ((6, 6, 2), lambda x: kl.Conv2D(3, 3, name=n)(x)),
        "QConv2D": ((6, 6, 2), lambda x: qk.QConv2D(3, 3, **conv_q, name=n)(x)),
        "DepthwiseConv1D": ((8, 2), lambda x: kl.DepthwiseConv1D(3, name=n)(x)),
        "DepthwiseConv2D": ((6, 6, 2), lambda x: kl.DepthwiseConv2D(3, name=n)(x)),
        "QDepthwiseConv2D": ((6, 6, 2), lambda x: qk.QDepthwiseConv2D(3, depthwise_quantizer=_q(),
                                                                      bias_quantizer=_q(8, 3), name=n)(x)),
        "SeparableConv1D": ((8, 2), lambda x: kl.SeparableConv1D(3, 3, name=n)(x)),
        "SeparableConv2D": ((6, 6, 2), lambda x: kl.SeparableConv2D(3, 3, name=n)(x)),
        "QSeparableConv1D": ((8, 2), lambda x: qk.QSeparableConv1D(3, 3, depthwise_quantizer=_q(),
                                                                   pointwise_quantizer=_q(), bias_quantizer=_q(8, 3),
                                                                   name=n)(x)),
        "QSeparableConv2D": ((6, 6, 2), lambda x: qk.QSeparableConv2D(3, 3, depthwise_quantizer=_q(),
                                                                      pointwise_quantizer=_q(),
                                                                      bias_quantizer=_q(8, 3), name=n)(x)),
        "MaxPooling1D": ((8, 2), lambda x: kl.MaxPooling1D(2, name=n)(x)),
        "AveragePooling1D": ((8, 2), lambda x: kl.AveragePooling1D(2, name=n)(x)),
        "MaxPooling2D": ((4, 4, 2), lambda x: kl.MaxPooling2D(2, name=n)(x)),
        "AveragePooling2D": ((4, 4, 2), lambda x: kl.AveragePooling2D(2, name=n)(x)),
        "GlobalMaxPooling1D": ((8, 2), lambda x: kl.GlobalMaxPooling1D(name=n)(x)),
        "GlobalAveragePooling1D": ((8, 2), lambda x: kl.GlobalAveragePooling1D(name=n)(x)),
        "GlobalMaxPooling2D": ((4, 4, 2), lambda x: kl.GlobalMaxPooling2D(name=n)(x)),
        "GlobalAveragePooling2D": ((4, 4, 2), lambda x: kl.GlobalAveragePooling2D(name=n)(x)),
        "LayerNormalization": ((4, 6), lambda x: kl.LayerNormalization(name=n)(x)),
        "Embedding": ((6,), lambda x: kl.Embedding(INDEX_INPUTS["Embedding"], 3, name=n)(x)),
        "Dot": ((8,), lambda x: kl.Dot(axes=1, name=n)([qk.QDense(4, **conv_q, name="a")(x),
                                                        qk.QDense(4, **conv_q, name="b")(x)])),
        "Concatenate": ((8,), lambda x: kl.Concatenate(name=n)(
            [qk.QDense(3, **conv_q, name="a")(x), qk.QDense(2, **conv_q, name="b")(x)])),
        **{cls: ((8,), _two_branches(getattr(kl, cls), conv_q))
           for cls in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")},
    }


def _two_branches(merge, conv_q):
    """``merge`` of two QDense branches of the input, shapes equal (the element-wise merges)."""
    import qkeras as qk

    return lambda x: merge(name="under_test")([qk.QDense(3, **conv_q, name="a")(x),
                                               qk.QDense(3, **conv_q, name="b")(x)])


RULE_CLASSES = sorted(set(supported_layer_classes()) | set(MERGE_RULES))


def test_every_rule_class_has_an_example_or_a_reason():
    import qkeras  # noqa: F401  the examples build QKeras layers

    missing = sorted(set(RULE_CLASSES) - set(_examples()) - set(ELSEWHERE))
    assert not missing, f"precision rules without an example in this battery (add one to _examples): {missing}"
    stale = sorted((set(_examples()) | set(ELSEWHERE)) - set(RULE_CLASSES))
    assert not stale, f"examples for classes that have no precision rule any more: {stale}"


@pytest.mark.parametrize("class_name", [c for c in RULE_CLASSES if c not in ELSEWHERE])
def test_rule_types_hold_every_value_the_layer_computes(class_name):
    import tensorflow as tf
    from qkeras import QActivation

    from edgenn.exporters.precision import derive_precisions
    from edgenn.reference.evaluate import evaluate

    shape, build = _examples()[class_name]
    rng = np.random.default_rng(sum(map(ord, class_name)))
    tf.keras.utils.set_random_seed(int(rng.integers(1 << 30)))
    inp = tf.keras.Input(shape, name="x")
    indexed = class_name in INDEX_INPUTS
    model = tf.keras.Model(inp, build(inp if indexed else QActivation(_q(8, 3), name="q_in")(inp)))
    under_test = model.get_layer("under_test")
    assert type(under_test).__name__ == class_name
    if isinstance(under_test, tf.keras.layers.BatchNormalization):  # a non-trivial affine, not the identity
        gamma, beta, mean, var = under_test.get_weights()
        under_test.set_weights([rng.uniform(0.5, 2, gamma.shape), rng.normal(0, 1, beta.shape),
                                rng.normal(0, 1, mean.shape), rng.uniform(0.5, 2, var.shape)])
    elif not class_name.startswith("Q"):  # a float layer converts exactly when its file holds fixed-point weights
        under_test.set_weights([np.round(w * 32) / 32 for w in under_test.get_weights()])
    x = (rng.integers(0, INDEX_INPUTS[class_name], (NUM_ROWS, *shape)) if indexed else
         rng.uniform(-8, 8, (NUM_ROWS, *shape))).astype(np.float32)
    precision = derive_precisions(model, x_calibration=x)
    result = evaluate(model, x)
    values = result.outputs["under_test"]
    if "under_test" not in {p.name for p in precision.layers}:
        # a rule that gives no type passes its input's type on: sound only for a layer that computes the identity
        assert np.array_equal(values, result.outputs["q_in"]), f"{class_name}: typeless but not the identity"
        return
    lp = precision.layer("under_test")
    fp = lp.result
    assert fp.min <= values.min() and values.max() <= fp.max, \
        f"{class_name}: values in [{values.min()}, {values.max()}] overflow {fp.to_hls()}"
    if lp.output_min or lp.output_max:
        assert lp.output_min <= values.min() and values.max() <= lp.output_max, \
            f"{class_name}: values outside the recorded bounds [{lp.output_min}, {lp.output_max}]"
    if lp.exact and result.exact["under_test"]:
        assert np.array_equal(fp.quantize(values), values), f"{class_name}: exact claim but values off {fp.to_hls()}"
    tf.keras.backend.clear_session()
