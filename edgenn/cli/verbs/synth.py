"""``edgenn synth RUN --tool yosys|vitis|vivado``: synthesise an export, figures labelled by method. No logic here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from edgenn.cli.common import Verb


def synth(ctx: typer.Context,
          path: Path = typer.Argument(..., help="runs/<name>, or an export directory (firmware/<name>/rtl or /fpga)."),
          tool: str = typer.Option("yosys", help="yosys (open-source, on the RTL export) or vitis / vivado (vendor "
                                                 "HLS build of the FPGA export; must be on PATH)."),
          out: Optional[Path] = typer.Option(None, help="Output directory (default firmware/<name>/synth-<tool>)."),
          json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> dict:
    """Synthesise an export and write figures labelled by method (yosys / vendor); exit 3 if the tool is missing."""
    from edgenn.api import synth as api_synth
    from edgenn.cli import render
    from edgenn.cli.jsonout import figures
    from edgenn.cli.common import console, err_console, settings

    if settings(ctx).progress:
        with err_console.status(f"{tool}: synthesising...") as status:
            result = api_synth(path, tool=tool, out=out,
                               on_tick=lambda s: status.update(f"{tool}: synthesising... {s:,.0f} s"))
    else:
        result = api_synth(path, tool=tool, out=out)
    render.figures_table(console, result.report["figures"], title=f"synthesis ({tool})")
    console.print(f"written: [bold]{result.directory}[/]", soft_wrap=True)
    return {"paths": {"directory": result.directory}, "figures": figures(result.report), "tool": tool}


VERB = Verb("synth", synth, panel="Tools",
            epilog="Example: edgenn synth runs/jet_mlp --tool yosys\n\n"
                   "Example: edgenn synth firmware/jet_mlp/fpga --tool vitis --json")
