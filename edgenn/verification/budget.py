"""Compare an export's figures with a budget. Fails closed: a figure the budget names but the report lacks, a figure
in the wrong unit, or one made by a method the budget does not accept is a failure, never a pass."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import edgenn.filenames as filenames
from edgenn.config.budget import Budget
from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.io import is_complete
from edgenn.records import ExportReport, Figure
from edgenn.records.check import CheckLine, CheckReport

REPORT_FILE = filenames.REPORT_JSON


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


def _figure(entry) -> tuple[Figure | None, str]:
    """A figure record from a report's or a scan trial's entry, or why it is none."""
    if isinstance(entry, Figure):
        return entry, ""
    if not isinstance(entry, dict) or "value" not in entry:
        return None, "missing from the report"
    try:
        return Figure.from_dict(entry), ""
    except InvalidInputError as err:
        return None, f"not a valid figure ({err.message})"


def check_figures(figures: Mapping[str, Figure | dict], budget: Budget, *, source: str = "",
                  compare: str = "upper", report_hash: str | None = None) -> CheckReport:
    """``compare='upper'`` (default) tests a ``max`` limit against the upper end of a figure's 90 % interval when it
    has one (analytic estimates); ``'point'`` against the point estimate. ``min`` limits always use the value.
    ``figures``: an export record's figures, or figure dicts (a scan trial's), read as records."""
    lines = []
    for name, unit, limit in budget.limits():
        fig, problem = _figure(figures.get(name))
        if fig is None:
            lines.append(_line(name, limit, None, None, None, False, problem))
            continue
        value, method = fig.value, fig.method
        if fig.unit != unit:
            lines.append(_line(name, limit, value, fig.unit, method, False,
                               f"unit is {fig.unit!r}, budget expects {unit!r}"))
            continue
        if not fig.is_number:
            lines.append(_line(name, limit, None, fig.unit, method, False, f"not a number ({value!r})"))
            continue
        if fig.resolved is False:  # e.g. an efficiency at an FPR below 1 / (background events)
            lines.append(_line(name, limit, value, unit, method, False,
                               f"not a measurement: {fig.note or 'the report marks it unresolved'}"))
            continue
        if limit.method and method not in limit.method:
            lines.append(_line(name, limit, value, unit, method, False,
                               f"made by method {method!r}, budget accepts {list(limit.method)}"))
            continue
        if fig.is_lower_bound and limit.max is not None:  # the true figure may be anywhere above it
            lines.append(_line(name, limit, value, unit, method, False,
                               f"only a lower bound (>= {value:g}): {fig.note or 'layers not modelled'}; "
                               "a max limit cannot be shown to hold"))
            continue
        upper = fig.interval.high if compare == "upper" and fig.interval is not None else None
        if limit.min is not None and value < limit.min:
            lines.append(_line(name, limit, value, unit, method, False, f"{value:g} < {limit.min:g}"))
        elif limit.max is not None and value > limit.max:
            lines.append(_line(name, limit, value, unit, method, False, f"{value:g} > {limit.max:g}", upper))
        elif limit.max is not None and upper is not None and upper > limit.max:
            lines.append(_line(name, limit, value, unit, method, False,
                               f"90 % interval upper end {upper:g} > {limit.max:g} (point {value:g} fits; "
                               "`--compare point` tests the point estimate)", upper))
        else:
            lines.append(_line(name, limit, value, unit, method, True, "ok", upper))
    return CheckReport(source, tuple(lines), report_hash)


def check_export(path: Path, budget: Budget, *, compare: str = "upper") -> CheckReport:
    """A report that cannot be read fails every budget line (exit 1), it does not count as bad input."""
    report_path = find_report(path)
    try:
        report = ExportReport.load(report_path)
    except InvalidInputError as exc:
        reason = f"report is unreadable ({exc.message})"
        if "has no 'figures' section" in exc.message:
            reason = "report has no 'figures' section"
        return CheckReport(str(report_path), tuple(_line(name, lim, None, None, None, False, reason)
                                                   for name, _, lim in budget.limits()))
    return check_figures(report.figures, budget, source=str(report_path), compare=compare,
                         report_hash=report.content_hash)
