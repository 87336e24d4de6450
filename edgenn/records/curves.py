"""Records of the training-set-size curves: one ``CurveCell`` per family x size x fold, and ``LearningCurves``, the
summary the table, the plot and the report are made from.

A cell is written atomically when its training ends, so an interrupted run leaves only finished cells; its ``key``
hashes everything that decides the result (recipe, split, size, fold, K, training settings), so a later run reuses a
cell only for the very same training and refuses a directory made with other settings.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import edgenn.filenames as filenames
from edgenn.errors import InvalidInputError
from edgenn.records.base import SealedFile, plain, read_record, seal

SCHEMA_VERSION = 1
COMMAND = "edgenn compare RECIPE... --train-sizes N,N,... --folds K"


@dataclass(frozen=True)
class FoldResult:
    """One trained model: its subset sizes and its test-split figures."""

    fold: int
    train_jets: int
    val_jets: int
    accuracy: float
    auc: dict[str, float]
    epochs_run: int
    stopped_early: bool
    seconds: float

    def value(self, metric: str) -> float:
        if metric == "accuracy":
            return self.accuracy
        if metric == "mean_auc":
            finite = [v for v in self.auc.values() if math.isfinite(v)]
            return sum(finite) / len(finite) if finite else float("nan")
        return float(self.auc.get(metric.removeprefix("auc."), float("nan")))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FoldResult:
        return cls(int(d["fold"]), int(d["train_jets"]), int(d["val_jets"]), float(d["accuracy"]),
                   {str(k): float(v) for k, v in d["auc"].items()}, int(d["epochs_run"]), bool(d["stopped_early"]),
                   float(d["seconds"]))


@dataclass(frozen=True)
class CurveCell(SealedFile):
    """One cell file: the key it was made under, where it sits on the curve, and its result."""

    key: str
    family: str  # the recipe's name: one line of the plot
    train_size: int
    folds: int
    result: FoldResult

    def to_dict(self) -> dict[str, Any]:
        return seal(asdict(self), SCHEMA_VERSION)

    def save_to(self, path: Path) -> None:
        from edgenn.io import atomic_write_json

        atomic_write_json(Path(path), self.to_dict())

    @classmethod
    def load(cls, path: Path) -> CurveCell:
        doc, _ = read_record(Path(path), kind="curve cell", schema_version=SCHEMA_VERSION, oldest=1, hashed_from=1,
                             command=COMMAND)
        try:
            return cls(str(doc["key"]), str(doc["family"]), int(doc["train_size"]), int(doc["folds"]),
                       FoldResult.from_dict(doc["result"]))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise InvalidInputError(f"{path}: not a curve cell ({type(err).__name__}: {err}).",
                                    fix=f"delete it and re-run `{COMMAND}` (it re-trains that cell).") from None


@dataclass(frozen=True)
class CurvePoint:
    """One family at one size: its K folds (``max_shared_rows``: most training rows two folds have in common)."""

    family: str
    train_size: int
    folds: tuple[FoldResult, ...]
    max_shared_rows: int

    def values(self, metric: str) -> tuple[float, ...]:
        return tuple(f.value(metric) for f in self.folds)

    def mean(self, metric: str) -> float:
        v = self.values(metric)
        return sum(v) / len(v) if v else float("nan")

    def std(self, metric: str) -> float:
        """Sample standard deviation over the folds (ddof 1)."""
        v = self.values(metric)
        if len(v) < 2:
            return float("nan")
        m = sum(v) / len(v)
        return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CurvePoint:
        return cls(str(d["family"]), int(d["train_size"]), tuple(FoldResult.from_dict(f) for f in d["folds"]),
                   int(d["max_shared_rows"]))


@dataclass(frozen=True)
class LearningCurves(SealedFile):
    """Accuracy (and AUCs) against the number of training jets, per family, over K folds, on one fixed test split."""

    FILE: ClassVar[str] = filenames.CURVES

    families: dict[str, str]  # recipe name -> model family, in the order given
    train_sizes: tuple[int, ...]
    folds: int
    metric: str
    dataset: str
    split_seed: int
    split_sizes: dict[str, int]  # the split record's train / val / test rows
    settings: dict[str, Any]  # max_epochs, patience, min_val_jets
    points: tuple[CurvePoint, ...]
    pending_cells: int  # cells not trained yet (an interrupted run): 0 when the curves are complete

    def __post_init__(self) -> None:
        if self.folds < 2 or self.pending_cells < 0:
            raise InvalidInputError(f"learning curves: {self.folds} folds, {self.pending_cells} pending cells.")

    def point(self, family: str, size: int) -> CurvePoint | None:
        return next((p for p in self.points if p.family == family and p.train_size == size), None)

    def to_dict(self) -> dict[str, Any]:
        return seal(asdict(self), SCHEMA_VERSION)

    @classmethod
    def load(cls, path: Path) -> LearningCurves:
        path = Path(path)
        file = path / filenames.CURVES if path.is_dir() else path
        doc, _ = read_record(file, kind="learning-curve summary", schema_version=SCHEMA_VERSION, oldest=1,
                             hashed_from=1, command=COMMAND)
        doc = plain(doc)
        try:
            return cls({str(k): str(v) for k, v in doc["families"].items()}, tuple(int(s) for s in doc["train_sizes"]),
                       int(doc["folds"]), str(doc["metric"]), str(doc["dataset"]), int(doc["split_seed"]),
                       {str(k): int(v) for k, v in doc["split_sizes"].items()}, dict(doc["settings"]),
                       tuple(CurvePoint.from_dict(p) for p in doc["points"]), int(doc["pending_cells"]))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise InvalidInputError(f"{file}: not a learning-curve summary ({type(err).__name__}: {err}).",
                                    fix=f"re-run `{COMMAND}` (finished cells are reused).") from None
