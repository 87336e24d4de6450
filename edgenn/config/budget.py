"""Budget schema for ``edgenn check``: limits on quality, latency and resources, optionally per estimation method.

Every key is a figure name that export reports carry (``report.json`` ``figures``); each has a fixed unit, so a
report that gives the figure in another unit fails the check instead of being compared blindly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edgenn.config.examples import example_for

Method = Literal["analytic", "da4ml", "yosys", "vendor", "rule4ml", "csim", "software", "onnxruntime", "verilator"]

UNITS: dict[str, str] = {
    "accuracy": "fraction",
    "accuracy_drop": "fraction",
    "auc": "fraction",
    "efficiency": "fraction",  # anomaly detection: signal efficiency at the recipe's background rate, per signal
    "teacher_correlation": "ratio",  # distilled student: Pearson r with the teacher's log reconstruction error
    "bit_exact_fraction": "fraction",
    # the firmware's class (softmax policy table/argmax/drop) vs the class of the exact reference's logits
    "softmax_argmax_agreement": "fraction",
    "latency_cycles": "cycles",
    "latency_ns": "ns",
    "ii_cycles": "cycles",
    "lut": "count",
    "ff": "count",
    "dsp": "count",
    "bram": "count",
}

# What a limit may be in each unit: a bound outside this range is a typo (95 for 0.95, -5 for 5), never a real limit,
# and would otherwise be accepted and fail later as "budget broken". (low, high, how to say it, fix).
_UNIT_RANGES: dict[str, tuple[float | None, float | None, str, str]] = {
    "fraction": (0.0, 1.0, "a fraction must be in [0, 1]", "write a fraction, e.g. 0.95 for 95 %"),
    "ratio": (-1.0, 1.0, "a correlation must be in [-1, 1]", "write a Pearson r, e.g. 0.85"),
    "count": (0.0, None, "a resource count cannot be negative", "use a limit >= 0"),
    "cycles": (0.0, None, "a number of clock cycles cannot be negative", "use a limit >= 0"),
    "ns": (0.0, None, "a time in ns cannot be negative", "use a limit >= 0"),
}
# accuracy_drop is float minus firmware accuracy: a difference of two fractions, so it may be negative.
_FIGURE_RANGES = {"accuracy_drop": (-1.0, 1.0, "an accuracy difference must be in [-1, 1]",
                                    "write a fraction, e.g. 0.05 for 5 points")}


def limit_problems(figure: str, unit: str, limit: Limit) -> list[str]:
    """One line per bound of ``limit`` that makes no sense for ``unit`` (dotted field, value, fix)."""
    low, high, what, fix = _FIGURE_RANGES.get(figure.split(".")[0], _UNIT_RANGES[unit])
    problems = []
    for bound in ("min", "max"):
        value = getattr(limit, bound)
        if value is None or ((low is None or value >= low) and (high is None or value <= high)):
            continue
        hint = f"{fix} (did you mean {value / 100:g}?)" if unit == "fraction" and 1 < value <= 100 else fix
        problems.append(f"{figure}.{bound}: {what} (got {value:g}). Fix: {hint}.")
    return problems


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
    softmax_argmax_agreement: Limit | None = None
    latency_cycles: Limit | None = None
    latency_ns: Limit | None = None
    ii_cycles: Limit | None = None
    lut: Limit | None = None
    ff: Limit | None = None
    dsp: Limit | None = None
    bram: Limit | None = None

    @model_validator(mode="after")
    def _limits_fit_units(self) -> Budget:
        # One line per problem (config.errors splits model-level messages on newlines), so all are reported at once.
        if not self.limits():
            raise ValueError(f"names no limit. Fix: add at least one figure limit, e.g. accuracy: {{min: 0.7}} or "
                             f"lut: {{max: 100000}} (see {example_for('Budget')}).")
        problems = [p for figure, unit, limit in self.limits() for p in limit_problems(figure, unit, limit)]
        if problems:
            raise ValueError("\n".join(problems))
        return self

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
