"""Report sections for a scan directory: summary, Pareto front (plot + table) and the trials table.

Reads what ``edgenn.scan`` writes (reporting comes before scan in the layering, so the files are read as files):
``scan.json`` (objectives, recipe, space, counts; written at the end of a scan), ``trials.csv`` and ``pareto.csv``
(one row per trial: ``trial``, ``state``, ``param.*``, ``objective.*``, figures such as ``accuracy``/``lut``/
``latency_cycles`` with ``<figure>_method`` beside each hardware figure, ``feasible``, ``note``...), and ``pareto.png``
(used only when the CSVs cannot be plotted).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from edgenn.reporting.html import esc, img, img_file, missing, note, section, table
from edgenn.reporting.numbers import fmt
from edgenn.reporting.sources import SCAN_SUMMARY, Sources

MAX_TRIAL_ROWS = 200  # a longer trials table is cut here; trials.csv holds them all
_RERUN = "re-run `edgenn scan <recipe> <space>` with the same --out (it resumes and rewrites the tables)"
# Columns of the trials table, in this order when present; the rest of trials.csv stays in the CSV.
_TRIAL_COLUMNS = ("trial", "state", "feasible", "violated", "accuracy", "test_accuracy", "lut", "lut_method", "ff",
                  "dsp", "latency_cycles", "latency_cycles_method", "ii_cycles", "bit_exact", "seconds", "note")


def _value(text: str):
    """A CSV cell as the number or flag it was written from (csv.DictWriter writes str(value))."""
    if text in ("", "None"):
        return None
    if text in ("True", "False"):
        return text == "True"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def read_table(src: Sources, path: Path) -> list[dict] | None:
    key = f"csv:{path}"
    if key not in src.memo:
        src.memo[key] = None
        try:
            with open(path, newline="") as f:
                src.memo[key] = [{k: _value(v or "") for k, v in row.items()} for row in csv.DictReader(f)]
        except FileNotFoundError:
            src.problems[str(path)] = "not found"
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            src.problems[str(path)] = f"unreadable ({type(exc).__name__}: {exc})"
    return src.memo[key]




def _quality(rows: Sequence[Mapping], objectives: Sequence[str]) -> str | None:
    """The quality figure of the front's plot: the first accuracy/AUC/efficiency objective, else accuracy."""
    names = [o for o in objectives if o == "accuracy" or o.startswith(("auc.", "efficiency."))] + ["accuracy"]
    return next((n for n in names if any(_finite(r.get(n)) for r in rows)), None)


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _methods(rows: Sequence[Mapping], figure: str) -> str:
    found = sorted({str(r[f"{figure}_method"]) for r in rows if r.get(f"{figure}_method")})
    return ", ".join(found) or "method not recorded"


def _cell(column: str, v) -> str:
    if isinstance(v, float) and column.startswith("param."):
        return f"{v:g}"
    if isinstance(v, float) and math.isfinite(v) and abs(v) >= 1000:  # resource counts: 64,912 not 6.491e+04
        return f"{v:,.0f}"
    return fmt(v)


def _cells(rows: Sequence[Mapping], columns: Sequence[str]) -> list[list[str]]:
    return [[_cell(c, r.get(c)) for c in columns] for r in rows]


# ----- sections ----------------------------------------------------------------------------------------------------
def scan_overview(src: Sources) -> str:
    summary = src.scan_summary()
    rows = [("directory", str(src.target))]
    if summary:
        rows += [("objectives", ", ".join(summary.objectives)),
                 ("trials (complete)", f"{fmt(summary.num_trials)} ({fmt(summary.num_complete)})"),
                 ("Pareto trials", ", ".join(str(t) for t in summary.pareto_trials) or "none"),
                 ("budget", "yes" if summary.budget else "none"),
                 ("seconds (last call)", fmt(summary.seconds_this_call, 3))]
        space = summary.space.get("space")
        body = table(["", ""], rows, header=False)
        if isinstance(space, Mapping):
            body += "<h3>Search space</h3>" + table(["parameter", "values"], [(k, fmt(v)) for k, v in space.items()])
        unchecked = summary.unchecked_budget_lines
        if unchecked:
            body += note("budget lines no trial figure could check: " + ", ".join(map(str, unchecked)))
    else:
        body = table(["", ""], rows, header=False) + missing(
            f"{src.target / SCAN_SUMMARY} (written when a scan finishes)", _RERUN)
    return section("overview", "Scan overview", body)


