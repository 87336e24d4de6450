"""``edgenn report-vendor PROJECT``: read existing Vitis/Vivado reports into edgenn's figures. No logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edgenn.cli.common import Verb


def report_vendor(project: Path = typer.Argument(..., help="hls4ml project directory (firmware/<name>/fpga/hls) "
                                                           "holding Vitis/Vivado reports."),
                  out: Optional[Path] = typer.Option(None, help="Also write report.json/report.md here."),
                  json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> dict:
    """Read existing csynth / Vivado synthesis reports into edgenn's figures (method: vendor)."""
    from edgenn.api import report_vendor as api_report_vendor
    from edgenn.cli import render
    from edgenn.cli.jsonout import figures
    from edgenn.cli.common import console

    result = api_report_vendor(project, out=out)
    render.figures_table(console, result.report["figures"], title="vendor report")
    return {"paths": {"directory": out} if out else {}, "figures": figures(result.report)}


VERB = Verb("report-vendor", report_vendor, panel="Tools",
            epilog="Example: edgenn report-vendor firmware/jet_mlp/fpga/hls --out firmware/jet_mlp/vendor")
