"""Exact arithmetic of the layers that act on a whole feature vector: ``Dot``, ``Embedding``, ``LayerNormalization``.

Rules as in ``layers`` (registered into the same ``RULES``; ``evaluate`` imports this module): ``(output, exact,
reason)`` for float64 inputs. A ``Dot`` of dyadic vectors is exact when the sum of the absolute products stays below
2**53 of the finest product grid (``exactness``); an ``Embedding`` gathers stored rows (exact); ``LayerNormalization``
divides by a square root, a real function, so it is evaluated in float64 and marked inexact.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgenn.errors import UnsupportedModelError
from edgenn.reference.exactness import FLOAT64_SIGNIFICAND_BITS, grid_exponent
from edgenn.reference.layers import Out, rule


def _where(layer: Any) -> str:
    return f"layer '{layer.name}' ({type(layer).__name__})"


def _unsupported(layer: Any, why: str) -> UnsupportedModelError:
    return UnsupportedModelError(f"{_where(layer)}: {why}")


@rule("Dot")
def _dot(layer: Any, ins: list[np.ndarray]) -> Out:
    a, b = ins
    if a.ndim != 2 or getattr(layer, "normalize", False):
        raise _unsupported(layer, "only Dot(axes=1) of two vectors is evaluated.")
    y = (a * b).sum(axis=-1, keepdims=True)
    ea, eb = grid_exponent(a), grid_exponent(b)
    bound = float(np.abs(a * b).sum(axis=-1).max(initial=0.0))
    exact = ea is None or eb is None or bound < 2.0 ** (FLOAT64_SIGNIFICAND_BITS + ea + eb)
    return y, exact, "" if exact else f"{_where(layer)}: the inner product is not exact in float64"


@rule("Embedding")
def _embedding(layer: Any, ins: list[np.ndarray]) -> Out:
    # Keras casts the indices to int32 (toward zero) and gathers rows; out-of-vocabulary indices are invalid input
    idx = ins[0].astype(np.int64)
    if idx.min(initial=0) < 0 or idx.max(initial=0) >= int(layer.input_dim):
        raise _unsupported(layer, f"index outside [0, {int(layer.input_dim)}) in the data.")
    return np.asarray(layer.embeddings.numpy(), np.float64)[idx], True, ""


@rule("LayerNormalization")
def _layernorm(layer: Any, ins: list[np.ndarray]) -> Out:
    x = ins[0]
    axes = tuple(int(a) for a in np.atleast_1d(layer.axis))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + float(layer.epsilon))
    if layer.scale:
        y = y * np.asarray(layer.gamma.numpy(), np.float64)
    if layer.center:
        y = y + np.asarray(layer.beta.numpy(), np.float64)
    return y, False, f"{_where(layer)}: LayerNormalization divides by a square root, evaluated in float64"
