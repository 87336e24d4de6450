"""Validation arrays for a user model with several data inputs: one array per input in the ``--data`` file.

The ``.npz`` holds the arrays under the model's input names (``np.savez(path, jets=..., muons=...)``) or, in input
order, under ``x0``, ``x1``, ...; an optional ``y`` holds labels. Anything else is refused in one line that names the
keys expected and the keys found. Declared extra inputs (``architectures.extra_inputs``, e.g. GarNet's n_vertices)
are computed from the data and never read from the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError


def data_inputs(model: Any) -> list[str]:
    """The model's inputs that take data (every input that is not a declared extra input), in input order."""
    from edgenn.architectures.extra_inputs import extra_input

    return [name for name in model.input_names if extra_input(name) is None]


def load_input_arrays(path: Path, model: Any) -> dict[str, np.ndarray]:
    """One float32 array per data input of ``model``, read from ``path`` and checked against the input shapes."""
    names = data_inputs(model)
    with np.load(path, allow_pickle=False) as npz:
        found = sorted(npz.files)
        if all(name in npz for name in names):
            keys = dict(zip(names, names))
        elif all(f"x{i}" in npz for i in range(len(names))):
            keys = {name: f"x{i}" for i, name in enumerate(names)}
        else:
            raise InvalidInputError(
                f"{path}: model '{model.name}' has {len(names)} data inputs {names}; the file holds {found}.",
                fix=f"save one array per input: np.savez(path, {', '.join(f'{n}=...' for n in names)}) "
                    f"or x0=..., x1=... in input order (and optionally y=labels).")
        arrays = {name: np.asarray(npz[key], np.float32) for name, key in keys.items()}
    rows = {len(a) for a in arrays.values()}
    if len(rows) != 1:
        raise InvalidInputError(f"{path}: the input arrays have different row counts "
                                f"({', '.join(f'{k}: {len(a)}' for k, a in arrays.items())}).",
                                fix="give every input the same rows, one per sample.")
    for name, a in arrays.items():
        expected = tuple(model.get_layer(name).output.shape[1:])
        if tuple(a.shape[1:]) != expected:
            raise InvalidInputError(f"{path}: array for input '{name}' ({keys[name]}) has rows of shape "
                                    f"{tuple(a.shape[1:])}, the input expects {expected}.",
                                    fix="pass inputs prepared exactly as the model takes them.")
        if not np.isfinite(a).all():
            raise InvalidInputError(f"{path}: array for input '{name}' contains NaN or Inf.", fix="remove or repair "
                                                                                               "those rows.")
    return arrays
