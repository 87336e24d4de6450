"""Fold BatchNormalization into the QDense / QConv2D before it, then fine-tune (``edgenn compress MODEL.h5
--data train.npz --fold-batchnorm``): the user's quantized model becomes one whose firmware is exact.

Why: a BatchNorm after a quantized layer scales each output by gamma / sqrt(var + eps), a number with no short
binary expansion, so the firmware has to round it (``exporters.precision_batchnorm``: 18-bit coefficients, agreement
measured, never exact). Folded into the layer before (kernel * scale, (bias - mean) * scale + beta) and quantized by
that layer's own quantizers, the same network has only exact fixed-point arithmetic left. Quantizing the folded
weights moves them off the grid they were trained on, so a few epochs of quantization-aware fine-tuning on the
user's data recover the accuracy; the record says the accuracy before folding, right after it and after tuning.

Contract: ``fold_batchnorm(model)`` returns a new functional model (the input is not changed) and the folded
BatchNorm names; a BatchNorm that does not directly and alone follow a QDense/QConv2D is left in place (and named).
Quantizer widths stay the user's; the integer bits of the kernel and bias quantizers grow where the folded values
need them (the width does not).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError

FOLDABLE = ("QDense", "QConv2D")


@dataclass(frozen=True)
class FoldRecord:
    folded: tuple[str, ...]
    kept: tuple[str, ...]  # BatchNorm layers that could not be folded
    accuracy_before: float | None
    accuracy_folded: float | None  # right after folding, before fine-tuning
    accuracy_tuned: float | None
    epochs: int
    num_rows: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _inbound(layer: Any) -> list[str]:
    inbound = layer.inbound_nodes[0].inbound_layers
    return [lay.name for lay in (inbound if isinstance(inbound, list) else [inbound])]


def fold_plan(model: Any) -> tuple[dict[str, str], list[str]]:
    """({QDense/QConv2D name: the BatchNorm folded into it}, BatchNorm names that cannot be folded)."""
    plan, kept = {}, []
    for layer in model.layers:
        if type(layer).__name__ != "BatchNormalization":
            continue
        src = _inbound(layer)
        prev = model.get_layer(src[0]) if len(src) == 1 else None
        consumers = [n for n in model.layers[1:] if len(src) == 1 and src[0] in _inbound(n)]
        linear = prev is not None and getattr(getattr(prev, "activation", None), "__name__", "linear") == "linear"
        if prev is not None and type(prev).__name__ in FOLDABLE and linear and len(consumers) == 1:
            plan[prev.name] = layer.name
        else:
            kept.append(layer.name)
    return plan, kept


def _quantizer_like(quantizer: Any, values: np.ndarray) -> Any:
    """``quantized_bits`` of the user's width whose integer bits hold ``values``."""
    from qkeras import quantized_bits

    bits = int(getattr(quantizer, "bits", 8))
    need = math.ceil(math.log2(float(np.max(np.abs(values))))) if np.any(values) else 0
    integer = max(int(getattr(quantizer, "integer", 0)), need, 0)
    return quantized_bits(bits, min(integer, bits - 1), alpha=1)


def _folded_layer(layer: Any, bn: Any) -> Any:
    from qkeras import QConv2D, QDense

    kernel = layer.get_weights()[0]
    bias = layer.get_weights()[1] if layer.use_bias else np.zeros(kernel.shape[-1], np.float32)
    kernel, bias = fold_affine(kernel, bias, bn)
    kq = _quantizer_like(layer.kernel_quantizer_internal, kernel)
    bq = _quantizer_like(layer.bias_quantizer_internal or layer.kernel_quantizer_internal, bias)
    if type(layer).__name__ == "QDense":
        new = QDense(layer.units, kernel_quantizer=kq, bias_quantizer=bq, name=layer.name)
    else:
        new = QConv2D(layer.filters, layer.kernel_size, strides=layer.strides, padding=layer.padding,
                      kernel_quantizer=kq, bias_quantizer=bq, name=layer.name)
    new.build(layer.input_shape)
    new.set_weights([kernel.astype(np.float32), np.asarray(bias, np.float32)])
    return new


def fold_affine(kernel: np.ndarray, bias: np.ndarray, bn: Any) -> tuple[np.ndarray, np.ndarray]:
    """``kernel`` and ``bias`` of a layer followed by the inference-mode BatchNormalization ``bn``, folded into one."""
    gamma = bn.gamma.numpy() if bn.scale else 1.0
    beta = bn.beta.numpy() if bn.center else 0.0
    scale = gamma / np.sqrt(bn.moving_variance.numpy() + bn.epsilon)
    return kernel * scale, (bias - bn.moving_mean.numpy()) * scale + beta


