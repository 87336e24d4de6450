"""Model inputs that are computed from the primary input array (e.g. GarNet's vertex count).

Contract: every stage hands a model one array ``x`` (what ``training.inputs.prepare`` makes). A family whose Keras
model takes more inputs declares each extra one with ``register_extra_input(ExtraInput(...))`` under the name of its
Keras ``Input`` layer; ``feed(model, x)`` then returns what Keras, ``model.fit`` and hls4ml's ``predict`` take: ``x``
itself for a single-input model, else one float32 array per model input, in the model's input order. Extra inputs are
integers (counts, indices) and say their exact range, from which the firmware type is derived.

Computing the extra inputs from ``x`` (instead of storing them in the dataset) keeps one source of truth: the padding
of the constituents already says how many are real, and a second array could disagree with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgenn.errors import UnsupportedModelError


@dataclass(frozen=True)
class ExtraInput:
    """An integer model input computed from the primary array.

    ``compute``: primary (batch, ...) -> (batch, k) values; ``bounds``: primary row shape -> (min, max) integers.
    """

    name: str
    compute: Callable[[np.ndarray], np.ndarray]
    bounds: Callable[[tuple[int, ...]], tuple[int, int]]
    description: str = ""


_EXTRA_INPUTS: dict[str, ExtraInput] = {}


def register_extra_input(extra: ExtraInput) -> ExtraInput:
    if extra.name in _EXTRA_INPUTS:
        raise ValueError(f"extra input {extra.name!r} is registered twice")
    _EXTRA_INPUTS[extra.name] = extra
    return extra


def extra_input(name: str) -> ExtraInput | None:
    """The declared extra input called ``name``, or None for a primary input."""
    from edgenn.architectures.registry import families

    families()  # family modules register their extra inputs on import
    return _EXTRA_INPUTS.get(name)


def input_names(model: Any) -> list[str]:
    return list(model.input_names)


def primary_input(model: Any) -> str:
    """Name of the one model input that takes ``x``; UnsupportedModelError if there is not exactly one."""
    names = input_names(model)
    primary = [n for n in names if extra_input(n) is None]
    if len(primary) != 1:
        raise UnsupportedModelError(
            f"model '{model.name}' has inputs {names}: exactly one must take the data array (the others must be "
            "declared extra inputs such as 'n_vertices').",
            fix="build the model with one data input; declare further inputs with register_extra_input.")
    return primary[0]


def feed(model: Any, x: np.ndarray | list[np.ndarray]) -> Any:
    """``x`` for a single-input model, else a list of float32 arrays in the model's input order.

    ``x`` is one array, or (a model with several data inputs, e.g. read from a user's ``--data`` file) a list of one
    array per model input, in input order, which is returned as float32. float32 for every input: hls4ml's
    ``predict`` picks its C entry point from the first array's dtype and passes all arrays with that one type
    (hls4ml/model/graph.py ``_get_top_function``).
    """
    names = input_names(model)
    if isinstance(x, (list, tuple)):
        if len(x) != len(names):
            raise UnsupportedModelError(f"model '{model.name}' has {len(names)} inputs {names}, got {len(x)} arrays.")
        return [np.ascontiguousarray(a, dtype=np.float32) for a in x]
    if len(names) == 1:
        return x
    primary = primary_input(model)
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    out = []
    for name in names:
        out.append(x32 if name == primary else
                   np.ascontiguousarray(extra_input(name).compute(x32), dtype=np.float32))  # type: ignore[union-attr]
    return out


def num_rows(x: np.ndarray | list[np.ndarray]) -> int:
    """Samples in ``x``: one array, or one array per model input (all with the same rows)."""
    return len(x[0]) if isinstance(x, (list, tuple)) else len(x)


def take_rows(x: np.ndarray | list[np.ndarray], stop: int) -> np.ndarray | list[np.ndarray]:
    """The first ``stop`` samples of ``x`` (every input's array cut alike)."""
    return [a[:stop] for a in x] if isinstance(x, (list, tuple)) else x[:stop]


def vertex_count(x: np.ndarray) -> np.ndarray:
    """Number of real particles per row of zero-padded constituents (batch, N, P) -> (batch, 1).

    Padding is the run of all-zero particles at the end (particles are sorted by pT and padded after the last one);
    counting up to the last non-zero particle rather than counting non-zero particles keeps a real particle whose
    chosen features all happen to be zero inside the graph.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise UnsupportedModelError(f"vertex count: expected constituents of shape (batch, N, P), got {x.shape}.")
    nonzero = np.any(x != 0, axis=2)
    n = x.shape[1]
    last = n - np.argmax(nonzero[:, ::-1], axis=1)
    return np.where(nonzero.any(axis=1), last, 0).astype(np.float32)[:, None]


N_VERTICES = register_extra_input(ExtraInput(
    "n_vertices", vertex_count, lambda shape: (0, int(shape[0])),
    "number of real (non-padding) particles, counted from the zero padding of the constituents"))
