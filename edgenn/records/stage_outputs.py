"""What a model stage (train, compress) saves for the report so that the report never re-runs a model: every layer's
output on a capped sample of the held-out test split, the weights as the layers compute with them, and the model's
output on the whole test split (the ROC overlay's points).

Saved as one ``outputs.npz`` (``records.base.SealedArrays``: schema version, content hash over the metadata and every
array's digest). A stage directory written before this record existed has no such file; readers say so and name the
fix (re-run the stage) instead of loading the model.

The sample cap: at most ``SAMPLE_ROWS`` test rows (what the report drew when it re-ran models; overflow and underflow
fractions are resolved to 1/2000 = 0.05 % of the rows), fewer when one row's layer outputs are large, so the sample
holds at most ``MAX_SAMPLE_VALUES`` numbers (16 MiB as float32): an image family's convolutions (40x40x16 values per
row and layer) would otherwise add hundreds of MB to a model directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

import edgenn.filenames as filenames
from edgenn.errors import InvalidInputError
from edgenn.records.base import SealedArrays, read_sealed_arrays, require

SCHEMA_VERSION = 1
SAMPLE_ROWS = 2000
MAX_SAMPLE_VALUES = 1 << 22
_COMMANDS = {"train": "edgenn train <recipe>", "compress": "edgenn compress runs/<name>"}


def sample_rows(num_test: int, values_per_row: int) -> int:
    """How many test rows the sample keeps (``SAMPLE_ROWS``, fewer for large layer outputs; at least one)."""
    return max(1, min(SAMPLE_ROWS, num_test, MAX_SAMPLE_VALUES // max(1, values_per_row)))


@dataclass(frozen=True)
class StageOutputs(SealedArrays):
    """``layers``: layer name -> its outputs on the sample rows, in model order; ``weights``: layer -> {"weight",
    "bias"} as computed with (through QKeras quantizers); ``test_scores``/``test_labels``: the model's output and the
    labels on every test row (classifiers; None for anomaly stages, whose scores are ``scores.npz``)."""

    FILE: ClassVar[str] = filenames.OUTPUTS
    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION

    stage: str
    names: tuple[str, ...]  # class names, or the process names of anomaly events
    x: np.ndarray  # (rows, ...) the sample's model inputs, standardised as the stage fed them
    labels: np.ndarray  # (rows,) class labels, or process codes
    layers: dict[str, np.ndarray]
    weights: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    num_test: int = 0
    test_scores: np.ndarray | None = None
    test_labels: np.ndarray | None = None

    def __post_init__(self) -> None:
        rows = len(self.x)
        bad = [name for name, out in self.layers.items() if len(out) != rows]
        if len(self.labels) != rows or bad:
            raise InvalidInputError(f"stage outputs: {rows} sample rows, but labels {len(self.labels)} and layers "
                                    f"{bad} of other lengths.")
        if (self.test_scores is None) != (self.test_labels is None) or (
                self.test_scores is not None and len(self.test_scores) != len(self.test_labels)):
            raise InvalidInputError("stage outputs: test scores and test labels must come together, row for row.")

    # the names the report's sections use
    @property
    def y(self) -> np.ndarray:
        return self.labels

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.names

    @property
    def probs(self) -> np.ndarray:
        """The model's final output on the sample rows."""
        return next(reversed(self.layers.values()))

    def body(self) -> dict[str, Any]:
        return {"stage": self.stage, "names": list(self.names), "layer_names": list(self.layers),
                "weight_names": [[k, sorted(v)] for k, v in self.weights.items()], "num_test": int(self.num_test),
                "sample_rows": len(self.x), "has_test_scores": self.test_scores is not None}

    def arrays(self) -> dict[str, Any]:
        out = {"x": self.x, "labels": self.labels}
        out.update({f"layer_{i}": v for i, v in enumerate(self.layers.values())})
        for i, (layer, w) in enumerate(self.weights.items()):
            out.update({f"weight_{i}_{key}": v for key, v in w.items()})
        if self.test_scores is not None:
            out.update(test_scores=self.test_scores, test_labels=self.test_labels)
        return out

    @classmethod
    def load(cls, directory: Path, *, stage: str = "train") -> StageOutputs:
        """The record in ``directory`` (a stage directory); ``MissingArtifactError`` naming the re-run for a directory
        an older edgenn wrote, ``InvalidInputError`` for an edited, truncated or newer file."""
        command = _COMMANDS.get(stage, f"edgenn {stage}")
        path = Path(directory) / cls.FILE
        doc, arrays = read_sealed_arrays(path, kind="stage-outputs record", schema_version=SCHEMA_VERSION, oldest=1,
                                         command=command)
        try:
            layers = {name: arrays[f"layer_{i}"] for i, name in enumerate(doc["layer_names"])}
            weights = {layer: {key: arrays[f"weight_{i}_{key}"] for key in keys}
                       for i, (layer, keys) in enumerate(doc["weight_names"])}
            has_scores = bool(doc["has_test_scores"])
            return cls(str(doc["stage"]), tuple(str(n) for n in doc["names"]), arrays["x"], arrays["labels"], layers,
                       weights, int(doc["num_test"]), arrays["test_scores"] if has_scores else None,
                       arrays["test_labels"] if has_scores else None)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            require(False, str(path), f"not a stage-outputs record ({type(err).__name__}: {err})", command)
            raise  # unreachable: require raised
