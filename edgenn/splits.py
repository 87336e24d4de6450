"""The split record: which dataset rows are train, validation and test, drawn once by the training stage.

Saved with every model directory (``splits.npz``), so compression, export, reporting and the scan read the same rows
instead of re-deriving the split (which gave the same rows only because every caller passed the same seed). The
record carries a hash of the labels it was drawn on, so a dataset regenerated under the run's feet is refused instead
of silently splitting different rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import edgenn.filenames as filenames
from edgenn.errors import InvalidInputError

SPLIT_FILE = filenames.SPLITS
SCHEMA_VERSION = 1


def labels_hash(labels: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(labels, dtype=np.int64).tobytes()).hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class SplitRecord:
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    num_rows: int
    labels_hash: str
    seed: int
    schema_version: int = SCHEMA_VERSION

    @classmethod
    def draw(cls, labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int) -> SplitRecord:
        """A split stratified by ``labels`` (class or process code), seeded."""
        rng = np.random.default_rng(seed)
        parts: tuple[list, list, list] = ([], [], [])
        for k in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == k))
            n_test = int(round(len(idx) * test_fraction))
            n_val = int(round(len(idx) * val_fraction))
            for part, rows in zip(parts, (idx[n_test + n_val:], idx[n_test:n_test + n_val], idx[:n_test])):
                part.append(rows)
        train, val, test = (np.sort(np.concatenate(p)) if p else np.zeros(0, np.int64) for p in parts)
        return cls(train, val, test, len(labels), labels_hash(labels), int(seed))

    def check_matches(self, labels: np.ndarray, where: str) -> None:
        if len(labels) != self.num_rows or labels_hash(labels) != self.labels_hash:
            raise InvalidInputError(
                f"{where}: the dataset is not the one this model was split on ({len(labels)} rows now, "
                f"{self.num_rows} when it was trained, or the same count with other labels).",
                fix="point data.path at the dataset the run was trained on, or retrain on this one.")

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}

    def save(self, path: Path) -> None:
        from edgenn.io import atomic_path

        with atomic_path(Path(path)) as tmp:
            with open(tmp, "wb") as fh:  # a file handle: np.savez would append .npz to the temporary name
                np.savez(fh, train=self.train, val=self.val, test=self.test, num_rows=self.num_rows,
                         labels_hash=self.labels_hash, seed=self.seed, schema_version=self.schema_version)

    @classmethod
    def load(cls, path: Path) -> SplitRecord:
        with np.load(path) as z:
            if int(z["schema_version"]) > SCHEMA_VERSION:
                raise InvalidInputError(f"{path}: split record schema {int(z['schema_version'])} is newer than this "
                                        f"edgenn reads ({SCHEMA_VERSION}).", fix="upgrade edgenn.")
            return cls(z["train"], z["val"], z["test"], int(z["num_rows"]), str(z["labels_hash"]), int(z["seed"]),
                       int(z["schema_version"]))
