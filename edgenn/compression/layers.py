"""Looking inside Keras/QKeras layers: which ones carry a prunable kernel, their effective weights and their bits.

"Effective" weights are what the firmware multiplies with: the kernel after the layer's quantizer for QKeras layers,
the kernel itself for float layers. Pruning wrappers are looked through (``unwrap``), so the same questions work
during fine-tuning and after the wrappers were stripped.
"""

from __future__ import annotations

import numpy as np

FLOAT_BITS = 32  # float layers and unquantized inputs count as 32-bit operands (BOPs convention)


def unwrap(layer):
    """The layer inside a tfmot pruning wrapper, or the layer itself."""
    from tensorflow_model_optimization.python.core.sparsity.keras.pruning_wrapper import PruneLowMagnitude

    return layer.layer if isinstance(layer, PruneLowMagnitude) else layer


def is_prunable(layer) -> bool:
    """Does this layer qualify for magnitude pruning? Trainable Dense and QDense layers (kernels, not biases).

    Non-trainable Dense layers hold fixed structure (the interaction network's 0/1 gather matrices), not weights."""
    import tensorflow as tf

    inner = unwrap(layer)
    return isinstance(inner, tf.keras.layers.Dense) and bool(inner.trainable)  # QDense subclasses Dense


def has_kernel(layer) -> bool:
    return getattr(unwrap(layer), "kernel", None) is not None


def quantizers(layer) -> tuple:
    """(kernel quantizer, bias quantizer) of a QKeras layer; (None, None) for a float layer."""
    inner = unwrap(layer)
    return (getattr(inner, "kernel_quantizer_internal", None), getattr(inner, "bias_quantizer_internal", None))


def _apply(quantizer, w: np.ndarray) -> np.ndarray:
    return w if quantizer is None else np.asarray(quantizer(w.astype(np.float32)), dtype=np.float32)


def effective_kernel(layer) -> np.ndarray:
    inner = unwrap(layer)
    return _apply(quantizers(layer)[0], np.asarray(inner.kernel.numpy()))


def effective_bias(layer) -> np.ndarray | None:
    inner = unwrap(layer)
    if getattr(inner, "bias", None) is None:
        return None
    return _apply(quantizers(layer)[1], np.asarray(inner.bias.numpy()))


def quantizer_bits(quantizer) -> int:
    bits = getattr(quantizer, "bits", None) if quantizer is not None else None
    return int(bits) if bits is not None else FLOAT_BITS


def kernel_layers(model) -> list:
    """Layers with a kernel, in model order (wrapped or not)."""
    return [layer for layer in model.layers if has_kernel(layer)]


def weight_counts(model) -> tuple[int, int]:
    """(number of kernel+bias weights, number of those whose effective value is non-zero).

    Pruning-wrapper bookkeeping (mask, threshold, step) is not counted: it is not part of the deployed model.
    """
    total = nonzero = 0
    for layer in kernel_layers(model):
        for w in (effective_kernel(layer), effective_bias(layer)):
            if w is not None:
                total += w.size
                nonzero += int(np.count_nonzero(w))
    return total, nonzero


def kernel_sparsity(model, *, effective: bool = True) -> dict[str, float]:
    """Fraction of zero kernel weights per prunable layer (after quantization if ``effective``), by layer name."""
    out = {}
    for layer in kernel_layers(model):
        if not is_prunable(layer):
            continue
        k = effective_kernel(layer) if effective else np.asarray(unwrap(layer).kernel.numpy())
        out[unwrap(layer).name] = float(np.mean(k == 0))
    return out


def overall_sparsity(model, *, effective: bool = True) -> float:
    zeros = size = 0
    for layer in kernel_layers(model):
        if is_prunable(layer):
            k = effective_kernel(layer) if effective else np.asarray(unwrap(layer).kernel.numpy())
            zeros += int(np.sum(k == 0))
            size += k.size
    return zeros / size if size else 0.0


def input_activation_bits(layer) -> int:
    """Bits of the activations entering ``layer``: its producer's quantizer, else 32 (float input or activation).

    Shape-only layers (Flatten, Reshape, Dropout) are looked through, since they do not change the bit width.
    """
    import tensorflow as tf

    passthrough = (tf.keras.layers.Flatten, tf.keras.layers.Reshape, tf.keras.layers.Dropout)
    current = layer
    while True:
        nodes = getattr(current, "_inbound_nodes", [])
        if not nodes:
            return FLOAT_BITS
        producers = nodes[0].inbound_layers
        producer = producers[0] if isinstance(producers, (list, tuple)) else producers
        if producer is None or isinstance(producer, tf.keras.layers.InputLayer):
            return FLOAT_BITS
        inner = unwrap(producer)
        if isinstance(inner, passthrough):
            current = producer
            continue
        quantizer = getattr(inner, "quantizer", None)  # QActivation
        return quantizer_bits(quantizer) if quantizer is not None and not isinstance(quantizer, str) else FLOAT_BITS


def layer_bits(model) -> dict[str, dict[str, int]]:
    """Per kernel layer: weight, bias and input-activation bits (32 where a layer is float)."""
    out = {}
    for layer in kernel_layers(model):
        kq, bq = quantizers(layer)
        out[unwrap(layer).name] = {"weight": quantizer_bits(kq), "bias": quantizer_bits(bq),
                                   "input_activation": input_activation_bits(layer)}
    return out
