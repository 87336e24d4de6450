"""Vendor HLS builds (Vitis / Vivado HLS) and their reports, read into edgenn's figures schema (method ``vendor``).

``run_vendor_build(project_dir, tool)`` runs the build hls4ml 1.3 would run (``backends/vitis/vitis_backend.py``:
``vitis-run --tcl build_prj.tcl --mode hls`` after writing ``build_opt.tcl``; ``backends/vivado/vivado_backend.py``:
``vivado_hls -f build_prj.tcl "reset=.. csim=.. synth=.. ..."``), with the return code checked (hls4ml's Vivado
path ignores it). ``read_vendor_report(project_dir)`` reads what exists (edgenn.synth.vendor_files):
the csynth XML (``<prj>/<solution>/syn/report/<top>_csynth.xml``: LUT/FF/DSP/BRAM_18K, latency, II, estimated clock)
and, when present, ``vivado_synth.rpt`` (post-synthesis LUT/FF/DSP/BRAM, which then replace csynth's estimates).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Literal

from edgenn.errors import ExternalToolError, InvalidInputError, MissingArtifactError
from edgenn.synth import vendor_files

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


def _int(value) -> int | None:
    try:
        return int(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        return None


def read_vendor_report(project_dir: Path) -> dict:
    """``{"figures": {...}, "source": {...}}`` from the vendor reports found in an hls4ml project directory.

    ``source["scope"]`` says what the figures describe: ``core`` (the network, what edgenn's estimate describes) or
    ``axi_wrapper`` (a VivadoAccelerator project whose core report is missing: the AXI interface is included, and
    every figure's note says so).

    Raises:
        MissingArtifactError: no csynth report in the project (run the vendor build first).
        InvalidInputError: project.tcl names no project, or a report is malformed.
    """
    project_dir = Path(project_dir)
    project = vendor_files.require_project(project_dir)
    found = vendor_files.find_csynth(project)
    if found is None:
        raise MissingArtifactError(f"{project_dir}: no csynth report found for top {project.name!r}.",
                                   fix="run `edgenn synth RUN --tool vitis` (or the vendor build) first.")
    xml_path, scope = found
    csynth = vendor_files.csynth_xml(xml_path)
    target = float(csynth["TargetClockPeriod"])
    estimated = float(csynth.get("EstimatedClockPeriod", target))
    worst = _int(csynth["WorstLatency"])
    wrapper = " (VivadoAccelerator AXI wrapper included, not the core alone)" if scope == "axi_wrapper" else ""
    note = "Vitis/Vivado HLS csynth estimate" + wrapper
    figs = {
        "lut": {"value": _int(csynth.get("LUT")), "unit": "count", "method": METHOD, "note": note},
        "ff": {"value": _int(csynth.get("FF")), "unit": "count", "method": METHOD, "note": note},
        "dsp": {"value": _int(csynth.get("DSP")), "unit": "count", "method": METHOD, "note": note},
        "bram": {"value": _int(csynth.get("BRAM_18K")), "unit": "count", "method": METHOD, "note": f"BRAM_18K; {note}"},
        "latency_cycles": {"value": worst, "unit": "cycles", "method": METHOD, "note": "worst case, csynth" + wrapper},
        "ii_cycles": {"value": _int(csynth.get("IntervalMax")), "unit": "cycles", "method": METHOD,
                      "note": "csynth" + wrapper},
        "latency_ns": {"value": None if worst is None else worst * max(target, estimated), "unit": "ns",
                       "method": METHOD,
                       "note": f"worst-case cycles x max(target {target:g} ns, HLS-estimated {estimated:g} ns) clock"},
        "clock_period_ns": {"value": estimated, "unit": "ns", "method": METHOD,
                            "note": "HLS-estimated clock period (csynth, before place and route)"},
    }
    rpt = project_dir / "vivado_synth.rpt"
    vsynth = vendor_files.vivado_synth(rpt) if rpt.is_file() else {}
    # Vivado synthesises the whole top: in a VivadoAccelerator project that is the AXI wrapper, so its counts describe
    # a different circuit than a core csynth report and must not replace the core's figures.
    vsynth_scope = "axi_wrapper" if project.accelerator else "core"
    if vsynth and vsynth_scope == scope:
        vnote = "Vivado synthesis (vivado_synth.rpt)" + wrapper
        for key, src in (("lut", "LUT"), ("ff", "FF"), ("dsp", "DSP")):
            if src in vsynth:
                figs[key] = {"value": int(vsynth[src]), "unit": "count", "method": METHOD, "note": vnote}
        if "BRAM_TILE" in vsynth:
            # a Block RAM tile (36 Kb) holds two RAMB18; 7-series reports a lone RAMB18 as 0.5 tile
            figs["bram"] = {"value": int(round(2 * vsynth["BRAM_TILE"])), "unit": "count", "method": METHOD,
                            "note": "Vivado synthesis Block RAM tiles x 2 (RAMB18 equivalents)" + wrapper}
    for key in [k for k, f in figs.items() if f["value"] is None]:
        del figs[key]
    return {"figures": figs, "source": {"scope": scope, "csynth_file": str(xml_path.relative_to(project_dir)),
                                        "backend": project.backend or "unspecified", "csynth": csynth,
                                        "vivado_synth": vsynth, "vivado_synth_scope": vsynth_scope if vsynth else None}}
