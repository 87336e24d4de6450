"""Objective and constraint values of a trial, from its figures ({name: {value, unit, method}}).

Quality figures of a trial (``accuracy``, ``auc.<class>``, ``accuracy_drop``) are measured on the *validation* split
with the QKeras model (method ``software``): selecting models on the test split would make the test numbers in the
trials table optimistic. Hardware figures are the analytic estimates (method ``analytic``).

Constraints follow Optuna's convention: one value per budget line, <= 0 when the line holds. A budget line whose
figure a scan does not produce (``bit_exact_fraction`` needs an export) or whose accepted methods exclude the
figure's method is not checked; ``unchecked`` names it so the summary can say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgenn.config.budget import Budget
from edgenn.config.scan import ScanSpace, objective_direction


def objective_value(name: str, figures: dict[str, dict], space: ScanSpace) -> float:
    if name == "lut_dsp":
        return float(figures["lut"]["value"]) + space.dsp_lut_equivalent * float(figures["dsp"]["value"])
    return float(figures[name]["value"])


def objective_values(figures: dict[str, dict], space: ScanSpace) -> list[float]:
    return [objective_value(name, figures, space) for name in space.objectives]


def directions(space: ScanSpace) -> list[str]:
    return [objective_direction(name) for name in space.objectives]


@dataclass(frozen=True)
class ConstraintCheck:
    values: tuple[float, ...]      # <= 0: holds
    names: tuple[str, ...]         # "lut.max", "accuracy.min", ...
    unchecked: tuple[str, ...]     # budget lines this scan cannot check, with the reason

    @property
    def feasible(self) -> bool:
        return all(v <= 0 for v in self.values)

    def violated(self) -> list[str]:
        return [n for n, v in zip(self.names, self.values) if v > 0]


def check_budget(figures: dict[str, dict], budget: Budget | None, *, slack: float = 1.0) -> ConstraintCheck:
    """Constraint values of ``figures`` against ``budget``; ``slack`` > 1 loosens every line by that factor
    (used on pre-training estimates, which are not bounds)."""
    if budget is None:
        return ConstraintCheck((), (), ())
    values, names, unchecked = [], [], []
    for name, unit, limit in budget.limits():
        fig = figures.get(name)
        if fig is None:
            unchecked.append(f"{name}: not produced by a scan trial")
            continue
        if fig["unit"] != unit:
            unchecked.append(f"{name}: trial gives {fig['unit']}, budget wants {unit}")
            continue
        if limit.method is not None and fig["method"] not in limit.method:
            unchecked.append(f"{name}: method {fig['method']} not in {list(limit.method)}")
            continue
        v = float(fig["value"])
        if limit.max is not None:
            values.append(v - limit.max * slack)
            names.append(f"{name}.max")
        if limit.min is not None:
            values.append(limit.min / slack - v)
            names.append(f"{name}.min")
    return ConstraintCheck(tuple(values), tuple(names), tuple(unchecked))


def dominates(a: list[float], b: list[float], dirs: list[str]) -> bool:
    """``a`` is at least as good as ``b`` in every objective and better in one."""
    sign = [1.0 if d == "minimize" else -1.0 for d in dirs]
    aa = [s * v for s, v in zip(sign, a)]
    bb = [s * v for s, v in zip(sign, b)]
    return all(x <= y for x, y in zip(aa, bb)) and any(x < y for x, y in zip(aa, bb))


def pareto_indices(points: list[list[float]], dirs: list[str]) -> list[int]:
    """Indices of the non-dominated points (duplicates all kept), in input order."""
    return [i for i, p in enumerate(points)
            if not any(dominates(q, p, dirs) for j, q in enumerate(points) if j != i)]
