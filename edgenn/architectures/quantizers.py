"""QKeras quantizer construction from the recipe's ``QuantBits``.

``alpha=1`` everywhere: QKeras' default per-channel scale (``alpha=None``/'auto') would put a non-power-of-two factor in
front of the weights, which no ``ap_fixed`` type represents and which would break bit-exact firmware.
"""

from __future__ import annotations

from edgenn.config.recipe import LayerQuant, QatSpec, QuantBits


def bits_quantizer(q: QuantBits):
    from qkeras import quantized_bits

    return quantized_bits(q.bits, q.integer, alpha=1)


def relu_quantizer(q: QuantBits):
    from qkeras import quantized_relu

    return quantized_relu(q.bits, q.integer)


def layer_quant(qat: QatSpec, layer: str) -> tuple[QuantBits, QuantBits, QuantBits]:
    """(weight, bias, activation) bits for ``layer``: per-layer overrides fall back to the recipe's globals."""
    override = qat.layers.get(layer, LayerQuant())
    return (override.weight or qat.weight, override.bias or qat.bias, override.activation or qat.activation)


def dense_head(x, units: list[int], num_classes: int, *, reg, qat: QatSpec | None):
    """``dense_k`` + ``relu_k`` per entry of ``units``, then ``logits``: float layers, or QKeras ones when ``qat`` is
    given. The names are the same in both builds, so weights move between them by name."""
    from tensorflow.keras import layers

    if qat is None:
        for i, n in enumerate(units):
            x = layers.Dense(n, kernel_regularizer=reg, name=f"dense_{i}")(x)
            x = layers.Activation("relu", name=f"relu_{i}")(x)
        return layers.Dense(num_classes, kernel_regularizer=reg, name="logits")(x)
    from qkeras import QActivation, QDense

    for i, n in enumerate(units):
        w, b, a = layer_quant(qat, f"dense_{i}")
        x = QDense(n, kernel_quantizer=bits_quantizer(w), bias_quantizer=bits_quantizer(b), kernel_regularizer=reg,
                   name=f"dense_{i}")(x)
        x = QActivation(relu_quantizer(a), name=f"relu_{i}")(x)
    w, b, _ = layer_quant(qat, "logits")
    return QDense(num_classes, kernel_quantizer=bits_quantizer(w), bias_quantizer=bits_quantizer(b),
                  kernel_regularizer=reg, name="logits")(x)
