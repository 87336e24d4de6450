"""HGQ (v1, Keras 2) models for the learned_precision pass: build, trace, convert to the hls4ml proxy, and measure.

HGQ learns one fixed-point bit-width per weight and per activation, with ``beta * EBOPs`` as a resource regulariser
added by each HGQ layer to the model's losses. The model edgenn hands on after training is HGQ's *proxy*: a plain
Keras model with ``FixedPointQuantizer`` layers that carry the traced per-element keep-negative/integer/fraction bits.
hls4ml 1.3 reads those (its ``bit_exact`` flow) and the firmware equals the proxy, not the HGQ model: the proxy wraps
(or saturates) at the integer ranges traced on the training set, which the HGQ model never does.

Layer names are those of the family (dense: ``dense_k``; deepsets: ``phi_k``, ``head_k``; both ``logits``,
``softmax``), so weights move across by name; the input quantizer is ``input_quant``. HDense takes only relu/linear
activations, which is all these families use (their separate ReLU layers are fused into the HDense).
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

PROXY_QUANTIZER = "FixedPointQuantizer"


def _hgq():
    with contextlib.redirect_stdout(io.StringIO()):  # HGQ prints while importing hls4ml handlers
        import HGQ
        from HGQ.layers import HDense, HQuantize
    return HGQ, HDense, HQuantize


def _configs(spec) -> tuple[dict, dict]:
    from HGQ.utils import get_default_kq_conf, get_default_paq_conf

    return ({**get_default_kq_conf(), "init_bw": float(spec.init_weight_bits)},
            {**get_default_paq_conf(), "init_bw": float(spec.init_activation_bits)})


def build_hgq_dense(hidden: list[int], input_shape: tuple[int, ...], num_classes: int, spec):
    """The dense family's MLP with HGQ layers (``spec``: ``LearnedPrecisionSpec``), ending in a float softmax."""
    import tensorflow as tf

    _, HDense, HQuantize = _hgq()
    kq, paq = _configs(spec)
    inputs = tf.keras.layers.Input(shape=input_shape, name="input_features")
    x = HQuantize(beta=spec.beta, paq_conf=paq, name="input_quant")(inputs)
    for i, units in enumerate(hidden):
        x = HDense(units, activation="relu", beta=spec.beta, kq_conf=kq, paq_conf=paq, name=f"dense_{i}")(x)
    x = HDense(num_classes, beta=spec.beta, kq_conf=kq, paq_conf=paq, name="logits")(x)
    outputs = tf.keras.layers.Activation("softmax", name="softmax")(x)
    return tf.keras.Model(inputs, outputs, name="dense_hgq")


def build_hgq_deepsets(params, input_shape: tuple[int, ...], num_classes: int, spec):
    """The deepsets family with HGQ layers: per-particle HDense ``phi_k`` (ReLU fused), the pooling over all N
    particles as HGQ's passive 1-D pooling of size N plus a flatten (HGQ has no global pooling; the result is the
    same, and the mean over a power-of-two N stays a shift), HDense ``head_k`` and ``logits``, a float softmax."""
    import tensorflow as tf

    _, HDense, HQuantize = _hgq()
    from HGQ.layers import PAveragePooling1D, PFlatten, PMaxPooling1D

    kq, paq = _configs(spec)
    inputs = tf.keras.layers.Input(shape=input_shape, name="input")
    x = HQuantize(beta=spec.beta, paq_conf=paq, name="input_quant")(inputs)
    for i, units in enumerate(params.phi):
        x = HDense(units, activation="relu", beta=spec.beta, kq_conf=kq, paq_conf=paq, name=f"phi_{i}")(x)
    pool = PAveragePooling1D if params.pooling == "mean" else PMaxPooling1D
    x = pool(int(input_shape[0]), name="pool")(x)
    x = PFlatten(name="pool_flat")(x)
    for i, units in enumerate(params.head):
        x = HDense(units, activation="relu", beta=spec.beta, kq_conf=kq, paq_conf=paq, name=f"head_{i}")(x)
    x = HDense(num_classes, beta=spec.beta, kq_conf=kq, paq_conf=paq, name="logits")(x)
    outputs = tf.keras.layers.Activation("softmax", name="softmax")(x)
    return tf.keras.Model(inputs, outputs, name="deepsets_hgq")


