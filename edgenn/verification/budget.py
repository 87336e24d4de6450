"""Compare an export's figures with a budget. Fails closed: a figure the budget names but the report lacks, a figure
in the wrong unit, or one made by a method the budget does not accept is a failure, never a pass."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import edgenn.filenames as filenames
from edgenn.config.budget import Budget
from edgenn.errors import MissingArtifactError
from edgenn.io import is_complete, read_json

REPORT_FILE = filenames.REPORT_JSON


@dataclass(frozen=True)
class CheckLine:
    figure: str
    limit: str
    value: float | None
    unit: str | None
    method: str | None
    passed: bool
    reason: str
    upper: float | None = None  # upper end of the figure's 90 % interval, when compared with it
    bounds: str = ""  # the limit without its method condition, e.g. "<= 100" (what a narrow table shows)
    methods: tuple[str, ...] | None = None  # estimation methods the budget accepts for this figure; None: any


@dataclass(frozen=True)
class CheckReport:
    source: str
    lines: tuple[CheckLine, ...]

    @property
    def passed(self) -> bool:
        return all(line.passed for line in self.lines)

    def to_dict(self) -> dict:
        return {"source": self.source, "passed": self.passed, "lines": [asdict(x) for x in self.lines]}

    def to_junit(self) -> str:
        from xml.sax.saxutils import escape, quoteattr

        failures = sum(not x.passed for x in self.lines)
        cases = []
        for x in self.lines:
            body = "" if x.passed else f"<failure message={quoteattr(x.reason)}/>"
            cases.append(f'  <testcase classname="edgenn.check" name={quoteattr(x.figure)}>{body}</testcase>')
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="edgenn check {escape(self.source)}" '
                f'tests="{len(self.lines)}" failures="{failures}">\n' + "\n".join(cases) + "\n</testsuite>\n")


def _bounds(limit) -> str:
    parts = []
    if limit.min is not None:
        parts.append(f">= {limit.min:g}")
    if limit.max is not None:
        parts.append(f"<= {limit.max:g}")
    return ", ".join(parts)


def _describe(limit) -> str:
    return _bounds(limit) + (f", method in {list(limit.method)}" if limit.method else "")


def _line(name: str, limit, value, unit, method, passed: bool, reason: str, upper=None) -> CheckLine:
    return CheckLine(name, _describe(limit), value, unit, method, passed, reason, upper, _bounds(limit),
                     tuple(limit.method) if limit.method else None)


def find_report(path: Path) -> Path:
    """``path`` is an export directory (holding report.json) or a report.json file."""
    path = Path(path)
    report = path if path.suffix == ".json" else path / REPORT_FILE
    if path.is_dir() and not is_complete(path):
        raise MissingArtifactError(f"{path}: incomplete export (no manifest.json: an interrupted run?).",
                                   fix="re-run `edgenn export` for it.")
    if not report.is_file():
        raise MissingArtifactError(f"{report}: no export report here.",
                                   fix="point at an export directory, e.g. firmware/<name>/fpga (made by `edgenn export`).")
    return report


COMPARE = ("upper", "point")


def check_figures(figures: dict, budget: Budget, *, source: str = "", compare: str = "upper") -> CheckReport:
    """``compare='upper'`` (default) tests a ``max`` limit against the upper end of a figure's 90 % interval when it
    has one (analytic estimates); ``'point'`` against the point estimate. ``min`` limits always use the value."""
    lines = []
    for name, unit, limit in budget.limits():
        fig = figures.get(name)
        if not isinstance(fig, dict) or "value" not in fig:
            lines.append(_line(name, limit, None, None, None, False, "missing from the report"))
            continue
        value, fig_unit, method = fig.get("value"), fig.get("unit"), fig.get("method")
        if fig_unit != unit:
            lines.append(_line(name, limit, value, fig_unit, method, False, f"unit is {fig_unit!r}, budget expects {unit!r}"))
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
            lines.append(_line(name, limit, None, fig_unit, method, False, f"not a number ({value!r})"))
            continue
        if fig.get("resolved") is False:  # e.g. an efficiency at an FPR below 1 / (background events)
            lines.append(_line(name, limit, value, fig_unit, method, False,
                                   f"not a measurement: {fig.get('note', 'the report marks it unresolved')}"))
            continue
        if limit.method and method not in limit.method:
            lines.append(_line(name, limit, value, fig_unit, method, False,
                                   f"made by method {method!r}, budget accepts {list(limit.method)}"))
            continue
        if fig.get("bound") == "lower" and limit.max is not None:  # the true figure may be anywhere above it
            lines.append(_line(name, limit, value, fig_unit, method, False,
                                   f"only a lower bound (>= {value:g}): {fig.get('note', 'layers not modelled')}; "
                                   "a max limit cannot be shown to hold"))
            continue
        interval = fig.get("interval")
        upper = float(interval[1]) if compare == "upper" and interval else None
        if limit.min is not None and value < limit.min:
            lines.append(_line(name, limit, value, fig_unit, method, False, f"{value:g} < {limit.min:g}"))
        elif limit.max is not None and value > limit.max:
            lines.append(_line(name, limit, value, fig_unit, method, False, f"{value:g} > {limit.max:g}", upper))
        elif limit.max is not None and upper is not None and upper > limit.max:
            lines.append(_line(name, limit, value, fig_unit, method, False,
                                   f"90 % interval upper end {upper:g} > {limit.max:g} (point {value:g} fits; "
                                   "`--compare point` tests the point estimate)", upper))
        else:
            lines.append(_line(name, limit, value, fig_unit, method, True, "ok", upper))
    return CheckReport(source, tuple(lines))


def check_export(path: Path, budget: Budget, *, compare: str = "upper") -> CheckReport:
    """A report that cannot be read fails every budget line (exit 1), it does not count as bad input."""
    from edgenn.errors import InvalidInputError

    report_path = find_report(path)
    try:
        report = read_json(report_path)
        figures = report.get("figures") if isinstance(report, dict) else None
        problem = None if isinstance(figures, dict) else "has no 'figures' section"
    except InvalidInputError as exc:
        figures, problem = None, f"is unreadable ({exc.message})"
    if problem:
        reason = f"report {problem}"
        return CheckReport(str(report_path), tuple(_line(name, lim, None, None, None, False, reason)
                                                   for name, _, lim in budget.limits()))
    return check_figures(figures, budget, source=str(report_path), compare=compare)
