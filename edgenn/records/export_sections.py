"""Typed views of an export report's target sections (``settings``, ``resources``, ``precision``, ``project``).

report.json keeps these sections exactly as the targets write them (budgets, scripts and the content hash read that
JSON, and schema-1/2 files must keep loading), so each record is parsed from its section: the fields readers use are
typed and checked, a malformed section is one ``InvalidInputError`` line naming the field, and ``to_dict`` gives back
the section as written (fields a target adds, e.g. the rtl estimate in ``project``, ride along unchanged).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from edgenn.errors import InvalidInputError
from edgenn.records.figures import Figure

COMMAND = "edgenn export <model> --target <target>"


def _bad(where: str, what: str) -> InvalidInputError:
    return InvalidInputError(f"{where}: {what}.", fix=f"re-run `{COMMAND}`.")


def _object(doc: Any, where: str) -> dict[str, Any]:
    if not isinstance(doc, Mapping):
        raise _bad(where, f"must be an object (got {type(doc).__name__})")
    return dict(doc)


def _optional(doc: Mapping, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise _bad(f"{where}.{key}", f"must be {_kind_name(kind)} (got {value!r})")
    if not isinstance(value, kind):
        raise _bad(f"{where}.{key}", f"must be {_kind_name(kind)} (got {value!r})")
    return float(value) if kind == (int, float) else value


def _kind_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a number", float: "a number", str: "a string", bool: "true/false", list: "a list"}
    return " or ".join(dict.fromkeys(names[k] for k in kinds))


_NUMBER = (int, float)


class _AsWritten:
    """A section record gives back the section exactly as the target wrote it (its ``document``)."""

    document: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.document)


@dataclass(frozen=True)
class SettingsSection(_AsWritten):
    """The target's settings as used (fpga: part, clock, io type, strategy, reuse factor, backend; rtl: part, clock,
    adder levels per cycle). ``values``: every setting, in the order written."""

    part: str | None
    clock_period_ns: float | None
    document: dict[str, Any]

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.document)

    @classmethod
    def from_dict(cls, doc: Any, where: str = "settings") -> SettingsSection:
        doc = _object(doc, where)
        return cls(_optional(doc, "part", str, where), _optional(doc, "clock_period_ns", _NUMBER, where), doc)


@dataclass(frozen=True)
class TypeRange:
    """One firmware type as the report shows it: its ``ap_fixed`` name, one lsb and the range it holds."""

    type: str | None
    lsb: float | None
    min: float | None
    max: float | None

    @classmethod
    def from_dict(cls, doc: Any, where: str) -> TypeRange:
        doc = _object(doc, where)
        return cls(_optional(doc, "type", str, where), _optional(doc, "lsb", _NUMBER, where),
                   _optional(doc, "min", _NUMBER, where), _optional(doc, "max", _NUMBER, where))


@dataclass(frozen=True)
class LayerPrecision:
    name: str
    class_name: str | None
    types: dict[str, TypeRange]  # "weight", "bias", "result", "accum", ... -> its type


@dataclass(frozen=True)
class PrecisionSection(_AsWritten):
    """Every firmware type the export derived (``exporters.precision_types.ModelPrecision.to_dict``)."""

    input_name: str | None
    input: TypeRange | None
    layers: tuple[LayerPrecision, ...]
    bit_exact: bool | None
    accumulator_bits: int | None
    document: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, doc: Any, where: str = "precision") -> PrecisionSection:
        doc = _object(doc, where)
        layers = _optional(doc, "layers", list, where) or []
        typed = []
        for i, layer in enumerate(layers):
            at = f"{where}.layers[{i}]"
            layer = _object(layer, at)
            name = _optional(layer, "name", str, at)
            if name is None:
                raise _bad(at, "has no name")
            types = _object(layer.get("types") or {}, f"{at}.types")
            typed.append(LayerPrecision(name, _optional(layer, "class_name", str, at),
                                        {k: TypeRange.from_dict(v, f"{at}.types.{k}") for k, v in types.items()}))
        bits = _optional(doc, "accumulator_bits", _NUMBER, where)
        return cls(_optional(doc, "input_name", str, where),
                   None if doc.get("input") is None else TypeRange.from_dict(doc["input"], f"{where}.input"),
                   tuple(typed), _optional(doc, "bit_exact", bool, where), None if bits is None else int(bits), doc)


_RESOURCE_FIGURES = ("lut", "ff", "dsp", "bram", "latency_cycles", "ii_cycles", "latency_ns")


@dataclass(frozen=True)
class LayerResources:
    name: str
    figures: dict[str, Figure]  # lut, ff, dsp, bram, latency_cycles, ii_cycles, latency_ns (those present)

    @classmethod
    def from_dict(cls, doc: Any, where: str, name: str | None = None) -> LayerResources:
        doc = _object(doc, where)
        figures = {}
        for key in _RESOURCE_FIGURES:
            if key in doc:
                figures[key] = Figure.from_dict(doc[key], f"{where}.{key}")
        return cls(name or _optional(doc, "name", str, where) or "?", figures)


@dataclass(frozen=True)
class ResourcesSection(_AsWritten):
    """The per-layer resource and latency estimate (``estimates.resources.ResourceReport.to_dict``)."""

    part: str | None
    clock_period_ns: float | None
    method: str | None
    layers: tuple[LayerResources, ...]
    total: LayerResources | None
    assumptions: tuple[str, ...]
    document: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, doc: Any, where: str = "resources") -> ResourcesSection:
        doc = _object(doc, where)
        layers = _optional(doc, "layers", list, where) or []
        assumptions = _optional(doc, "assumptions", list, where) or []
        total = doc.get("total")
        return cls(_optional(doc, "part", str, where), _optional(doc, "clock_period_ns", _NUMBER, where),
                   _optional(doc, "method", str, where),
                   tuple(LayerResources.from_dict(lay, f"{where}.layers[{i}]") for i, lay in enumerate(layers)),
                   None if total is None else LayerResources.from_dict(total, f"{where}.total", "total"),
                   tuple(str(a) for a in assumptions), doc)


@dataclass(frozen=True)
class ProjectSection(_AsWritten):
    """Where the target wrote its project and how (``top``: the rtl top module; ``project_name``: hls4ml's)."""

    out_dir: str | None
    top: str | None
    project_name: str | None
    document: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, doc: Any, where: str = "project") -> ProjectSection:
        doc = _object(doc, where)
        return cls(_optional(doc, "out_dir", str, where), _optional(doc, "top", str, where),
                   _optional(doc, "project_name", str, where), doc)


SECTION_TYPES = {"settings": SettingsSection, "resources": ResourcesSection, "precision": PrecisionSection,
                 "project": ProjectSection}
