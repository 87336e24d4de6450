"""Exact precision rules for the layers that only move values: Cropping1D/2D and nearest-neighbour UpSampling1D/2D.

hls4ml 1.3 converts both for Keras 2 (``Cropping1D/2D`` layers, ``nnet_cropping.h``; ``UpSampling`` becomes its
``Resize`` layer with ``nearest`` interpolation, ``nnet_image.h``): each output element is a copy of one input
element, so the input type passes through and the result is exact for any type. Bounds stay per element, so a
later layer still sees which cells were cut or repeated. Bilinear upsampling computes weighted sums of neighbours,
which neither hls4ml's Keras parser nor edgenn's exact reference evaluates: refused with the fix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgenn.exporters.precision_rules import Context, Tensor, rule, unsupported
from edgenn.exporters.precision_types import LayerPrecision


def _spatial_rank(layer: Any, t: Tensor) -> int:
    rank = 2 if type(layer).__name__.endswith("2D") else 1
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        raise unsupported(layer, "channels_first data format.", fix="use data_format='channels_last'.")
    if t.lo.ndim != rank + 1:
        shape = "(length, channels)" if rank == 1 else "(height, width, channels)"
        raise unsupported(layer, f"expects a {shape} input, got bounds of shape {t.lo.shape}.")
    return rank


def _passes_through(layer: Any, t: Tensor, lo: np.ndarray, hi: np.ndarray, note: str) -> tuple[LayerPrecision,
                                                                                                 Tensor]:
    prec = LayerPrecision(layer.name, type(layer).__name__, t.fp, exact=t.exact, output_min=float(lo.min()),
                          output_max=float(hi.max()), notes=(note,))
    return prec, Tensor(lo, hi, t.fp, t.exact)


@rule("Cropping1D", "Cropping2D")
def _cropping(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    rank = _spatial_rank(layer, t)
    crop = layer.cropping
    crops = [tuple(crop)] if rank == 1 else [tuple(c) for c in crop]
    index = tuple(slice(a, size - b) for (a, b), size in zip(crops, t.lo.shape[:rank])) + (slice(None),)
    return _passes_through(layer, t, t.lo[index], t.hi[index], "cropping: a subset of the input's values")


@rule("UpSampling1D", "UpSampling2D")
def _upsampling(layer: Any, t: Tensor, ctx: Context) -> tuple[LayerPrecision, Tensor]:
    rank = _spatial_rank(layer, t)
    if getattr(layer, "interpolation", "nearest") != "nearest":
        raise unsupported(layer, f"{layer.interpolation} interpolation (weighted sums of neighbours).",
                          fix="use interpolation='nearest', which copies values and converts exactly.")
    size = (int(layer.size),) if rank == 1 else tuple(int(s) for s in layer.size)
    lo, hi = t.lo, t.hi
    for axis, s in enumerate(size):
        lo, hi = np.repeat(lo, s, axis=axis), np.repeat(hi, s, axis=axis)
    return _passes_through(layer, t, lo, hi, "nearest upsampling: copies of the input's values")