def fold_batchnorm(model: Any) -> tuple[Any, dict[str, str], list[str]]:
    """A copy of ``model`` (flat functional) with every foldable BatchNorm folded into the layer before it."""
    import tensorflow as tf

    plan, kept = fold_plan(model)
    folded_bn = set(plan.values())
    first = model.layers[0]
    inp = tf.keras.Input(first.output.shape[1:], name=first.name)
    tensors = {first.name: inp}
    for layer in model.layers[1:]:
        ins = [tensors[name] for name in _inbound(layer)]
        src = ins if len(ins) > 1 else ins[0]
        if layer.name in folded_bn:
            tensors[layer.name] = src
            continue
        if layer.name in plan:
            new = _folded_layer(layer, model.get_layer(plan[layer.name]))
        else:
            new = type(layer).from_config(layer.get_config())
        tensors[layer.name] = new(src)
        if layer.name not in plan and layer.get_weights():
            new.set_weights(layer.get_weights())
    out = tensors[model.outputs[0].node.layer.name]
    return tf.keras.Model(inp, out, name=model.name), plan, kept


def fold_and_fine_tune(model: Any, x: np.ndarray, y: np.ndarray | None, *, epochs: int = 5,
                       learning_rate: float = 1e-3, seed: int = 0) -> tuple[Any, FoldRecord]:
    """Fold, then fine-tune on (x, y) with the model's softmax head (sparse cross-entropy)."""
    import tensorflow as tf

    t0 = time.perf_counter()
    folded, plan, kept = fold_batchnorm(model)
    if not plan:
        raise InvalidInputError(f"model '{model.name}' has no BatchNormalization directly after a QDense/QConv2D "
                                f"(BatchNorm layers: {kept or 'none'}).",
                                fix="nothing to fold: export the model as it is.")

    def acc(m):
        return None if y is None else float(np.mean(m.predict(x, batch_size=4096, verbose=0).argmax(1) == y))

    before, right_after = acc(model), acc(folded)
    if epochs > 0:
        if y is None:
            raise InvalidInputError("--fold-batchnorm fine-tuning needs labels: the --data file has no 'y'.",
                                    fix="save the training data with np.savez(path, x=inputs, y=labels), or pass "
                                        "--epochs 0 to fold without tuning.")
        tf.keras.utils.set_random_seed(seed)
        last = folded.layers[-1]
        probabilities = getattr(getattr(last, "activation", None), "__name__", "") == "softmax" or \
            type(last).__name__ == "Softmax"
        loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=not probabilities)
        folded.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), loss=loss)
        folded.fit(x, y, epochs=epochs, batch_size=256, verbose=0)
    record = FoldRecord(tuple(plan.values()), tuple(kept), before, right_after, acc(folded), epochs, len(x),
                        time.perf_counter() - t0)
    return folded, record


def fold_user_model(source, data, out=None, *, epochs: int = 5, trust_model: bool = False) -> tuple[Any, FoldRecord]:
    """``edgenn compress MODEL.h5 --data train.npz --fold-batchnorm``: load, fold, fine-tune, save; (path, record)."""
    from pathlib import Path

    from edgenn.flatten import flatten_model
    from edgenn.io import atomic_write_json
    from edgenn.modelio import load_model

    source, data = Path(source), Path(data) if data is not None else None
    if data is None or not data.is_file():
        raise InvalidInputError(f"{source}: --fold-batchnorm fine-tunes on your data; no readable --data given.",
                                fix="pass --data train.npz (arrays x and y).")
    model = flatten_model(load_model(source, trust_model=trust_model))
    with np.load(data, allow_pickle=False) as npz:
        if "x" not in npz:
            raise InvalidInputError(f"{data}: no array named 'x' (found {sorted(npz.files)}).",
                                    fix="save it with np.savez(path, x=inputs, y=labels).")
        x = np.asarray(npz["x"], np.float32)
        y = np.asarray(npz["y"]).astype(np.int64) if "y" in npz else None
    expected = tuple(model.inputs[0].shape[1:])
    if tuple(x.shape[1:]) != expected:
        raise InvalidInputError(f"{data}: 'x' rows have shape {tuple(x.shape[1:])}, the model expects {expected}.",
                                fix="pass inputs prepared exactly as the model takes them.")
    folded, record = fold_and_fine_tune(model, x, y, epochs=epochs)
    target = Path(out) if out else source.with_name(f"{source.stem}_folded.h5")
    target.parent.mkdir(parents=True, exist_ok=True)
    from edgenn.modelio import save_model

    save_model(folded, target)
    atomic_write_json(target.with_suffix(".fold.json"), {"source": str(source), "data": str(data), **record.to_dict()})
    return target, record
