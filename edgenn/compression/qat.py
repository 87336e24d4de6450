"""Quantization-aware training: rebuild the model with QKeras layers, and store the quantized weights at the end.

``quantize_layers`` asks the model family for its quantized build (``family.build(..., qat=spec)``: same layer names,
an input quantizer ``input_quant`` in front) and copies the weights over by layer name; the ``fine_tune`` run then
trains through the quantizers (straight-through estimator).

``snap_weights_to_grid`` replaces every QKeras kernel and bias by its quantized value ``q(w)``. QKeras quantizers with
``alpha=1`` are idempotent on their grid (``q(q(w)) == q(w)`` exactly: scaling by powers of two is exact in float32),
so the model's outputs do not change, while every reader of the saved file (hls4ml, ONNX export, sparsity and BOPs
counts) sees exactly the numbers the firmware multiplies with.
"""

from __future__ import annotations

import time

import numpy as np
from pydantic import BaseModel, ConfigDict

from edgenn.compression.base import CompressionState, Pass, PassRecord, register_pass
from edgenn.config.recipe import QatSpec
from edgenn.errors import InvalidInputError


def check_quantizable(family, params) -> list[str]:
    """The family's quantizable layer names; an error if there are none (QAT would change nothing)."""
    names = family.quantizable_layers(params)
    if not names:
        raise InvalidInputError(
            f"compress.qat: model family {family.name!r} has no quantizable layers, so quantization-aware training "
            "cannot apply.", fix="remove compress.qat, or use a family with QKeras support (e.g. 'dense').")
    return names


@register_pass
class QuantizeLayers(Pass):
    """Rebuild the model as its family's QKeras model and copy the weights across by layer name."""

    name = "quantize_layers"
    params_model = QatSpec

    def __init__(self, params: QatSpec, *, family, family_params) -> None:
        super().__init__(params)
        self.family = family
        self.family_params = family_params

    def apply(self, state: CompressionState) -> tuple[CompressionState, PassRecord]:
        from edgenn.compression.layers import layer_bits, unwrap

        t0 = time.perf_counter()
        check_quantizable(self.family, self.family_params)
        data = state.data
        quantized = self.family.build(self.family_params, data.train.x.shape[1:], len(data.class_names), self.params)
        if self.family.deploy is not None:  # e.g. the VAE: only its firmware part (encoder + sum(mu^2)) was trained on
            quantized = self.family.deploy(quantized, self.family_params)
        source = {unwrap(layer).name: unwrap(layer) for layer in state.model.layers}
        copied = []
        for layer in quantized.layers:
            if not layer.weights:
                continue
            if layer.name not in source:
                raise InvalidInputError(
                    f"compress.qat: the quantized {self.family.name} model has layer {layer.name!r}, which the trained "
                    "model lacks, so its weights cannot be carried over.",
                    fix="compress a model trained from the same recipe (same model.family and model.params).")
            layer.set_weights(source[layer.name].get_weights())
            copied.append(layer.name)
        new_state = state.evolve(model=quantized, qat=self.params)
        return new_state, self.record(state, new_state, changed=True, started=t0,
                                      details={"layers": copied, "bits": layer_bits(quantized)})


class SnapParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@register_pass
class SnapWeightsToGrid(Pass):
    """Store ``q(w)`` instead of ``w`` in every QKeras kernel and bias (outputs unchanged; see module docstring)."""

    name = "snap_weights_to_grid"
    params_model = SnapParams

    def apply(self, state: CompressionState) -> tuple[CompressionState, PassRecord]:
        from edgenn.compression.base import clone_with_weights
        from edgenn.compression.layers import effective_bias, effective_kernel, kernel_layers, quantizers, unwrap

        t0 = time.perf_counter()
        model = clone_with_weights(state.model)
        snapped = []
        for layer in kernel_layers(model):
            if quantizers(layer) == (None, None):
                continue
            inner = unwrap(layer)
            inner.kernel.assign(effective_kernel(layer))
            bias = effective_bias(layer)
            if bias is not None:
                inner.bias.assign(bias)
            snapped.append(inner.name)
        new_state = state.evolve(model=model)
        return new_state, self.record(state, new_state, changed=bool(snapped), started=t0,
                                      details={"layers": snapped})


def on_grid(values: np.ndarray, bits: int, integer: int, *, signed: bool = True) -> bool:
    """True if every value is a multiple of 2^-f and inside the fixed-point range (QKeras conventions).

    QKeras' ``quantized_bits(bits, integer)`` keeps a sign bit outside ``integer``: f = bits - integer - 1, integers
    in [-2^(bits-1), 2^(bits-1) - 1]; ``quantized_relu(bits, integer)`` is unsigned: f = bits - integer.
    """
    frac = bits - integer - (1 if signed else 0)
    scaled = np.asarray(values, dtype=np.float64) * 2.0**frac
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    return bool(np.all(scaled == np.round(scaled)) and scaled.min() >= lo and scaled.max() <= hi)
