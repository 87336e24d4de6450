"""The test-split metrics of a model stage (``metrics.json``), typed: the figures the report, the CLI and the export
read are fields with checked types, and the record still reads as the mapping it was written as (``m["auc"]``,
``m.get("compression")``), so stage-specific sections (a compression table, an anomaly teacher's metrics) ride along.

A number that is not a number, or a per-class table that is not one, is refused on load in one line naming the field;
NaN stays NaN (an AUC of a class absent from the test split is undefined, not zero).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from edgenn.errors import InvalidInputError


def _number(doc: Mapping, key: str, where: str) -> float | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInputError(f"{where}: metrics field {key!r} is {value!r}, not a number.",
                                fix="re-run the stage that wrote it instead of editing metrics.json.")
    return float(value)


def _count(doc: Mapping, key: str, where: str) -> int | None:
    value = _number(doc, key, where)
    if value is not None and (not math.isfinite(value) or value != int(value) or value < 0):
        raise InvalidInputError(f"{where}: metrics field {key!r} is {value!r}, not a count.",
                                fix="re-run the stage that wrote it instead of editing metrics.json.")
    return None if value is None else int(value)


def _table(doc: Mapping, key: str, where: str, cast=float) -> dict[str, Any]:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{where}: metrics field {key!r} is {type(value).__name__}, not a table by name.",
                                fix="re-run the stage that wrote it instead of editing metrics.json.")
    out = {}
    for name, v in value.items():
        out[str(name)] = _count({key: v}, key, where) if cast is int else _number({key: v}, key, where)
    return out


@dataclass(frozen=True)
class ModelMetrics(Mapping):
    """``accuracy``/``auc``/``rejection_at_50``/``class_names``: classifiers; ``fpr``/``threshold``/``efficiency``/
    ``num_background``: anomaly stages; ``document``: every field as written (what the mapping reads)."""

    task: str | None = None
    accuracy: float | None = None
    auc: dict[str, float] = field(default_factory=dict)
    rejection_at_50: dict[str, float] = field(default_factory=dict)
    class_names: tuple[str, ...] = ()
    num_params: int | None = None
    epochs_run: int | None = None
    split_sizes: dict[str, int] = field(default_factory=dict)
    fpr: float | None = None
    threshold: float | None = None
    efficiency: dict[str, float] = field(default_factory=dict)
    num_background: int | None = None
    document: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, doc: Mapping | None, *, where: str = "metrics") -> ModelMetrics:
        doc = dict(doc or {})
        names = doc.get("class_names") or ()
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            raise InvalidInputError(f"{where}: metrics field 'class_names' is {names!r}, not a list of names.",
                                    fix="re-run the stage that wrote it instead of editing metrics.json.")
        task = doc.get("task")
        return cls(None if task is None else str(task), _number(doc, "accuracy", where), _table(doc, "auc", where),
                   _table(doc, "rejection_at_50", where), tuple(names), _count(doc, "num_params", where),
                   _count(doc, "epochs_run", where), _table(doc, "split_sizes", where, int),
                   _number(doc, "fpr", where), _number(doc, "threshold", where), _table(doc, "efficiency", where),
                   _count(doc, "num_background", where), doc)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.document)

    def __getitem__(self, key: str) -> Any:
        return self.document[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.document)

    def __len__(self) -> int:
        return len(self.document)
