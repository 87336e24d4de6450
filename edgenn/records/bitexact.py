"""The one bit-exactness record every target reports (fpga, rtl, the QONNX route): what was compared with what.

Top-level numbers are the firmware (``firmware``: the hls4ml C simulation, the Verilator simulation, ...) against the
reference (``reference_kind``: the exact reference of the quantized model, or what stood in for it) on the logits, or
on the network output where there is no softmax. ``outputs`` holds each comparison made: the logits and the final
output for the fpga target, one row per implementation for the rtl target. ``edgenn.verification.bitexact`` builds it
from arrays; this module only holds, saves and reads it.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any

from edgenn.errors import InvalidInputError


@dataclass(frozen=True)
class OutputStats:
    """Agreement of one output (or one implementation) with the reference."""

    name: str
    num_values: int
    exact_fraction: float
    max_abs_diff: float
    argmax_agreement: float | None
    bit_exact_expected: bool
    label: str
    num_mismatched_samples: int | None = None

    @classmethod
    def from_dict(cls, data: Any, where: str) -> OutputStats:
        return cls(**_fields(cls, data, where))


@dataclass(frozen=True)
class BitExactReport:
    num_samples: int
    num_values: int
    exact_fraction: float
    max_abs_diff: float
    argmax_agreement: float | None  # None: a single-valued output has no class to agree on
    firmware_accuracy: float | None
    reference_accuracy: float | None
    first_diverging_layer: str | None
    outputs: tuple[OutputStats, ...]
    claim: str
    notes: tuple[str, ...] = ()
    csim_seconds: float | None = None
    reference_kind: str = "exact reference"
    firmware: str = "hls4ml C simulation"
    compared: str = ""  # e.g. "hls4ml C simulation vs exact reference (float64), logits, 10000 samples"

    def __post_init__(self) -> None:
        fractions = (self.exact_fraction,) + (() if self.argmax_agreement is None else (self.argmax_agreement,))
        if not all(0.0 <= f <= 1.0 for f in fractions):
            raise InvalidInputError(f"bit-exactness record: fractions must lie in [0, 1] (got {fractions}).")
        if self.num_samples < 0 or self.num_values < 0:
            raise InvalidInputError("bit-exactness record: sample and value counts cannot be negative.")

    @property
    def bit_exact(self) -> bool:
        return self.exact_fraction == 1.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["outputs"] = [asdict(o) for o in self.outputs]
        out["notes"] = list(self.notes)
        out["bit_exact"] = self.bit_exact
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "bitexact") -> BitExactReport:
        data = dict(data) if isinstance(data, dict) else data
        if isinstance(data, dict):
            data.pop("bit_exact", None)  # derived from exact_fraction
        values = _fields(cls, data, where)
        values["outputs"] = tuple(OutputStats.from_dict(o, f"{where}.outputs[{i}]")
                                  for i, o in enumerate(values.get("outputs") or ()))
        values["notes"] = tuple(str(n) for n in values.get("notes") or ())
        try:
            return cls(**values)
        except (TypeError, InvalidInputError) as err:
            raise InvalidInputError(f"{where}: {getattr(err, 'message', err)}") from None


def _fields(cls, data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInputError(f"{where}: not a record (a {type(data).__name__}, not an object).")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidInputError(f"{where}: unknown field(s) {unknown}.")
    required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
    missing = sorted(n for n in required if n not in data)
    if missing:
        raise InvalidInputError(f"{where}: missing field(s) {missing}.")
    return dict(data)