def scan_pareto(src: Sources) -> str:
    from edgenn.reporting import figures

    title = "Pareto front"
    trials = read_table(src, src.target / "trials.csv") or []
    front = read_table(src, src.target / "pareto.csv")
    summary = src.scan_summary()
    objectives = (summary.objectives if summary else ()) or [
        c.removeprefix("objective.") for c in (trials[0] if trials else {}) if c.startswith("objective.")]
    body = ""
    quality = _quality(trials + (front or []), objectives)
    done = [r for r in trials if r.get("state") == "COMPLETE" and _finite(r.get("lut")) and _finite(r.get(quality))]
    plotted = [r for r in front or [] if _finite(r.get("lut")) and quality and _finite(r.get(quality))]
    if quality and (done or plotted):
        body += img(figures.pareto_front(done, plotted, quality=quality, lut_method=_methods(done + plotted, "lut"),
                                         latency_method=_methods(done + plotted, "latency_cycles")),
                    "Pareto front: quality vs LUT")
        body += note(f"Grey: every complete trial; coloured: the non-dominated, feasible trials over "
                     f"{', '.join(objectives) or '?'} (numbers: trial ids).")
    elif (src.target / "pareto.png").is_file():
        body += img_file(src.target / "pareto.png", "Pareto front (the scan's plot)", _RERUN)
    else:
        body += missing("trials with a quality figure and a LUT figure to plot", _RERUN)
    if front is None:
        return section("pareto", title, body + missing(f"{src.target / 'pareto.csv'}", _RERUN))
    if not front:
        return section("pareto", title, body + note("The front is empty: no complete, feasible trial."))
    params = sorted({k for r in front for k in r if k.startswith("param.")})
    cols = ["trial", *params, *[c for c in ("accuracy", "test_accuracy", "lut", "ff", "dsp", "latency_cycles",
                                            "ii_cycles", "bit_exact") if any(c in r for r in front)]]
    headers = [c.removeprefix("param.") + (f" ({_methods(front, c)})" if f"{c}_method" in front[0] else "")
               for c in cols]
    body += f"<h3>Pareto trials ({len(front)}), best first</h3>" + table(headers, _cells(front, cols))
    return section("pareto", title, body)


def scan_trials(src: Sources) -> str:
    title = "Trials"
    trials = read_table(src, src.target / "trials.csv")
    if trials is None:
        return section("trials", title, missing(f"{src.target / 'trials.csv'}", _RERUN))
    if not trials:
        return section("trials", title, note("trials.csv holds no trial yet."))
    params = sorted({k for r in trials for k in r if k.startswith("param.")})
    cols = ["trial", *params, *[c for c in _TRIAL_COLUMNS[1:] if any(c in r for r in trials)]]
    states = {}
    for r in trials:
        states[r.get("state")] = states.get(r.get("state"), 0) + 1
    body = f"<p>{len(trials)} trials: " + esc(", ".join(f"{n} {s}" for s, n in states.items())) + ".</p>"
    shown = trials[:MAX_TRIAL_ROWS]
    body += table([c.removeprefix("param.") for c in cols], _cells(shown, cols))
    if len(trials) > len(shown):
        body += note(f"Showing the first {len(shown)} of {len(trials)} trials; all of them (and every figure "
                     f"column) are in {src.target / 'trials.csv'}.")
    else:
        body += note(f"More columns (objectives, per-class AUCs, prior estimates, run directories) are in "
                     f"{src.target / 'trials.csv'}.")
    return section("trials", title, body)


SCAN_SECTIONS = (scan_overview, scan_pareto, scan_trials)
