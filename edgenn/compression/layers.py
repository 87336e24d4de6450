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
    """Does this layer qualify for magnitude pruning? Trainable Dense/QDense and Conv2D/QConv2D (kernels, not biases).

    tfmot prunes both (QDense and QConv2D are tfmot ``PrunableLayer``s returning only their kernel). Non-trainable
    Dense layers hold fixed structure (the interaction network's 0/1 gather matrices), not weights."""
    import tensorflow as tf

    inner = unwrap(layer)
    # QDense subclasses Dense and QConv2D subclasses Conv2D
    return isinstance(inner, (tf.keras.layers.Dense, tf.keras.layers.Conv2D)) and bool(inner.trainable)


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

    Layers that only move or select values (Flatten, Reshape, Permute, Dropout, max pooling, Concatenate: the widest
    input) are looked through, since they do not change the bit width. Two layers widen it exactly as the firmware
    does: average pooling over k values adds ceil(log2 k) fraction bits, and a fixed 0/1 matrix (the interaction
    network's gather/aggregate layers) adds ceil(log2 c) integer bits for at most c ones per output. An elementwise
    product of quantized values (the VAE's mu * mu) is as wide as its factors' widths summed.
    """
    return _output_bits(_producers(layer), depth=0)


def _producers(layer) -> list:
    nodes = getattr(layer, "_inbound_nodes", [])
    if not nodes:
        return []
    producers = nodes[0].inbound_layers
    return list(producers) if isinstance(producers, (list, tuple)) else [producers]


def _output_bits(producers: list, *, depth: int) -> int:
    """Widest output bit width of ``producers`` (32 for float or unknown ones)."""
    return max((_bits_of(p, depth=depth) for p in producers), default=FLOAT_BITS) if producers else FLOAT_BITS


def _bits_of(producer, *, depth: int) -> int:
    import tensorflow as tf

    layers = tf.keras.layers
    moves = (layers.Flatten, layers.Reshape, layers.Permute, layers.Dropout, layers.Concatenate, layers.MaxPooling1D,
             layers.MaxPooling2D, layers.GlobalMaxPooling1D, layers.GlobalMaxPooling2D, layers.ZeroPadding2D)
    averages = (layers.AveragePooling1D, layers.AveragePooling2D, layers.GlobalAveragePooling1D,
                layers.GlobalAveragePooling2D)
    if producer is None or isinstance(producer, layers.InputLayer) or depth > 50:
        return FLOAT_BITS
    inner = unwrap(producer)
    quantizer = getattr(inner, "quantizer", None)  # QActivation
    if quantizer is not None:
        return quantizer_bits(quantizer) if not isinstance(quantizer, str) else FLOAT_BITS
    upstream = _producers(producer)
    if isinstance(inner, moves):
        return _output_bits(upstream, depth=depth + 1)
    if isinstance(inner, averages):
        return _widen(_output_bits(upstream, depth=depth + 1), _averaged_values(inner))
    if isinstance(inner, layers.Multiply):  # an exact product (the VAE's mu * mu) is as wide as its factors together
        widths = [_bits_of(p, depth=depth + 1) for p in upstream]
        return FLOAT_BITS if not widths or max(widths) >= FLOAT_BITS else min(FLOAT_BITS, sum(widths))
    if isinstance(inner, layers.Dense) and not inner.trainable and getattr(inner, "bias", None) is None:
        kernel = np.asarray(inner.kernel.numpy())
        if np.isin(kernel, (0.0, 1.0)).all():
            return _widen(_output_bits(upstream, depth=depth + 1), int(kernel.sum(axis=0).max(initial=1)))
    return FLOAT_BITS


def _widen(bits: int, num_terms: int) -> int:
    return bits if bits >= FLOAT_BITS or num_terms <= 1 else bits + int(np.ceil(np.log2(num_terms)))


def _averaged_values(layer) -> int:
    import tensorflow as tf

    if isinstance(layer, (tf.keras.layers.GlobalAveragePooling1D, tf.keras.layers.GlobalAveragePooling2D)):
        return int(np.prod([d or 1 for d in layer.input_shape[1:-1]]))
    return int(np.prod(layer.pool_size))


def layer_bits(model) -> dict[str, dict[str, int]]:
    """Per kernel layer: weight, bias and input-activation bits (32 where a layer is float)."""
    out = {}
    for layer in kernel_layers(model):
        kq, bq = quantizers(layer)
        out[unwrap(layer).name] = {"weight": quantizer_bits(kq), "bias": quantizer_bits(bq),
                                   "input_activation": input_activation_bits(layer)}
    return out
