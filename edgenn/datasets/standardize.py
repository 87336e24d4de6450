"""Per-feature standardisation, fitted on the training split and saved with the model (``standardizer.json``).

Training, evaluation, ONNX checks and firmware validation all call the same ``Standardizer.apply``, so the firmware
sees exactly the inputs the model was trained on (it then quantizes them to its input type).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgenn.errors import InvalidInputError
from edgenn.io import atomic_write_json, read_json


@dataclass(frozen=True)
class Standardizer:
    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, feature_names: tuple[str, ...]) -> Standardizer:
        axes = tuple(range(x.ndim - 1))
        mean = x.mean(axis=axes)
        std = x.std(axis=axes)
        # a constant feature carries no information; dividing by zero would turn it into NaN
        return cls(tuple(feature_names), mean.astype(np.float64), np.where(std > 0, std, 1.0).astype(np.float64))

    def apply(self, x: np.ndarray) -> np.ndarray:
        if x.shape[-1] != len(self.mean):
            raise InvalidInputError(
                f"input has {x.shape[-1]} features per row, the model expects {len(self.mean)} "
                f"({', '.join(self.feature_names)}).", fix="pass data with the model's features, in that order.")
        return ((x - self.mean) / self.scale).astype(np.float32)

    def save(self, path: Path) -> None:
        atomic_write_json(path, {"feature_names": list(self.feature_names), "mean": self.mean.tolist(),
                                 "scale": self.scale.tolist()})

    @classmethod
    def load(cls, path: Path) -> Standardizer:
        d = read_json(path)
        return cls(tuple(d["feature_names"]), np.asarray(d["mean"]), np.asarray(d["scale"]))