def build_hgq(family_name: str, params, input_shape: tuple[int, ...], num_classes: int, spec):
    """The HGQ build of a supported family; its HDense layers carry the float model's Dense names."""
    if family_name == "deepsets":
        return build_hgq_deepsets(params, input_shape, num_classes, spec)
    return build_hgq_dense(list(params.hidden), input_shape, num_classes, spec)


def hgq_layers(model) -> list:
    from HGQ.layers.base import HLayerBase

    return [layer for layer in model.layers if isinstance(layer, HLayerBase)]


def is_hgq_model(model) -> bool:
    return any(type(layer).__module__.startswith("HGQ.layers") for layer in model.layers)


def is_proxy_model(model) -> bool:
    return any(type(layer).__name__ == PROXY_QUANTIZER for layer in model.layers)


def reset_minmax_callback():
    """HGQ's ResetMinMax: the traced activation ranges must restart each epoch, or early wide ranges stick."""
    _hgq()
    from HGQ import ResetMinMax

    return ResetMinMax()


def trace_ebops(model, x_train: np.ndarray, cover_factor: float) -> float:
    """Trace activation ranges on ``x_train`` (sets the integer bits) and return the exact EBOPs of the model."""
    _hgq()
    from HGQ import trace_minmax

    with contextlib.redirect_stdout(io.StringIO()):
        return float(trace_minmax(model, np.asarray(x_train, np.float32), bsz=16384, verbose=False,
                                  cover_factor=cover_factor))


def layer_ebops(model) -> dict[str, float]:
    """Per-layer EBOPs as left by the last ``trace_ebops`` (HGQ stores them in each layer's ``bops`` variable)."""
    return {layer.name: float(layer.bops.numpy()) for layer in hgq_layers(model)}


def bit_distribution(model) -> dict[str, dict]:
    """Per layer: histogram and mean of the learned weight and activation bit-widths (exact, after tracing)."""
    out = {}
    for layer in hgq_layers(model):
        entry = {}
        if getattr(layer, "kernel", None) is not None:
            entry["weight"] = _histogram(np.asarray(layer.kernel_bw_exact))
        entry["activation"] = _histogram(np.asarray(layer.act_bw_exact))
        out[layer.name] = entry
    return out


def _histogram(bits: np.ndarray) -> dict:
    bits = np.maximum(np.round(bits).astype(int).ravel(), 0)
    values, counts = np.unique(bits, return_counts=True)
    return {"mean": round(float(bits.mean()), 4), "max": int(bits.max()), "zero_fraction": round(float(np.mean(bits == 0)), 4),
            "count": {str(int(v)): int(c) for v, c in zip(values, counts)}}


def proxy_model(model, *, aggressive: bool):
    """HGQ's proxy of ``model`` up to its logits, with the float softmax put back on top under the same name.

    The softmax stays outside HGQ: an HGQ softmax is a lookup table that is never bit-exact, and edgenn compares
    logits bit for bit anyway. ``aggressive``: WRAP at the traced ranges (True) or SAT (False)."""
    import tensorflow as tf

    _hgq()
    from HGQ import to_proxy_model

    logits = tf.keras.Model(model.inputs, model.get_layer("logits").output, name=model.name)
    with contextlib.redirect_stdout(io.StringIO()):
        proxy = to_proxy_model(logits, aggressive=aggressive)
    out = tf.keras.layers.Activation("softmax", name="softmax")(proxy.outputs[0])
    return tf.keras.Model(proxy.inputs, out, name=f"{model.name}_proxy")


def proxy_logits_model(proxy):
    """The proxy without its float softmax: what hls4ml converts and what the firmware must equal bit for bit."""
    import tensorflow as tf

    last = proxy.get_layer("softmax")
    return tf.keras.Model(proxy.inputs, last.input, name=proxy.name)
