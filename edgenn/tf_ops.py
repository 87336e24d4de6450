"""TF-op layers (``TFOpLambda``) of a whitelist of pure ops, rewritten as the Keras layers that compute the same.

``tf.reduce_sum(tf.square(mu), axis=-1)`` in a functional model is stored as ``TFOpLambda`` layers that name a TF
symbol (``math.square``); Keras rebuilds them from that name, so loading runs no code from the file (unlike a
``Lambda``, which stores bytecode). The whitelisted ops are rewritten at load into layers every later stage converts:

* ``add`` / ``subtract`` / ``multiply`` of two tensors -> ``Add`` / ``Subtract`` / ``Multiply``; ``square`` ->
  ``Multiply`` of the tensor with itself;
* ``reduce_sum`` / ``reduce_mean`` over the last (feature) axis -> a ``QDense`` with one output and a constant kernel
  of 1 (or 1/n) under a quantizer that holds it exactly, so the sum is the exact fixed-point sum hls4ml computes;
* ``concat`` -> ``Concatenate``; ``reshape`` (batch kept) -> ``Reshape``; ``transpose`` (batch first) -> ``Permute``.

Anything else (a constant operand, another axis) is refused in one line with the way to write it.
"""

from __future__ import annotations

from typing import Any

from edgenn.errors import UnsupportedModelError

BINARY = {"math.add": "Add", "__operators__.add": "Add", "math.subtract": "Subtract", "math.multiply": "Multiply"}
REDUCE = {"math.reduce_sum": "sum", "reduce_sum": "sum", "math.reduce_mean": "mean", "reduce_mean": "mean"}
OTHER = {"math.square", "square", "concat", "reshape", "transpose", "compat.v1.transpose"}
WHITELIST = frozenset(BINARY) | frozenset(REDUCE) | OTHER


def is_whitelisted(layer_config: dict) -> bool:
    return layer_config.get("function") in WHITELIST


def _refuse(name: str, function: str, why: str, fix: str) -> UnsupportedModelError:
    return UnsupportedModelError(f"layer '{name}' (TFOpLambda tf.{function}): {why}", fix=fix)


def rewrite(layer: Any, args: tuple, kwargs: dict, name: str):
    """Apply the Keras layer equivalent of the TF-op ``layer`` to ``args``/``kwargs``; its output tensor."""
    import tensorflow as tf

    function = layer.get_config()["function"]
    symbolic = type(tf.keras.Input((1,)))  # Keras 2's KerasTensor, whose class is not public API
    flat = [a for a in tf.nest.flatten((args, kwargs)) if isinstance(a, symbolic)]
    if function in BINARY:
        if len(flat) != 2:
            raise _refuse(name, function, "one operand is a constant, not a tensor.",
                          "compute it from two model tensors, or fold the constant into the layer before it.")
        return getattr(tf.keras.layers, BINARY[function])(name=name)(flat)
    if function in ("math.square", "square"):
        return tf.keras.layers.Multiply(name=name)([flat[0], flat[0]])
    if function in REDUCE:
        return _reduce(flat[0], REDUCE[function], kwargs, name, function)
    if function == "concat":
        return tf.keras.layers.Concatenate(axis=kwargs.get("axis", args[1] if len(args) > 1 else -1), name=name)(flat)
    if function == "reshape":
        shape = kwargs.get("shape", [a for a in tf.nest.flatten(args[1:])])
        if not shape or shape[0] not in (-1, None):
            raise _refuse(name, function, f"reshape to {shape} changes the batch axis.",
                          "reshape with -1 first: tf.reshape(x, (-1, ...)).")
        return tf.keras.layers.Reshape(tuple(int(d) for d in shape[1:]), name=name)(flat[0])
    if function in ("transpose", "compat.v1.transpose"):
        perm = kwargs.get("perm")
        if perm is None or perm[0] != 0:
            raise _refuse(name, function, f"transpose with perm {perm} moves the batch axis.",
                          "give perm with 0 first, e.g. tf.transpose(x, perm=[0, 2, 1]).")
        return tf.keras.layers.Permute(tuple(int(p) for p in perm[1:]), name=name)(flat[0])
    raise _refuse(name, function, "not a whitelisted TF op.",
                  f"use Keras layers, or one of the TF ops {', '.join(sorted(WHITELIST))}.")


def _reduce(x, kind: str, kwargs: dict, name: str, function: str):
    import numpy as np
    import tensorflow as tf
    from qkeras import QDense, quantized_bits

    rank = len(x.shape) - 1
    axis = kwargs.get("axis")
    if axis not in (-1, rank, [-1], [rank]):
        raise _refuse(name, function, f"a {kind} over axis {axis} (only the last, feature axis is supported).",
                      "reduce over axis=-1 (transpose first if needed).")
    if not kwargs.get("keepdims", False) and rank == 1:
        raise _refuse(name, function, "keepdims=False leaves a scalar per sample, which the firmware cannot output.",
                      "pass keepdims=True.")
    n = int(x.shape[-1])
    value = 1.0 if kind == "sum" else 1.0 / n
    k = max(0, int(np.ceil(-np.log2(value))))
    quantizer = quantized_bits(k + 3, 1, alpha=1)  # k+1 fraction bits, range [-2, 2): holds 1 and 2**-k exactly
    kernel = np.full((n, 1), value, np.float32)
    if not np.array_equal(np.asarray(quantizer(tf.constant(kernel))), kernel):
        raise _refuse(name, function, f"a mean over {n} features is not a power-of-two division, so not exact.",
                      "use reduce_sum and fold the 1/n into the next layer, or a power-of-two number of features.")
    dense = QDense(1, use_bias=False, kernel_quantizer=quantizer, name=name)
    out = dense(x)
    dense.set_weights([kernel])
    if not kwargs.get("keepdims", False):
        out = tf.keras.layers.Reshape(tuple(int(d) for d in x.shape[1:-1]), name=f"{name}_squeeze")(out)
    return out
