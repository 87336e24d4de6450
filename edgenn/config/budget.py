"""Budget schema for ``edgenn check``: limits on quality, latency and resources, optionally per estimation method.

Every key is a figure name that export reports carry (``report.json`` ``figures``); each has a fixed unit, so a
report that gives the figure in another unit fails the check instead of being compared blindly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Method = Literal["analytic", "da4ml", "yosys", "vendor", "rule4ml", "csim", "software", "onnxruntime", "verilator"]

UNITS: dict[str, str] = {
    "accuracy": "fraction",
    "accuracy_drop": "fraction",
    "auc": "fraction",
    "efficiency": "fraction",  # anomaly detection: signal efficiency at the recipe's background rate, per signal
    "teacher_correlation": "ratio",  # distilled student: Pearson r with the teacher's log reconstruction error
    "bit_exact_fraction": "fraction",
    "latency_cycles": "cycles",
    "latency_ns": "ns",
    "ii_cycles": "cycles",
    "lut": "count",
    "ff": "count",
    "dsp": "count",
    "bram": "count",
}


class Limit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float | None = None
    max: float | None = None
    method: list[Method] | None = Field(None, description="accepted estimation methods; any if omitted")

    @model_validator(mode="after")
    def _bounded(self) -> Limit:
        if self.min is None and self.max is None:
            raise ValueError("a limit needs min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        return self


class Budget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    accuracy: Limit | None = None
    accuracy_drop: Limit | None = None
    auc: dict[str, Limit] | None = None
    efficiency: dict[str, Limit] | None = None
    teacher_correlation: Limit | None = None
    bit_exact_fraction: Limit | None = None
    latency_cycles: Limit | None = None
    latency_ns: Limit | None = None
    ii_cycles: Limit | None = None
    lut: Limit | None = None
    ff: Limit | None = None
    dsp: Limit | None = None
    bram: Limit | None = None

    def limits(self) -> list[tuple[str, str, Limit]]:
        """(figure name, unit, limit) for every line of the budget; ``auc`` and ``efficiency`` expand to
        ``auc.<class>`` / ``efficiency.<signal>``."""
        out = []
        for key, unit in UNITS.items():
            value = getattr(self, key)
            if value is None:
                continue
            if key in ("auc", "efficiency"):
                out.extend((f"{key}.{cls}", unit, lim) for cls, lim in value.items())
            else:
                out.append((key, unit, value))
        return out
