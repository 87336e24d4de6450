"""Post-training quantization of a float Keras model (``edgenn export --ptq``): an explicit, reported step.

Contract: ``quantize_float_model(model, x, bits=...)`` returns a QKeras model computing the fixed-point version of
``model`` and a ``PtqRecord`` saying what was done. That QKeras model is what the export then treats as the user's
model: its exact reference (``edgenn.reference``) is the reference, so the firmware is checked bit for bit against
it, while the float model's own figures are reported beside it as the cost of quantizing.

What is quantized, and how (widths from profiling ``x``, the validation inputs, or given):

* each input: a ``QActivation(quantized_bits(bits, I))`` first, ``I`` the integer bits that hold max |x| of that
  input's ``--data`` array (a model with several inputs gets one per input);
* Dense / Conv2D: ``QDense`` / ``QConv2D`` with ``quantized_bits(bits, I, alpha=1)`` kernel and bias, ``I`` from
  the largest weight; a BatchNormalization directly after one is folded into its kernel and bias first (in float,
  so the quantized layer computes the folded affine map and no BatchNorm is left to round);
* Conv1D, DepthwiseConv1D / 2D, SeparableConv1D / 2D: the same layer holding its weights quantized the same way
  (each weight array to ``quantized_bits(bits, I, alpha=1)``, ``I`` from its largest value), stored as numbers: the
  precision rules and the exact reference treat fixed-point weights of a float layer exactly, and QKeras has no
  quantized twin of every one of these layers;
* ReLU activations (fused, ``Activation('relu')`` or ``ReLU()``): ``QActivation(quantized_relu(bits, I))``, ``I``
  from the profiled maximum of that layer's output on ``x``;
* everything else (softmax / sigmoid heads, reshapes, pooling, merges) is kept as it is; Dropout is removed.

The quantized model's accumulators are exact in firmware (edgenn derives their widths), so quantization happens only
where a quantizer stands: the inputs, the weights and the ReLUs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError

DEFAULT_BITS = 8
MAX_BITS = 16  # wider quantizers make a 6-8 layer network's exact accumulators exceed float64's 53 bits
_FOLDABLE = {"Dense", "Conv2D"}
_STORED = {"Conv1D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"}


@dataclass(frozen=True)
class PtqRecord:
    bits: int
    num_rows: int  # validation rows the ranges were profiled on
    quantized: tuple[str, ...]  # layers given quantizers
    folded: tuple[str, ...]  # BatchNormalization layers folded into the layer before them
    removed: tuple[str, ...]  # Dropout layers

    def note(self) -> str:
        folded = f"; BatchNorm {', '.join(self.folded)} folded into the layer before" if self.folded else ""
        return (f"--ptq: float model quantized after training: input, weights, biases and ReLUs to {self.bits}-bit "
                f"quantized_bits/quantized_relu (integer bits from the ranges on {self.num_rows} --data rows){folded}; "
                "that fixed-point model is the reference the firmware is checked against bit for bit, the float "
                "model's figures are reported beside it")


def integer_bits(abs_max: float) -> int:
    """QKeras integer bits (sign excluded) whose range holds ``abs_max``."""
    return max(0, math.ceil(math.log2(abs_max))) if abs_max > 0 else 0


def quantize_float_model(model: Any, x: np.ndarray | list[np.ndarray], *,
                         bits: int = DEFAULT_BITS) -> tuple[Any, PtqRecord]:
    """The QKeras version of the float functional ``model`` and what was done. ``x`` is one array, or one per model
    input in input order (each input gets its own quantizer, ``ptq_input`` for one input, ``ptq_<input>`` for
    several, its integer bits from that input's range)."""
    import tensorflow as tf
    from qkeras import QActivation, quantized_bits

    if not isinstance(bits, int) or not 2 <= bits <= MAX_BITS:
        raise InvalidInputError(f"--ptq-bits: must be an integer in 2..{MAX_BITS} (got {bits!r}).",
                                fix="use 8 (the usual choice) or more bits for a smaller accuracy cost.")
    arrays = list(x) if isinstance(x, (list, tuple)) else [x]
    if len(arrays) != len(model.inputs):
        raise InvalidInputError(f"--ptq: model '{model.name}' has {len(model.inputs)} inputs but {len(arrays)} "
                                "input array(s) were given.", fix="give --data one array per model input.")
    if any(type(layer).__module__.startswith("qkeras") for layer in model.layers):
        raise InvalidInputError(f"--ptq: model '{model.name}' already has QKeras layers.",
                                fix="leave out --ptq: a quantized model is exported as it is.")
    ranges = _profile(model, arrays)
    folds = _bn_folds(model)
    inputs, tensors, quantized, removed = [], {}, [], []
    for name, t, values in zip(model.input_names, model.inputs, arrays):
        inp = tf.keras.Input(t.shape[1:], name=name)
        q_name = "ptq_input" if len(arrays) == 1 else f"ptq_{name}"
        in_int = integer_bits(float(np.max(np.abs(values))))
        tensors[name] = QActivation(quantized_bits(bits, in_int, alpha=1), name=q_name)(inp)
        inputs.append(inp)
        quantized.append(q_name)
    for layer in _body(model):
        ins = [tensors[name] for name in _inbound(layer)]
        src = ins if len(ins) > 1 else ins[0]
        kind = type(layer).__name__
        if layer.name in folds.values():  # this BatchNorm's affine map is inside the layer before
            tensors[layer.name] = src
            continue
        if kind == "Dropout":
            tensors[layer.name], _ = src, removed.append(layer.name)
            continue
        if kind in _FOLDABLE:
            bn = model.get_layer(folds[layer.name]) if layer.name in folds else None
            out = _quantized_mac(layer, bn, bits)(src)
            quantized.append(layer.name)
            if _is_relu(layer):
                out = _relu(f"{layer.name}_relu", bits, ranges[folds.get(layer.name, layer.name)])(out)
                quantized.append(f"{layer.name}_relu")
            tensors[layer.name] = out
            if bn is not None:
                tensors[bn.name] = out
            continue
        if _is_relu(layer):
            tensors[layer.name] = _relu(layer.name, bits, ranges[layer.name])(src)
            quantized.append(layer.name)
            continue
        if kind in _STORED:
            out = _stored_quantized(layer, bits)(src)
            quantized.append(layer.name)
            if _is_relu(layer):
                out = _relu(f"{layer.name}_relu", bits, ranges[layer.name])(out)
                quantized.append(f"{layer.name}_relu")
            tensors[layer.name] = out
            continue
        clone = type(layer).from_config(layer.get_config())
        tensors[layer.name] = clone(src)
        if layer.get_weights():
            clone.set_weights(layer.get_weights())
    outputs = [tensors[t.node.layer.name] for t in model.outputs]
    qmodel = tf.keras.Model(inputs if len(inputs) > 1 else inputs[0], outputs if len(outputs) > 1 else outputs[0],
                            name=model.name)
    return qmodel, PtqRecord(bits, len(arrays[0]), tuple(quantized), tuple(folds.values()), tuple(removed))


def _body(model: Any) -> list[Any]:
    """The model's layers after its inputs (with several inputs, InputLayers need not come first)."""
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def _inbound(layer: Any) -> list[str]:
    node = layer.inbound_nodes[0]
    inbound = node.inbound_layers
    return [lay.name for lay in (inbound if isinstance(inbound, list) else [inbound])]


def _profile(model: Any, arrays: list[np.ndarray]) -> dict[str, float]:
    """max |output| of every layer on the inputs."""
    import tensorflow as tf

    layers = _body(model)
    probe = tf.keras.Model(model.inputs, [layer.output for layer in layers])
    outs = probe.predict(arrays if len(arrays) > 1 else arrays[0], batch_size=4096, verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    return {layer.name: float(np.max(np.abs(o))) for layer, o in zip(layers, outs)}


def _bn_folds(model: Any) -> dict[str, str]:
    """Dense/Conv2D layer -> the BatchNormalization that alone consumes its linear output."""
    folds = {}
    for layer in model.layers:
        if type(layer).__name__ != "BatchNormalization":
            continue
        src = _inbound(layer)
        if len(src) != 1:
            continue
        prev = model.get_layer(src[0])
        consumers = [n for n in _body(model) if src[0] in _inbound(n)]
        if type(prev).__name__ in _FOLDABLE and not _is_relu(prev) and len(consumers) == 1:
            folds[prev.name] = layer.name
    return folds


def _is_relu(layer: Any) -> bool:
    kind = type(layer).__name__
    if kind == "ReLU":
        return layer.max_value is None and float(layer.negative_slope) == 0.0 and float(layer.threshold) == 0.0
    act = getattr(layer, "activation", None)
    return kind in _FOLDABLE | _STORED | {"Activation"} and getattr(act, "__name__", act) == "relu"


def _relu(name: str, bits: int, abs_max: float):
    from qkeras import QActivation, quantized_relu

    return QActivation(quantized_relu(bits, integer_bits(abs_max)), name=name)


def _quantized_mac(layer: Any, bn: Any, bits: int):
    """QDense / QConv2D with the (BatchNorm-folded) float weights and quantizers holding their range."""
    from qkeras import QConv2D, QDense, quantized_bits

    weights = layer.get_weights()
    kernel = weights[0]
    bias = weights[1] if layer.use_bias else np.zeros(kernel.shape[-1], kernel.dtype)
    if bn is not None:
        from edgenn.compression.batchnorm_fold import fold_affine

        kernel, bias = fold_affine(kernel, bias, bn)
    kq = quantized_bits(bits, integer_bits(float(np.max(np.abs(kernel)))), alpha=1)
    bq = quantized_bits(bits, integer_bits(float(np.max(np.abs(bias)))), alpha=1)
    if type(layer).__name__ == "Dense":
        new = QDense(layer.units, kernel_quantizer=kq, bias_quantizer=bq, name=layer.name)
    else:
        new = QConv2D(layer.filters, layer.kernel_size, strides=layer.strides, padding=layer.padding,
                      kernel_quantizer=kq, bias_quantizer=bq, name=layer.name)
    new.build(layer.input_shape)
    new.set_weights([kernel.astype(np.float32), np.asarray(bias, np.float32)])
    return new


def _stored_quantized(layer: Any, bits: int):
    """A linear copy of ``layer`` (its fused ReLU, if any, becomes a quantized_relu after it) whose weights are their
    ``quantized_bits`` values, computed by QKeras's own quantizer so they are what a QKeras layer would hold."""
    import tensorflow as tf
    from qkeras import quantized_bits

    config = {**layer.get_config(), **({"activation": "linear"} if _is_relu(layer) else {})}
    new = type(layer).from_config(config)
    new.build(layer.input_shape)
    weights = []
    for w in layer.get_weights():
        q = quantized_bits(bits, integer_bits(float(np.max(np.abs(w)))), alpha=1)
        weights.append(np.asarray(q(tf.constant(w, tf.float32)).numpy(), np.float32))
    new.set_weights(weights)
    return new
