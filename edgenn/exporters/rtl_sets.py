"""RTL trace of the layers that sets and graphs of particles are built from (Deep Sets, jedi_linear).

Contract: each function registered here with ``@register_rtl_layer`` turns one Keras layer into an ``RtlStep`` whose
step works on a numpy array with a batch axis (the software reference) and on a da4ml ``FixedVariableArray``
without one (the hardware), so every axis is counted from the end. A per-particle Dense needs nothing new: the
``QDense`` trace contracts the last axis, on a 3-D tensor too (da4ml solves the kernel once per particle row).

Why each is exact (the exact reference, ``edgenn.reference``, computes the same values): Permute and Concatenate
move wires; Add/Subtract are exact adders sized by da4ml; Average and mean pooling multiply an exact sum by a power of
two, a shift (mean pooling over a count that is not a power of two is refused, as the precision rule refuses it);
Maximum/Minimum and max pooling select one input. No cast is needed after any of them: ``precision`` gives each
result a type that holds the exact value, so hls4ml's cast to it is the identity too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from edgenn.errors import UnsupportedModelError
from edgenn.exporters.precision import ModelPrecision
from edgenn.exporters.rtl_trace import RtlStep, register_rtl_layer


def _rank(layer: Any) -> int:
    """Axes of the layer's input without the batch axis."""
    shape = layer.input_shape[0] if isinstance(layer.input_shape, list) else layer.input_shape
    return len(shape) - 1


def _refuse(layer: Any, why: str, fix: str) -> UnsupportedModelError:
    return UnsupportedModelError(f"layer '{layer.name}' ({type(layer).__name__}): {why}", fix=fix)


@register_rtl_layer("Permute")
def trace_permute(layer: Any, precision: ModelPrecision, fraction: int) -> RtlStep:
    rank = len(layer.dims)
    trailing = tuple(d - 1 - rank for d in layer.dims)  # Keras dims count from 1 after the batch axis

    def step(x: Any) -> Any:
        lead = tuple(range(x.ndim - rank))
        return np.transpose(x, (*lead, *(x.ndim + a for a in trailing)))

    return RtlStep(step, fraction)


@register_rtl_layer("Concatenate")
def trace_concatenate(layer: Any, precision: ModelPrecision, fraction: int) -> RtlStep:
    axis = layer.axis if layer.axis < 0 else layer.axis - _rank(layer) - 1  # from the end: same with or without batch
    return RtlStep(lambda xs: np.concatenate(xs, axis=axis), fraction, merge=True)


_MERGES: dict[str, Callable[[Any, Any], Any]] = {
    "Add": lambda a, b: a + b,
    "Subtract": lambda a, b: a - b,
    "Average": lambda a, b: (a + b) * 0.5,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
}


@register_rtl_layer(*_MERGES)
def trace_merge(layer: Any, precision: ModelPrecision, fraction: int) -> RtlStep:
    cls = type(layer).__name__
    op = _MERGES[cls]
    shapes = {tuple(s[1:]) for s in layer.input_shape}
    if len(layer.input_shape) != 2 or len(shapes) != 1:
        raise _refuse(layer, f"{cls} of {len(layer.input_shape)} inputs of shapes {sorted(shapes)}: the RTL merges two "
                             "tensors of one shape.", f"chain two-input {cls} layers on tensors of the same shape.")
    return RtlStep(lambda xs: op(xs[0], xs[1]), fraction + int(cls == "Average"), merge=True)


def _pool_axes(layer: Any) -> tuple[int, ...]:
    if getattr(layer, "data_format", "channels_last") != "channels_last" or getattr(layer, "keepdims", False):
        raise _refuse(layer, "channels_first or keepdims=True.", "pool channels_last with keepdims=False.")
    rank = _rank(layer)
    return tuple(range(-rank, -1))  # every axis but the channels, counted from the end


@register_rtl_layer("GlobalAveragePooling1D", "GlobalAveragePooling2D")
def trace_global_average(layer: Any, precision: ModelPrecision, fraction: int) -> RtlStep:
    axes = _pool_axes(layer)
    shape = layer.input_shape[1:]
    count = int(np.prod([shape[a] for a in axes]))
    if count & (count - 1):
        raise _refuse(layer, f"mean over {count} elements is not a shift (not a power of two).",
                      "use a power-of-two number of particles (data.num_constituents 8, 16 or 32) or pooling: max.")
    shift = count.bit_length() - 1
    return RtlStep(lambda x: np.sum(x, axis=axes) * 2.0 ** -shift, fraction + shift)


@register_rtl_layer("GlobalMaxPooling1D", "GlobalMaxPooling2D")
def trace_global_max(layer: Any, precision: ModelPrecision, fraction: int) -> RtlStep:
    axes = _pool_axes(layer)
    return RtlStep(lambda x: np.max(x, axis=axes), fraction)
