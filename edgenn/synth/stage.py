"""``edgenn synth``: synthesis figures for an export, written as ``firmware/<name>/synth-<tool>/report.json``.

Resolves what to synthesise from the path given (an export directory, or a run directory ``runs/<name>`` whose
exports live in ``firmware/<name>/``): Yosys reads the RTL export (``rtl/rtl``), Vitis/Vivado the FPGA export's HLS
project (``fpga/hls``). The result directory has the same ``figures`` schema as every export, so ``edgenn check``
takes it, and each figure says its method (``yosys`` or ``vendor``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import edgenn.filenames as filenames
from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.io import atomic_dir, atomic_write_text, is_complete
from edgenn.manifest import write_manifest

TOOLS = ("yosys", "vitis", "vivado")


@dataclass(frozen=True)
class SynthResult:
    tool: str
    directory: Path
    report: dict


def _export_dir(path: Path, target: str) -> Path:
    """``path`` itself when it is an export of ``target``, else ``firmware/<run name>/<target>``."""
    path = Path(path)
    if (path / filenames.REPORT_JSON).is_file():
        from edgenn.records import ExportReport

        found = ExportReport.load(path).target
        if found != target:
            raise InvalidInputError(f"{path}: is a '{found}' export; this tool needs the '{target}' export.",
                                    fix=f"run `edgenn export RUN --target {target}` and pass its directory.")
        return path
    candidate = Path("firmware") / path.name / target
    if is_complete(candidate):
        return candidate
    raise MissingArtifactError(f"no '{target}' export for {path} (looked at {path}/report.json and {candidate}).",
                               fix=f"run `edgenn export {path} --target {target}` first.")


def run_synth(path: Path, tool: str, *, out: Path | None = None,
              on_tick: Callable[[float], None] | None = None) -> SynthResult:
    """Synthesise the export found from ``path`` with ``tool`` and write its figures; see the module docstring."""
    if tool not in TOOLS:
        raise InvalidInputError(f"--tool: unknown tool {tool!r}.", fix=f"use one of {', '.join(TOOLS)}.")
    t0 = time.perf_counter()
    if tool == "yosys":
        from edgenn.exporters.rtl import TOP, verilog_sources
        from edgenn.exporters.verilator import cache_root, rtl_hash
        from edgenn.synth.yosys import find_yosys, run_yosys

        find_yosys()  # fail before touching anything
        export = _export_dir(path, "rtl")
        rtl_dir = export / "rtl"
        project = _export_record(export).project
        top = (project.top if project is not None else None) or TOP
        out = out or export.parent / "synth-yosys"
        with atomic_dir(out) as staging:
            result = run_yosys(verilog_sources(rtl_dir, top), top, staging / "work", cache_dir=cache_root(),
                               content_hash=rtl_hash(rtl_dir), on_tick=on_tick)
            report = {"target": "synth-yosys", "tool": "yosys", "figures": result.figures(),
                      "yosys": result.to_dict(), "source": str(export),
                      "notes": ["Yosys synth_xilinx counts: pre-place-and-route, not Vivado; no timing"]}
            report = _write(staging, report, time.perf_counter() - t0, export, export)
        return SynthResult(tool, out, report)

    from edgenn.synth.vendor import read_vendor_report, require_tool, run_vendor_build

    require_tool(tool)  # exit 3 with the reason before any work
    export = _export_dir(path, "fpga")
    run_vendor_build(export / "hls", tool)  # type: ignore[arg-type]
    out = out or export.parent / f"synth-{tool}"
    with atomic_dir(out) as staging:
        parsed = read_vendor_report(export / "hls")
        report = {"target": f"synth-{tool}", "tool": tool, "figures": parsed["figures"],
                  "vendor": parsed["source"], "source": str(export), "notes": []}
        report = _write(staging, report, time.perf_counter() - t0, export, export)
    return SynthResult(tool, out, report)


def report_vendor(project_dir: Path, *, out: Path | None = None) -> SynthResult:
    """Read existing csynth/vsynth reports of an hls4ml project into figures (method ``vendor``)."""
    from edgenn.synth.vendor import read_vendor_report

    project_dir = Path(project_dir)
    if not (project_dir / "project.tcl").is_file() and (project_dir / "hls" / "project.tcl").is_file():
        project_dir = project_dir / "hls"  # an FPGA export directory was given
    parsed = read_vendor_report(project_dir)
    report = {"target": "vendor-report", "tool": "vendor", "figures": parsed["figures"],
              "vendor": parsed["source"], "source": str(project_dir), "notes": []}
    if out is None:
        return SynthResult("vendor", project_dir, _record(report, project_dir.parent).to_dict())
    with atomic_dir(out) as staging:
        report = _write(staging, report, 0.0, project_dir, project_dir.parent)
    return SynthResult("vendor", out, report)


def _export_record(export: Path):
    from edgenn.records import ExportReport

    return ExportReport.load(Path(export))


def _record(report: dict, source: Path):
    """The synthesis report as an export record (``edgenn check`` reads both alike); ``name``: the export's run."""
    from edgenn.records import ExportReport
    from edgenn.records.figures import figures_from_dicts

    name = Path(source).resolve().parent.name
    if (Path(source) / filenames.REPORT_JSON).is_file():
        name = _export_record(source).name or name
    sections = {k: v for k, v in report.items() if k not in ("target", "figures", "notes")}
    return ExportReport(report["target"], name, figures_from_dicts(report["figures"], f"{report['target']} figures"),
                        None, tuple(report["notes"]), {}, None, sections)


def _write(staging: Path, report: dict, seconds: float, source: Path, export: Path) -> dict:
    record = _record(report, export)
    doc = record.save(staging)
    lines = [f"# Synthesis ({report['tool']}): {report['source']}", "", "| figure | value | unit | method | note |",
             "|---|---:|---|---|---|"]
    lines += [f"| {k} | {f.value:,} | {f.unit} | {f.method} | {f.note} |" for k, f in record.figures.items()]
    lines += [""] + [f"- {n}" for n in record.notes]
    atomic_write_text(staging / filenames.REPORT_MD, "\n".join(lines) + "\n")
    write_manifest(staging, stage=report["target"], inputs={"export": str(source)}, metrics=record.figures_dict(),
                   timings_s={"total": seconds})
    return doc
