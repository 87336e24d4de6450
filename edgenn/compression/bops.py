"""Bit operations (BOPs): a hardware-independent cost of a quantized, pruned network.

Ps and Qs (Hawks et al., "Ps and Qs: Quantization-Aware Pruning for Efficient Low Latency Neural Network Inference",
Front. Artif. Intell. 4:676564, 2021, arXiv:2103.05579), Eq. 1, after Baskin et al. (UNIQ), estimates a fully
connected layer with ``n`` inputs and ``m`` outputs as

    BOPs ~= m * n * ((1 - f_p) * b_a * b_w + b_a + b_w + log2(n))

with ``b_a``, ``b_w`` the bit widths of the layer's input activations and weights and ``f_p`` the fraction of the
layer's weights that are pruned: the first term counts the surviving multiplications, the rest the accumulation.
The authors' own code (ben-hawks/pytorch-jet-classify, tools/param_count.py, ``calc_BOPS``) implements the same
expression with ``p = 1 - f_p``. Two conventions here: ``f_p`` is measured on the *effective* kernel (after the
quantizer, so weights that quantize to zero count as pruned, since hls4ml drops them too), and biases are left out of
``f_p`` (the paper speaks of layer weights; the reference code lumps biases in, a < 1 % difference for these layers).
Float layers and float inputs count 32 bits. A convolution, or a Dense applied to every element of a set or sequence
(deep sets, per-particle layers), is counted as its dense equivalent per output position: ``n`` = kernel size x input
channels, ``m`` = filters, times the number of output positions.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


def dense_bops(num_inputs: int, num_outputs: int, activation_bits: int, weight_bits: int,
               remaining_fraction: float) -> float:
    """Eq. 1 of arXiv:2103.05579 for one dense layer; ``remaining_fraction`` = 1 - f_p (kept weights / all weights).

    >>> dense_bops(16, 64, 8, 6, 0.25)  # 64*16*(0.25*48 + 8 + 6 + 4)
    30720.0
    """
    if num_inputs < 1 or num_outputs < 1:
        raise ValueError(f"a layer needs >= 1 input and output (got n={num_inputs}, m={num_outputs})")
    if not 0.0 <= remaining_fraction <= 1.0:
        raise ValueError(f"remaining_fraction must be in [0, 1] (got {remaining_fraction})")
    n, m = num_inputs, num_outputs
    return float(m * n * (remaining_fraction * activation_bits * weight_bits + activation_bits + weight_bits
                          + math.log2(n)))


@dataclass(frozen=True)
class LayerBops:
    layer: str
    num_inputs: int
    num_outputs: int
    positions: int  # output positions sharing the kernel (1 for Dense)
    activation_bits: int
    weight_bits: int
    remaining_fraction: float
    bops: float


def layer_bops(layer) -> LayerBops:
    from edgenn.compression.layers import effective_kernel, input_activation_bits, quantizer_bits, quantizers, unwrap

    kernel = effective_kernel(layer)
    n = int(np.prod(kernel.shape[:-1]))
    m = int(kernel.shape[-1])
    try:
        out_shape = unwrap(layer).output_shape
    except AttributeError:  # a layer called on several inputs has no single output shape
        out_shape = (None, m)
    positions = int(np.prod([d or 1 for d in out_shape[1:-1]]))  # 1 for Dense on a vector
    remaining = float(np.count_nonzero(kernel)) / kernel.size
    b_a = input_activation_bits(layer)
    b_w = quantizer_bits(quantizers(layer)[0])
    return LayerBops(unwrap(layer).name, n, m, positions, b_a, b_w, remaining,
                     positions * dense_bops(n, m, b_a, b_w, remaining))


def model_bops(model) -> list[LayerBops]:
    """BOPs of every layer with a kernel, in model order."""
    from edgenn.compression.layers import kernel_layers

    return [layer_bops(layer) for layer in kernel_layers(model)]


def bops_summary(model) -> dict:
    layers = model_bops(model)
    return {"total": float(sum(entry.bops for entry in layers)), "layers": [asdict(entry) for entry in layers]}
