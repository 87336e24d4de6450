"""Per-feature standardisation, fitted on the training split and saved with the model (``standardizer.json``).

Training, evaluation, ONNX checks and firmware validation all call the same ``Standardizer.apply``, so the firmware
sees exactly the inputs the model was trained on (it then quantizes them to its input type).

Two kinds, told apart by ``zero_padded``:
- features (N, F): every row is data; statistics over all rows.
- constituents (N, C, P), zero-padded to C particles: statistics over the *real* particles only (padding would drag
  the mean to zero and shrink the spread), and padded particles stay exactly zero after ``apply``. Each particle is
  transformed on its own, so permuting particles commutes with standardisation, and the model (and the firmware, whose
  input quantizer maps 0 to 0) still sees padding as zeros. A particle counts as padding when all its features are
  exactly 0, which is how ``datasets.jet_features.constituent_array`` pads; a real particle with every selected feature
  exactly 0.0 has probability zero for the continuous jet features.
- trigger objects (N, O * W) flattened from (N, O, W) (``object_width`` = W, e.g. 19 objects x (pT, eta, phi)):
  statistics per object *type* and feature, pooled over the type's slots and over real objects only; absent objects
  stay exactly zero. Per-slot statistics would break on rarely filled slots (a third electron in 1 of 1000 training
  events has a tiny spread, so a test event with one is standardised to thousands of sigma and every network
  extrapolates wildly there); pooling gives every electron the electron scale. Features named in ``centre`` as
  False are scaled without subtracting the mean (for pT, so that an absent object, 0, stays below every real one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgenn.errors import InvalidInputError
from edgenn.io import atomic_write_json, read_json


def real_particles(x: np.ndarray) -> np.ndarray:
    """Boolean mask over all axes but the last: True where a row (particle) has any non-zero feature."""
    return np.any(x != 0, axis=-1)


@dataclass(frozen=True)
class Standardizer:
    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    zero_padded: bool = False  # constituents: fitted on real particles, padding kept at exactly zero
    object_width: int | None = None  # trigger objects: features per object in a flattened row (padding per object)

    @classmethod
    def fit(cls, x: np.ndarray, feature_names: tuple[str, ...]) -> Standardizer:
        axes = tuple(range(x.ndim - 1))
        return cls._from_stats(x.mean(axis=axes), x.std(axis=axes), feature_names, zero_padded=False)

    @classmethod
    def fit_real_particles(cls, x: np.ndarray, feature_names: tuple[str, ...]) -> Standardizer:
        """Fit on the real (non-padded) particles of zero-padded constituents (N, C, P); see the module docstring."""
        rows = x.reshape(-1, x.shape[-1])
        rows = rows[real_particles(rows)]
        if len(rows) == 0:
            raise InvalidInputError("the training split holds no real particles (every constituent is zero padding).",
                                    fix="check the dataset's constituents (edgenn data generate jets writes them).")
        return cls._from_stats(rows.mean(axis=0), rows.std(axis=0), feature_names, zero_padded=True)

    @classmethod
    def fit_objects(cls, x: np.ndarray, feature_names: tuple[str, ...], object_types: tuple[int, ...],
                    centre: tuple[bool, ...] | None = None) -> Standardizer:
        """Fit flattened trigger objects (N, O * W), ``object_types[o]`` naming the type of slot o; see the docstring."""
        n_obj = len(object_types)
        if x.ndim != 2 or x.shape[1] % n_obj:
            raise InvalidInputError(f"object rows have shape {x.shape}, not (N, {n_obj} objects x features).",
                                    fix="pass events in the ADC2021 layout (EventData.features()).")
        width = x.shape[1] // n_obj
        objects = x.reshape(len(x), n_obj, width)
        mean, std = np.zeros((n_obj, width)), np.ones((n_obj, width))
        types = np.asarray(object_types)
        for t in np.unique(types):
            rows = objects[:, types == t, :].reshape(-1, width)
            rows = rows[real_particles(rows)]
            if len(rows):
                mean[types == t], std[types == t] = rows.mean(axis=0), rows.std(axis=0)
        if centre is not None:  # features left uncentred keep 0 = "no object" below every real value (pT)
            mean[:, ~np.asarray(centre, bool)] = 0.0
        out = cls._from_stats(mean.reshape(-1), std.reshape(-1), feature_names, zero_padded=True)
        return cls(out.feature_names, out.mean, out.scale, True, width)

    @classmethod
    def _from_stats(cls, mean: np.ndarray, std: np.ndarray, feature_names: tuple[str, ...], *,
                    zero_padded: bool) -> Standardizer:
        # a constant feature carries no information; dividing by zero would turn it into NaN
        return cls(tuple(feature_names), np.asarray(mean, np.float64), np.where(std > 0, std, 1.0).astype(np.float64),
                   zero_padded)

    def _check_width(self, x: np.ndarray) -> None:
        if x.shape[-1] != len(self.mean):
            raise InvalidInputError(
                f"input has {x.shape[-1]} features per row, the model expects {len(self.mean)} "
                f"({', '.join(self.feature_names)}).", fix="pass data with the model's features, in that order.")

    def apply(self, x: np.ndarray) -> np.ndarray:
        self._check_width(x)
        out = ((x - self.mean) / self.scale).astype(np.float32)
        if self.zero_padded:
            self._zero_padding(x, out)
        return out

    def _zero_padding(self, x: np.ndarray, out: np.ndarray) -> None:
        if self.object_width is None:
            out[~real_particles(x)] = 0.0
            return
        shape = (*x.shape[:-1], x.shape[-1] // self.object_width, self.object_width)
        out.reshape(shape)[~real_particles(x.reshape(shape))] = 0.0

    def invert(self, x: np.ndarray) -> np.ndarray:
        """Raw inputs from standardised ones (``apply`` undone, up to float rounding); padding stays zero."""
        self._check_width(x)
        out = (x * self.scale + self.mean).astype(np.float32)
        if self.zero_padded:
            self._zero_padding(x, out)
        return out

    def save(self, path: Path) -> None:
        atomic_write_json(path, {"feature_names": list(self.feature_names), "mean": self.mean.tolist(),
                                 "scale": self.scale.tolist(), "zero_padded": self.zero_padded,
                                 "object_width": self.object_width})

    @classmethod
    def load(cls, path: Path) -> Standardizer:
        d = read_json(path)
        # files written before constituent standardisation have no "zero_padded": they are feature standardisers
        return cls(tuple(d["feature_names"]), np.asarray(d["mean"]), np.asarray(d["scale"]),
                   bool(d.get("zero_padded", False)), d.get("object_width"))
