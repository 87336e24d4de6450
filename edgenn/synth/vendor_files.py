"""Readers for the files of an hls4ml Vivado/Vitis HLS project: project.tcl, <prj>/{hls,vivado_hls}.app,
the csynth XML of one module, and vivado_synth.rpt.

edgenn reads these itself instead of through ``hls4ml.report.parse_vivado_report`` because that parser (1.3.0)
ends in a traceback on a project.tcl without ``set backend`` (hls4ml < 0.7 wrote none), drops a fractional
"Block RAM Tile" count (7-series reports 0.5 for one RAMB18), and silently switches to the ``<top>_axi`` wrapper of a
VivadoAccelerator project.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from edgenn.errors import InvalidInputError, MissingArtifactError


@dataclass(frozen=True)
class Project:
    name: str          # the core's top function (set project_name)
    backend: str       # lower case; "" when project.tcl does not say (hls4ml < 0.7)
    prj_dir: Path      # <name>_prj

    @property
    def accelerator(self) -> bool:
        return "accelerator" in self.backend


_SET = re.compile(r'^\s*set\s+(\w+)\s+"?([^"\s]*)"?\s*$')


def read_project(project_dir: Path) -> Project:
    tcl = Path(project_dir) / "project.tcl"
    values: dict[str, str] = {}
    for line in tcl.read_text(errors="replace").splitlines():
        m = _SET.match(line)
        if m:
            values[m.group(1)] = m.group(2)
    # hls4ml 0.5/0.6 wrote `set myproject "<name>"`
    name = values.get("project_name") or values.get("myproject")
    if not name:
        raise InvalidInputError(f"{tcl}: no `set project_name \"...\"` line, so the top function is unknown.",
                                fix="pass the hls/ directory of an hls4ml project (project.tcl as hls4ml writes it).")
    return Project(name=name, backend=values.get("backend", "").lower(), prj_dir=Path(project_dir) / f"{name}_prj")


def solutions(prj_dir: Path) -> list[str]:
    """Solution directories named in the project's .app file that exist, in file order."""
    for app in ("hls.app", "vivado_hls.app"):
        path = prj_dir / app
        if path.is_file():
            text = re.sub(r'\sxmlns="[^"]+"', "", path.read_text(errors="replace"))
            try:
                root = ET.fromstring(text)
            except ET.ParseError as exc:
                raise InvalidInputError(f"{path}: malformed ({exc}).", fix="re-run the vendor build.") from None
            return [s.get("name") for s in root.iter("solution") if s.get("name") and (prj_dir / s.get("name")).is_dir()]
    return []


def csynth_xml(path: Path) -> dict[str, str]:
    """Totals of one module's csynth XML (DSP48E in Vivado HLS, DSP in Vitis HLS: both become ``DSP``)."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InvalidInputError(f"{path}: a vendor report is malformed ({exc}).", fix="re-run the vendor build.") from None

    def text(xpath: str) -> str | None:
        node = root.find(xpath)
        return node.text.strip() if node is not None and node.text else None

    out = {
        "TargetClockPeriod": text("./UserAssignments/TargetClockPeriod"),
        "Part": text("./UserAssignments/Part"),
        "Version": text("./ReportVersion/Version"),
        "EstimatedClockPeriod": text("./PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod"),
        "BestLatency": text("./PerformanceEstimates/SummaryOfOverallLatency/Best-caseLatency"),
        "WorstLatency": text("./PerformanceEstimates/SummaryOfOverallLatency/Worst-caseLatency"),
        "IntervalMin": text("./PerformanceEstimates/SummaryOfOverallLatency/Interval-min"),
        "IntervalMax": text("./PerformanceEstimates/SummaryOfOverallLatency/Interval-max"),
    }
    resources = root.find("./AreaEstimates/Resources")
    for child in (resources if resources is not None else []):
        out["DSP" if child.tag == "DSP48E" else child.tag] = (child.text or "").strip()
    if out["TargetClockPeriod"] is None or out["WorstLatency"] is None or resources is None:
        raise InvalidInputError(f"{path}: not a csynth report (no clock, latency or resources).",
                                fix="re-run the vendor build.")
    return {k: v for k, v in out.items() if v is not None}


def find_csynth(project: Project) -> tuple[Path, str] | None:
    """(csynth XML of the first solution, scope) where scope is 'core' or 'axi_wrapper'.

    A VivadoAccelerator project's top is ``<name>_axi``; csynth also writes a report per non-inlined module, so the
    core's own ``<name>_csynth.xml`` is preferred: that is the design edgenn's estimate describes.
    """
    sols = solutions(project.prj_dir)
    if not sols:
        return None
    report_dir = project.prj_dir / sols[0] / "syn" / "report"
    core = report_dir / f"{project.name}_csynth.xml"
    if core.is_file():
        return core, "core"
    wrapper = report_dir / f"{project.name}_axi_csynth.xml"
    if project.accelerator and wrapper.is_file():
        return wrapper, "axi_wrapper"
    return None


def _number(cell: str) -> float | None:
    try:
        return float(cell.replace(",", "").strip())
    except ValueError:
        return None


def vivado_synth(path: Path) -> dict[str, float]:
    """Used counts from vivado_synth.rpt (utilisation tables of 7-series 'Slice Logic / Memory / DSP' and
    UltraScale 'CLB Logic / BLOCKRAM / ARITHMETIC' reports). Block RAM tiles may be fractional (0.5 = one RAMB18)."""
    out: dict[str, float] = {}
    section = 0
    for line in path.read_text(errors="replace").splitlines():
        m = re.match(r"^(\d+)\.\s", line)
        if m:
            section = int(m.group(1))
            continue
        if "|" not in line:
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2:
            continue
        site, used = cells[0].rstrip("*").strip(), _number(cells[1])
        if used is None:
            continue
        if section == 1 and site in ("CLB LUTs", "Slice LUTs"):
            out["LUT"] = used
        elif section == 1 and site in ("CLB Registers", "Slice Registers"):
            out["FF"] = used
        elif section == 2 and site == "Block RAM Tile":
            out["BRAM_TILE"] = used
        elif section == 2 and site == "URAM":
            out["URAM"] = used
        elif section == 3 and site == "DSPs":
            out["DSP"] = used
        elif section == 3 and site in ("DSP48E1 only", "DSP48E2 only"):
            out["DSP_TYPE"] = 1.0 if "E1" in site else 2.0
    return out


def require_project(project_dir: Path) -> Project:
    if not (Path(project_dir) / "project.tcl").is_file():
        raise MissingArtifactError(f"{project_dir}: no project.tcl, so not an hls4ml project directory.",
                                   fix="pass the hls/ directory of an FPGA export, e.g. firmware/<name>/fpga/hls.")
    return read_project(project_dir)
