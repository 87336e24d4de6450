"""``edgenn synth RUN --tool yosys|vitis|vivado`` and ``edgenn report-vendor PROJECT``. No logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def synth(ctx: typer.Context,
          path: Path = typer.Argument(..., help="runs/<name>, or an export directory (firmware/<name>/rtl or /fpga)."),
          tool: str = typer.Option("yosys", help="yosys (open-source, on the RTL export) or vitis / vivado (vendor "
                                                 "HLS build of the FPGA export; must be on PATH)."),
          out: Optional[Path] = typer.Option(None, help="Output directory (default firmware/<name>/synth-<tool>)."),
          json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> dict:
    """Synthesise an export and write figures labelled by method (yosys / vendor); exit 3 if the tool is missing."""
    from edgenn.api import synth as api_synth
    from edgenn.cli.jsonout import figures
    from edgenn.cli.common import console, err_console, settings

    if settings(ctx).progress:
        with err_console.status(f"{tool}: synthesising...") as status:
            result = api_synth(path, tool=tool, out=out,
                               on_tick=lambda s: status.update(f"{tool}: synthesising... {s:,.0f} s"))
    else:
        result = api_synth(path, tool=tool, out=out)
    figures_table(console, result.report["figures"], title=f"synthesis ({tool})")
    console.print(f"written: [bold]{result.directory}[/]")
    return {"paths": {"directory": result.directory}, "figures": figures(result.report), "tool": tool}


def report_vendor(project: Path = typer.Argument(..., help="hls4ml project directory (firmware/<name>/fpga/hls) "
                                                           "holding Vitis/Vivado reports."),
                  out: Optional[Path] = typer.Option(None, help="Also write report.json/report.md here."),
                  json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> dict:
    """Read existing csynth / Vivado synthesis reports into edgenn's figures (method: vendor)."""
    from edgenn.api import report_vendor as api_report_vendor
    from edgenn.cli.jsonout import figures
    from edgenn.cli.common import console

    result = api_report_vendor(project, out=out)
    figures_table(console, result.report["figures"], title="vendor report")
    return {"paths": {"directory": out} if out else {}, "figures": figures(result.report)}


def figures_table(console, figures: dict, *, title: str) -> None:
    from rich.table import Table

    table = Table(title=title)
    for col in ("figure", "value", "unit", "method", "note"):
        table.add_column(col, justify="right" if col == "value" else "left", overflow="fold")
    for name, fig in figures.items():
        value = fig.get("value")
        shown = f"{value:,.0f}" if isinstance(value, (int, float)) and fig.get("unit") != "ns" else f"{value:g}"
        table.add_row(name, shown, fig.get("unit", ""), fig.get("method", ""), fig.get("note", ""))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``synth`` and ``report-vendor`` to ``app`` (errors mapped to exit codes like every other command)."""
    from edgenn.cli.common import handles_errors

    app.command("synth", rich_help_panel="Tools",
                epilog="Example: edgenn synth runs/jet_mlp --tool yosys\n\n"
                       "Example: edgenn synth firmware/jet_mlp/fpga --tool vitis --json")(handles_errors(synth))
    app.command("report-vendor", rich_help_panel="Tools",
                epilog="Example: edgenn report-vendor firmware/jet_mlp/fpga/hls --out firmware/jet_mlp/vendor"
                )(handles_errors(report_vendor))
