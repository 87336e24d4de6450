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
