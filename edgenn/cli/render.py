"""Rich rendering of typed results. Presentation only: every number shown here comes from the result object.

Columns fold instead of ending in "…": a cut cell hides a number or a limit. At 80 columns the tables fit whole
(tests/cli/test_terminal_output.py); folding only shows on narrower terminals.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

import edgenn.filenames as filenames


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def model_metrics(console: Console, artifact) -> None:
    m = artifact.metrics
    table = Table(title=f"{artifact.recipe.name}: {artifact.stage} metrics (test split, {m.get('num_samples')} jets)")
    table.add_column("metric", overflow="fold")
    table.add_column("value", justify="right", overflow="fold")
    table.add_row("accuracy", _fmt(m.get("accuracy")))
    for cls, auc in m.get("auc", {}).items():
        table.add_row(f"AUC {cls}", _fmt(auc))
    for cls, rej in m.get("rejection_at_50", {}).items():
        table.add_row(f"1/eps_B @ eps_S=50% ({cls} vs q+g)", _fmt(rej, 1))
    table.add_row("parameters", _fmt(m.get("num_params")))
    console.print(table)
    console.print(f"written: [bold]{artifact.directory}[/]", soft_wrap=True)


def compression_table(console: Console, artifact) -> None:
    from edgenn.compression.summary import table_rows

    comp = artifact.metrics.get("compression", {})
    table = Table(title=f"{artifact.recipe.name}: compression (test split)")
    table.add_column("", overflow="fold")
    table.add_column("before", justify="right", overflow="fold")
    table.add_column("after", justify="right", overflow="fold")
    for quantity, before, after in table_rows(comp["before"], comp["after"]):
        table.add_row(quantity, before, after)
    console.print(table)
    console.print(f"written: [bold]{artifact.directory}[/]", soft_wrap=True)


def _value(value, unit: str | None) -> str:
    return f"{value:,.0f}" if unit in ("count", "cycles") and isinstance(value, (int, float)) else _fmt(value)


def export_summary(console: Console, result) -> None:
    figures = result.report.get("figures", {})
    table = Table(title=f"export {result.target}: {result.directory}")
    table.add_column("figure", overflow="fold")
    table.add_column("value", justify="right", overflow="fold")
    table.add_column("unit", overflow="fold")
    table.add_column("method", overflow="fold")
    for name, fig in figures.items():
        table.add_row(name, _value(fig.get("value"), fig.get("unit")), fig.get("unit", ""), fig.get("method", ""))
    console.print(table)
    for note in result.report.get("notes", []):
        console.print(f"note: {note}", highlight=False)
    console.print(f"report: [bold]{result.directory / filenames.REPORT_MD}[/]", soft_wrap=True)


def _compact(value, unit: str | None) -> str:
    """A figure in at most ~9 characters: counts and cycles with thousands separators, others to 4 digits."""
    if value is None:
        return "-"
    if unit in ("count", "cycles") and isinstance(value, (int, float)):
        return f"{value:,.0f}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def check_table(console: Console, report) -> None:
    """The budget check, readable at 80 columns: the cells stay short and the long parts go under the table.

    A method condition ("by analytic, da4ml or vendor") becomes a footnote mark on the limit, shared by every line
    with the same methods, and a failure's reason is printed in full below the table, one line each: inside a cell
    they were cut to "by analytic|da4m…" on an 80-column terminal.
    """
    from rich import box

    table = Table(title=f"budget check: {report.source}", box=box.SIMPLE_HEAD, title_justify="left", padding=(0, 1, 0, 0),
                  show_edge=False)
    # fold, never "…": on a terminal too narrow even for these cells a long word breaks, nothing is hidden
    for col in ("figure", "value", "90 %\nupper", "unit", "method", "limit", "result"):
        # figure names are never broken: when space runs out the unit, method and limit cells wrap first
        table.add_column(col, overflow="fold", no_wrap=col == "figure",
                         justify="right" if col in ("value", "90 %\nupper") else "left")
    marks: dict[tuple[str, ...], str] = {}
    for line in report.lines:
        limit = getattr(line, "bounds", "") or line.limit
        methods = getattr(line, "methods", None)
        if methods:
            limit += f" \\[{marks.setdefault(tuple(methods), chr(ord('a') + len(marks)))}]"  # \\[: not markup
        upper = _compact(line.upper, line.unit) if getattr(line, "upper", None) is not None else "-"
        table.add_row(line.figure, _compact(line.value, line.unit), upper, line.unit or "-", line.method or "-",
                      limit, "[green]pass[/]" if line.passed else "[red]FAIL[/]")
    console.print(table)
    for methods, mark in marks.items():
        console.print(f"[{mark}] method must be {_either(methods)}", highlight=False, markup=False)
    for line in report.lines:
        if not line.passed:
            console.print(f"[red]FAIL[/] {line.figure}: {line.reason}", highlight=False)
    console.print("[bold green]all budget lines hold[/]" if report.passed else "[bold red]budget broken[/]")


def _either(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def pareto_tables(console: Console, result) -> None:
    """The Pareto front with one column per trial and one row per parameter or objective, split into as many tables
    as the terminal width needs. One column per quantity (13 for a full jet MLP scan) could not fit 80 columns:
    every header and number was folded into three-letter pieces."""
    params = sorted({k for r in result.pareto for k in r if k.startswith("param.")})
    labels = [p.removeprefix("param.") for p in params] + list(result.objectives) + ["bit-exact"]
    columns = []
    for r in result.pareto:
        objs = [r.get(f"objective.{o}") for o in result.objectives]
        columns.append((f"trial {r['trial']}", [f"{r.get(p)}" for p in params]
                        + [f"{v:.4f}" if isinstance(v, float) and v < 1.5 else f"{v:,.0f}" for v in objs]
                        + ["-" if r.get("bit_exact") is None else str(r["bit_exact"])]))
    title = f"Pareto front: {len(result.pareto)} of {result.num_complete} complete trials ({result.num_trials} in the study)"
    label_width = max(map(len, labels), default=0)
    cell_width = max([len(h) for h, _ in columns] + [len(c) for _, cells in columns for c in cells] or [1])
    per_table = max(1, (console.width - label_width - 3) // (cell_width + 3))
    for start in range(0, max(len(columns), 1), per_table):
        table = Table(title=title if start == 0 else None, title_justify="left")
        table.add_column("", overflow="fold")
        for header, _ in columns[start:start + per_table]:
            table.add_column(header, justify="right", overflow="fold")
        for i, label in enumerate(labels):
            table.add_row(label, *[cells[i] for _, cells in columns[start:start + per_table]])
        console.print(table)


def figures_table(console, figures: dict, *, title: str) -> None:
    """One row per figure (value, unit, method, note): the table of ``synth`` and ``report-vendor``."""
    table = Table(title=title)
    for col in ("figure", "value", "unit", "method", "note"):
        table.add_column(col, justify="right" if col == "value" else "left", overflow="fold")
    for name, fig in figures.items():
        value = fig.get("value")
        shown = f"{value:,.0f}" if isinstance(value, (int, float)) and fig.get("unit") != "ns" else f"{value:g}"
        table.add_row(name, shown, fig.get("unit", ""), fig.get("method", ""), fig.get("note", ""))
    console.print(table)
