"""Typed records of an export report's target sections: settings, resources, precision, project and onnx.

A target builds each section it reports as one of these records (from the settings, estimate, precision or project
object it used) and hands it to ``ExportReport``, which refuses a bare dict under these keys; readers (the targets'
report.md, ``edgenn synth``, ``edgenn report``) use the typed fields. report.json keeps every section exactly as
written (budgets, scripts and the content hash read that JSON, and schema-1/2 files must keep loading): a record
keeps its section as ``document`` and ``to_dict`` gives it back, so fields a target adds (the rtl estimate in
``project``) ride along unchanged. A section of a loaded file that does not parse becomes an ``UnreadableSection``:
the report still loads (``edgenn check`` reads only figures) and the section's readers get its one-line error.
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


class SectionRecord:
    """A section record gives back the section exactly as the target wrote it (its ``document``)."""

    document: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.document)


@dataclass(frozen=True)
class UnreadableSection(SectionRecord):
    """A section of a loaded report.json that does not parse: kept as written (the file's hash still holds) and
    refused, with ``message``, to whoever reads it (``ExportReport.settings`` etc. raise ``error()``)."""

    name: str
    message: str
    document: Any = field(repr=False)  # as written, whatever it is (a section that is not even an object)

    def to_dict(self) -> Any:
        return dict(self.document) if isinstance(self.document, Mapping) else self.document

    def error(self) -> InvalidInputError:
        return InvalidInputError(self.message, fix=f"re-run `{COMMAND}`.")


@dataclass(frozen=True)
class SettingsSection(SectionRecord):
    """The target's settings as used (fpga: part, clock, io type, strategy, reuse factor, backend; rtl: part, clock,
    adder levels per cycle; a setting the target does not have is None). ``values``: every setting, as written."""

    part: str | None
    clock_period_ns: float | None
    document: dict[str, Any]
    io_type: str | None = None
    strategy: str | None = None
    reuse_factor: int | None = None
    backend: str | None = None
    adder_levels_per_cycle: int | None = None

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.document)

    @classmethod
    def from_dict(cls, doc: Any, where: str = "settings") -> SettingsSection:
        doc = _object(doc, where)
        return cls(_optional(doc, "part", str, where), _optional(doc, "clock_period_ns", _NUMBER, where), doc,
                   **{key: _optional(doc, key, str, where) for key in ("io_type", "strategy", "backend")},
                   **{key: _optional(doc, key, int, where) for key in ("reuse_factor", "adder_levels_per_cycle")})


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
class PrecisionSection(SectionRecord):
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
class ResourcesSection(SectionRecord):
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
class ProjectSection(SectionRecord):
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


ONNX_LATENCIES = ("ort_latency_us_batch1", "keras_call_latency_us_batch1", "keras_latency_us_batch1")


@dataclass(frozen=True)
class OnnxSection(SectionRecord):
    """The onnxruntime check of an ONNX export (``exporters.onnx_export.OnnxReport.to_dict``): on how many samples,
    how close to Keras, against which tolerance, and the batch-1 latencies as (median, p90) µs by report.json key."""

    num_samples: int | None
    max_abs_diff: float | None
    tolerance: float | None
    argmax_agreement: float | None
    passed: bool | None
    is_quantized_graph: bool | None
    latencies_us: dict[str, tuple[float, float]]
    document: dict[str, Any] = field(repr=False)

    @classmethod
    def from_dict(cls, doc: Any, where: str = "onnx") -> OnnxSection:
        doc = _object(doc, where)
        latencies = {}
        for key in ONNX_LATENCIES:
            pair = _optional(doc, key, list, where)
            if pair is None:
                continue
            if len(pair) != 2 or not all(isinstance(v, _NUMBER) and not isinstance(v, bool) for v in pair):
                raise _bad(f"{where}.{key}", f"must be [median, p90] in µs (got {pair!r})")
            latencies[key] = (float(pair[0]), float(pair[1]))
        samples = _optional(doc, "num_samples", _NUMBER, where)
        return cls(None if samples is None else int(samples), _optional(doc, "max_abs_diff", _NUMBER, where),
                   _optional(doc, "tolerance", _NUMBER, where), _optional(doc, "argmax_agreement", _NUMBER, where),
                   _optional(doc, "passed", bool, where), _optional(doc, "is_quantized_graph", bool, where),
                   latencies, doc)


SECTION_TYPES: dict[str, type] = {"settings": SettingsSection, "resources": ResourcesSection,
                                  "precision": PrecisionSection, "project": ProjectSection, "onnx": OnnxSection}


def section_record(name: str, document: Mapping) -> SectionRecord:
    """The record of the ``name`` section a target is writing, from its settings, estimate, precision, project or
    onnx check as a dict (taken in its JSON form, so the record equals the one read back from report.json)."""
    from edgenn.records.base import plain

    return SECTION_TYPES[name].from_dict(plain(dict(document)), name)


def read_section(name: str, document: Any, where: str) -> SectionRecord | None:
    """The record of the ``name`` section of a loaded report.json (None if absent, ``UnreadableSection`` if it does
    not parse)."""
    if document is None:
        return None
    try:
        return SECTION_TYPES[name].from_dict(document, f"{where}: {name}")
    except InvalidInputError as exc:
        return UnreadableSection(name, exc.message, document)


def section_records(**documents: Mapping) -> dict[str, SectionRecord]:
    """``section_record`` of each keyword (``settings=``, ``resources=``, ...), for a target's report sections."""
    return {name: section_record(name, document) for name, document in documents.items()}
