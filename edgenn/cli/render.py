"""Rich rendering of typed results. Presentation only: every number shown here comes from the result object."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def model_metrics(console: Console, artifact) -> None:
    m = artifact.metrics
    table = Table(title=f"{artifact.recipe.name}: {artifact.stage} metrics (test split, {m.get('num_samples')} jets)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("accuracy", _fmt(m.get("accuracy")))
    for cls, auc in m.get("auc", {}).items():
        table.add_row(f"AUC {cls}", _fmt(auc))
    for cls, rej in m.get("rejection_at_50", {}).items():
        table.add_row(f"1/eps_B @ eps_S=50% ({cls} vs q+g)", _fmt(rej, 1))
    table.add_row("parameters", _fmt(m.get("num_params")))
    console.print(table)
    console.print(f"written: [bold]{artifact.directory}[/]")


def compression_table(console: Console, artifact) -> None:
    from edgenn.compression.summary import table_rows

    comp = artifact.metrics.get("compression", {})
    table = Table(title=f"{artifact.recipe.name}: compression (test split)")
    table.add_column("")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    for quantity, before, after in table_rows(comp["before"], comp["after"]):
        table.add_row(quantity, before, after)
    console.print(table)
    console.print(f"written: [bold]{artifact.directory}[/]")


def _value(value, unit: str | None) -> str:
    return f"{value:,.0f}" if unit in ("count", "cycles") and isinstance(value, (int, float)) else _fmt(value)


def export_summary(console: Console, result) -> None:
    figures = result.report.get("figures", {})
    table = Table(title=f"export {result.target}: {result.directory}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("method")
    for name, fig in figures.items():
        table.add_row(name, _value(fig.get("value"), fig.get("unit")), fig.get("unit", ""), fig.get("method", ""))
    console.print(table)
    for note in result.report.get("notes", []):
        console.print(f"note: {note}", highlight=False)
    console.print(f"report: [bold]{result.directory / 'report.md'}[/]")


def check_table(console: Console, report) -> None:
    table = Table(title=f"budget check: {report.source}")
    for col in ("figure", "value", "90 % upper", "unit", "method", "limit", "result"):
        table.add_column(col, no_wrap=col in ("figure", "value"))
    for line in report.lines:
        verdict = "[green]pass[/]" if line.passed else f"[red]FAIL[/] {line.reason}"
        upper = _value(line.upper, line.unit) if getattr(line, "upper", None) is not None else "-"
        table.add_row(line.figure, _value(line.value, line.unit), upper, line.unit or "-", line.method or "-",
                      line.limit.replace("method in ", "by ").replace("', '", "|").replace("['", "").replace("']", ""),
                      verdict)
    console.print(table)
    console.print("[bold green]all budget lines hold[/]" if report.passed else "[bold red]budget broken[/]")
