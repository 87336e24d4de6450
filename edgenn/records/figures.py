"""A figure as every report carries it: value, unit, method, note, an optional interval and a bound flag.

``bound`` says whether ``value`` is a point estimate or only a lower bound (a design with layers the estimator does
not describe, counted as zero: a ``max`` budget cannot be shown to hold). ``interval`` is the range the true value
lies in at ``level`` confidence, from ``num_reference_points`` measured designs. ``resolved`` False marks a figure
that is not a measurement (an efficiency at a rate the background sample cannot resolve); ``uncertainty`` its
statistical error. The JSON form (``to_dict``) is the one report.json has always used, so budgets and scripts that
read ``figures.<name>.value`` keep working.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from edgenn.errors import InvalidInputError

BOUNDS = ("point", "lower")
_KEYS = {"value", "unit", "method", "note", "bound", "interval", "interval_note", "interval_level", "interval_points",
         "uncertainty", "resolved"}
# interval notes written before intervals carried their level and count ("90 % over 22 designs")
_LEGACY_INTERVAL_NOTE = re.compile(r"(\d+(?:\.\d+)?) % over (\d+) designs")


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    level: float = 0.9
    num_reference_points: int | None = None

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise InvalidInputError(f"interval [{self.low}, {self.high}]: low must not exceed high.")
        if not 0.0 < self.level < 1.0:
            raise InvalidInputError(f"interval level {self.level}: must be in (0, 1).")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Figure:
    value: float | None  # None or NaN: not computed (``edgenn check`` fails such a line, it never passes it)
    unit: str
    method: str
    note: str = ""
    bound: Literal["point", "lower"] = "point"
    interval: Interval | None = None
    interval_note: str = ""
    uncertainty: float | None = None
    resolved: bool | None = None

    def __post_init__(self) -> None:
        if self.value is not None and not _number(self.value):
            raise InvalidInputError(f"figure value {self.value!r}: not a number.")
        if self.bound not in BOUNDS:
            raise InvalidInputError(f"figure bound {self.bound!r}: must be one of {BOUNDS}.")

    @property
    def is_number(self) -> bool:
        return self.value is not None and not math.isnan(self.value)

    @property
    def is_lower_bound(self) -> bool:
        return self.bound == "lower"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "unit": self.unit, "method": self.method}
        if self.note:
            out["note"] = self.note
        if self.bound == "lower":
            out["bound"] = "lower"
        if self.interval is not None:
            out["interval"] = [self.interval.low, self.interval.high]
            out["interval_level"] = self.interval.level
            if self.interval.num_reference_points is not None:
                out["interval_points"] = self.interval.num_reference_points
        if self.interval_note:
            out["interval_note"] = self.interval_note
        if self.uncertainty is not None:
            out["uncertainty"] = self.uncertainty
        if self.resolved is not None:
            out["resolved"] = self.resolved
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "figure") -> Figure:
        """The record of a report.json figure (or of an estimate's ``to_dict``), checked field by field."""
        if not isinstance(data, dict):
            raise InvalidInputError(f"{where}: not a figure (a {type(data).__name__}, not an object).")
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            raise InvalidInputError(f"{where}: unknown figure field(s) {unknown}.", fix=f"use only {sorted(_KEYS)}.")
        for key in ("value", "unit", "method"):
            if key not in data:
                raise InvalidInputError(f"{where}: no '{key}'.")
        if not isinstance(data["unit"], str) or not isinstance(data["method"], str):
            raise InvalidInputError(f"{where}: unit and method must be strings (got {data['unit']!r}, "
                                    f"{data['method']!r}).")
        value = data["value"]
        if value is not None and not _number(value):
            raise InvalidInputError(f"{where}: value {value!r} is not a number.")
        note = str(data.get("interval_note", ""))
        interval = None
        if data.get("interval") is not None:
            iv = data["interval"]
            if not (isinstance(iv, (list, tuple)) and len(iv) == 2 and all(_number(v) for v in iv)):
                raise InvalidInputError(f"{where}: interval {iv!r} is not [low, high].")
            level, points = data.get("interval_level"), data.get("interval_points")
            legacy = _LEGACY_INTERVAL_NOTE.search(note)
            if level is None and legacy:
                level = float(legacy.group(1)) / 100
            if points is None and legacy:
                points = int(legacy.group(2))
            interval = Interval(float(iv[0]), float(iv[1]), 0.9 if level is None else float(level),
                                None if points is None else int(points))
        bound = data.get("bound") or "point"  # estimates write "" for a point estimate
        resolved = data.get("resolved")
        if resolved is not None and not isinstance(resolved, bool):
            raise InvalidInputError(f"{where}: resolved {resolved!r} is not true/false.")
        uncertainty = data.get("uncertainty")
        if uncertainty is not None and not _number(uncertainty):
            raise InvalidInputError(f"{where}: uncertainty {uncertainty!r} is not a number.")
        try:
            return cls(value, data["unit"], data["method"], str(data.get("note", "")), bound, interval, note,
                       None if uncertainty is None else float(uncertainty), resolved)
        except InvalidInputError as err:
            raise InvalidInputError(f"{where}: {err.message}") from None


def figure(value, unit: str, method: str, note: str = "", **extra) -> Figure:
    """A figure from a stage's numbers; numpy scalars become Python numbers (so the record hashes as it is saved)."""
    return Figure(value.item() if hasattr(value, "item") else value, unit, method, note, **extra)


def figures_from_dicts(data: Any, where: str) -> dict[str, Figure]:
    if not isinstance(data, dict):
        raise InvalidInputError(f"{where}: figures must be an object of name -> figure (got {type(data).__name__}).")
    return {str(name): Figure.from_dict(f, f"{where}.{name}") for name, f in data.items()}


def figures_to_dicts(figures: dict[str, Figure]) -> dict[str, dict[str, Any]]:
    return {name: f.to_dict() for name, f in figures.items()}
