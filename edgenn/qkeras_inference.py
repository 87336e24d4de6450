"""QKeras layers whose inference arithmetic is another, plainer layer: the layer they compute at inference.

``inference_layer(layer)`` returns ``(class, config, weights)`` of the layer that computes, at inference, exactly
what ``layer`` computes there, or None when the layer is already plain. ``flatten.flatten_model`` builds that layer
in its place, so every later stage (precision rules, the exact reference, hls4ml, ONNX) sees the arithmetic the model
really performs at inference:

* ``QBatchNormalization`` normalises with its *quantized* statistics (``qkeras/qnormalization.py`` ``call``:
  ``q_gamma``, ``q_beta``, ``q_mean``, ``q_variance``), while hls4ml 1.3's converter reads the raw stored ones and
  ignores the quantizers. It becomes a ``BatchNormalization`` holding the quantized values (non-fused, like QKeras,
  so the epsilon is the layer's own).
* ``QConv2DBatchnorm`` / ``QDepthwiseConv2DBatchnorm`` fold the normalisation into the kernel and bias at inference
  and quantize the *folded* values (``qconv2d_batchnorm.py`` ``call``); they become ``QConv2D`` /
  ``QDepthwiseConv2D`` holding the folded float32 weights that QKeras computes itself (``get_folded_weights``, the
  same TensorFlow ops as ``call``), with the layer's own quantizers and activation, so the quantized weights are
  those of the model. hls4ml 1.3 folds the same way but in float64 numpy, which can move a weight across a
  quantizer's rounding boundary; the rewrite keeps QKeras's numbers.
* A ``QDense`` / ``QConv`` / ``QDepthwiseConv2D`` / ``QSeparableConv`` whose weight quantizer is not a plain
  fixed-point cast (``binary``, ``ternary``, ``quantized_po2``, ``quantized_bits(alpha='auto_po2')``, none at all)
  computes, at inference, ``x * q(W) + q(b)`` with constant quantized weights: it becomes the float layer holding
  ``q(W)`` and ``q(b)``. hls4ml would otherwise re-derive those values its own way (an XNOR product for binary
  kernels, alpha factored out into an extra scaling layer); stored as numbers, they reach the firmware unchanged and
  the precision rules type them exactly when they are short fixed-point values.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _quantized(quantizer: Any, values: Any) -> np.ndarray:
    import tensorflow as tf

    values = tf.convert_to_tensor(values)
    return np.asarray((quantizer(values) if quantizer else values).numpy(), np.float32)


def inference_layer(layer: Any) -> tuple[type, dict, list[np.ndarray]] | None:
    cls = type(layer).__name__
    if cls == "QBatchNormalization":
        return _batchnorm(layer)
    if cls in ("QConv2DBatchnorm", "QDepthwiseConv2DBatchnorm"):
        return _folded_conv(layer)
    if cls in _FLOAT_TWIN and not all(_plain_cast(getattr(layer, q, None)) for q in _WEIGHT_QUANTIZERS[cls]
                                      if layer.use_bias or not q.startswith("bias")):
        return float_twin(layer)
    return None


# weight quantizer attributes, in the order of the layer's weights
_WEIGHT_QUANTIZERS = {
    "QDense": ("kernel_quantizer_internal", "bias_quantizer_internal"),
    "QConv1D": ("kernel_quantizer_internal", "bias_quantizer_internal"),
    "QConv2D": ("kernel_quantizer_internal", "bias_quantizer_internal"),
    "QDepthwiseConv2D": ("depthwise_quantizer_internal", "bias_quantizer_internal"),
    "QSeparableConv1D": ("depthwise_quantizer_internal", "pointwise_quantizer_internal", "bias_quantizer_internal"),
    "QSeparableConv2D": ("depthwise_quantizer_internal", "pointwise_quantizer_internal", "bias_quantizer_internal"),
}
_FLOAT_TWIN = {"QDense": "Dense", "QConv1D": "Conv1D", "QConv2D": "Conv2D", "QDepthwiseConv2D": "DepthwiseConv2D",
               "QSeparableConv1D": "SeparableConv1D", "QSeparableConv2D": "SeparableConv2D"}


def _plain_cast(quantizer: Any) -> bool:
    """A quantizer that an ``ap_fixed`` cast reproduces (what hls4ml and edgenn's rules read directly)."""
    if not quantizer:
        return False
    cfg = quantizer.get_config() if hasattr(quantizer, "get_config") else {}
    kind = type(quantizer).__name__
    if kind == "quantized_bits":
        return cfg.get("alpha") in (None, 1, 1.0) and int(cfg["bits"]) - int(bool(cfg.get("keep_negative", 1))) >= 1
    return kind == "quantized_relu" and not cfg.get("negative_slope")


def float_twin(layer: Any) -> tuple[type, dict, list[np.ndarray]]:
    import tensorflow as tf

    cls = type(layer).__name__
    twin = getattr(tf.keras.layers, _FLOAT_TWIN[cls])
    own = layer.get_config()
    probe = twin(**({"units": 1} if twin is tf.keras.layers.Dense else {"kernel_size": 1,
                                                                          **({} if "Depthwise" in cls else
                                                                             {"filters": 1})}))
    config = {key: own[key] for key in probe.get_config() if key in own}
    config["activation"] = "linear" if not isinstance(own.get("activation"), str) else own["activation"]
    quantizers = [q for q in _WEIGHT_QUANTIZERS[cls]
                  if not (q.startswith("bias") and not layer.use_bias)]
    weights = [_quantized(getattr(layer, q, None), w) for q, w in zip(quantizers, layer.get_weights())]
    return twin, config, weights


def _batchnorm(layer: Any) -> tuple[type, dict, list[np.ndarray]]:
    import tensorflow as tf

    config = {key: value for key, value in tf.keras.layers.BatchNormalization(name="probe").get_config().items()}
    own = layer.get_config()
    for key in ("name", "axis", "momentum", "epsilon", "center", "scale", "trainable", "dtype"):
        if key in own:
            config[key] = own[key]
    config["fused"] = False  # the fused kernel would raise a tiny epsilon to 1.001e-5
    weights = []
    if layer.scale:
        weights.append(_quantized(layer.gamma_quantizer_internal if layer.gamma_quantizer else None, layer.gamma))
    if layer.center:
        weights.append(_quantized(layer.beta_quantizer_internal if layer.beta_quantizer else None, layer.beta))
    weights.append(_quantized(layer.mean_quantizer_internal if layer.mean_quantizer else None, layer.moving_mean))
    weights.append(_quantized(layer.variance_quantizer_internal if layer.variance_quantizer else None,
                              layer.moving_variance))
    return tf.keras.layers.BatchNormalization, config, weights


def _folded_conv(layer: Any) -> tuple[type, dict, list[np.ndarray]]:
    from qkeras import QConv2D, QDepthwiseConv2D

    base = QConv2D if type(layer).__name__ == "QConv2DBatchnorm" else QDepthwiseConv2D
    config = base.get_config(layer)  # the convolution's own configuration, without the batchnorm's keys
    config["use_bias"] = True  # folding always creates a bias
    kernel, bias = layer.get_folded_weights()
    return base, config, [np.asarray(kernel.numpy(), np.float32), np.asarray(bias.numpy(), np.float32)]
