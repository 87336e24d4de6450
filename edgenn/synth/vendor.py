"""Vendor HLS builds (Vitis / Vivado HLS) and their reports, read into edgenn's figures schema (method ``vendor``).

``run_vendor_build(project_dir, tool)`` runs the build hls4ml 1.3 would run (``backends/vitis/vitis_backend.py``:
``vitis-run --tcl build_prj.tcl --mode hls`` after writing ``build_opt.tcl``; ``backends/vivado/vivado_backend.py``:
``vivado_hls -f build_prj.tcl "reset=.. csim=.. synth=.. ..."``), with the return code checked (hls4ml's Vivado
path ignores it). ``read_vendor_report(project_dir)`` parses what exists with ``hls4ml.report.parse_vivado_report``:
the csynth XML (``<prj>/<solution>/syn/report/<top>_csynth.xml``: LUT/FF/DSP/BRAM_18K, latency, II, estimated clock)
and, when present, ``vivado_synth.rpt`` (post-synthesis LUT/FF/DSP/BRAM, which then replace csynth's estimates).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
from pathlib import Path
from typing import Literal

from edgenn.errors import ExternalToolError, InvalidInputError, MissingArtifactError

METHOD = "vendor"
Tool = Literal["vitis", "vivado"]
COMMANDS: dict[str, str] = {"vitis": "vitis-run", "vivado": "vivado_hls"}


def require_tool(tool: Tool) -> str:
    if tool not in COMMANDS:
        raise InvalidInputError(f"--tool: unknown vendor tool {tool!r}.", fix="use vitis, vivado or yosys.")
    path = shutil.which(COMMANDS[tool])
    if path is None:
        raise ExternalToolError(
            f"{COMMANDS[tool]} not found on PATH: `edgenn synth --tool {tool}` needs AMD {tool.capitalize()} HLS.",
            fix="source the vendor settings script (e.g. /tools/Xilinx/Vitis/<version>/settings64.sh), or use "
                "`edgenn synth RUN --tool yosys` for an open-source count.")
    return path


def run_vendor_build(project_dir: Path, tool: Tool, *, vsynth: bool = True) -> Path:
    """csynth (and Vivado synthesis when ``vsynth``) of the hls4ml project in ``project_dir``; returns its log."""
    exe = require_tool(tool)
    project_dir = Path(project_dir)
    if not (project_dir / "build_prj.tcl").is_file():
        raise MissingArtifactError(f"{project_dir}: no build_prj.tcl (not an hls4ml project).",
                                   fix="run `edgenn export RUN --target fpga` first.")
    opts = {"reset": 1, "csim": 0, "synth": 1, "cosim": 0, "validation": 0, "export": 0, "vsynth": int(vsynth),
            "fifo_opt": 0}
    if tool == "vitis":
        body = "".join(f"    {k:<10} {v}\n" for k, v in opts.items())
        (project_dir / "build_opt.tcl").write_text("array set opt {\n" + body + "}\n")
        cmd = [exe, "--tcl", "build_prj.tcl", "--mode", "hls"]
    else:
        cmd = [exe, "-f", "build_prj.tcl", " ".join(f"{k}={v}" for k, v in opts.items() if k != "fifo_opt")]
    log = project_dir / f"{tool}_build.log"
    with open(log, "w") as out:
        code = subprocess.run(cmd, cwd=project_dir, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    if code != 0:
        raise ExternalToolError(f"{COMMANDS[tool]} failed (exit {code}); see {log}.", fix="read the log.")
    return log


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        return None


def read_vendor_report(project_dir: Path) -> dict:
    """``{"figures": {...}, "source": {...}}`` from the vendor reports found in an hls4ml project directory.

    Raises:
        MissingArtifactError: no csynth report in the project (run the vendor build first).
    """
    from hls4ml.report import parse_vivado_report

    project_dir = Path(project_dir)
    if not (project_dir / "project.tcl").is_file():
        raise MissingArtifactError(f"{project_dir}: no project.tcl, so not an hls4ml project directory.",
                                   fix="pass the hls/ directory of an FPGA export, e.g. firmware/<name>/fpga/hls.")
    with contextlib.redirect_stdout(io.StringIO()) as printed:  # the parser prints instead of raising
        try:
            parsed = parse_vivado_report(str(project_dir)) or {}
        except IndexError:  # hls4ml indexes solutions[0] without checking (no solution directory yet)
            parsed = {}
        except (AttributeError, ValueError, SyntaxError) as exc:  # ET.ParseError is a SyntaxError
            raise InvalidInputError(f"{project_dir}: a vendor report is malformed ({exc}).",
                                    fix="re-run the vendor build.") from None
    csynth = parsed.get("CSynthesisReport")
    if not csynth:
        raise MissingArtifactError(f"{project_dir}: no csynth report found ({printed.getvalue().strip() or 'empty'}).",
                                   fix="run `edgenn synth RUN --tool vitis` (or the vendor build) first.")
    target = float(csynth["TargetClockPeriod"])
    estimated = float(csynth["EstimatedClockPeriod"])
    worst = _int(csynth["WorstLatency"])
    note = "Vitis/Vivado HLS csynth estimate"
    figs = {
        "lut": {"value": _int(csynth.get("LUT")), "unit": "count", "method": METHOD, "note": note},
        "ff": {"value": _int(csynth.get("FF")), "unit": "count", "method": METHOD, "note": note},
        "dsp": {"value": _int(csynth.get("DSP")), "unit": "count", "method": METHOD, "note": note},
        "bram": {"value": _int(csynth.get("BRAM_18K")), "unit": "count", "method": METHOD, "note": f"BRAM_18K; {note}"},
        "latency_cycles": {"value": worst, "unit": "cycles", "method": METHOD, "note": "worst case, csynth"},
        "ii_cycles": {"value": _int(csynth.get("IntervalMax")), "unit": "cycles", "method": METHOD, "note": "csynth"},
        "latency_ns": {"value": worst * max(target, estimated), "unit": "ns", "method": METHOD,
                       "note": f"worst-case cycles x max(target {target:g} ns, HLS-estimated {estimated:g} ns) clock"},
        "clock_period_ns": {"value": estimated, "unit": "ns", "method": METHOD,
                            "note": "HLS-estimated clock period (csynth, before place and route)"},
    }
    vsynth = parsed.get("VivadoSynthReport") or {}
    for key, src in (("lut", "LUT"), ("ff", "FF"), ("dsp", "DSP48E"), ("bram", "BRAM_18K")):
        value = _int(vsynth.get(src))
        if value is not None:
            figs[key] = {"value": value, "unit": "count", "method": METHOD, "note": "Vivado synthesis (vivado_synth.rpt)"}
    if "BRAM_18K" in vsynth and _int(vsynth["BRAM_18K"]) is not None:
        # vivado_synth.rpt counts 'Block RAM Tile' (36 Kb); edgenn counts RAMB18 blocks
        figs["bram"]["value"] = 2 * _int(vsynth["BRAM_18K"])
        figs["bram"]["note"] = "Vivado synthesis Block RAM tiles x 2 (RAMB18 equivalents)"
    missing = [k for k, f in figs.items() if f["value"] is None]
    for key in missing:
        del figs[key]
    return {"figures": figs, "source": {"csynth": {k: csynth[k] for k in sorted(csynth)},
                                        "vivado_synth": vsynth}}
