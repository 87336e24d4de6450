"""The ``hls_project`` target: the hls4ml project and its analytic estimates, without compiling the C simulation.

For a vendor synthesis run elsewhere (or a quick look at resources) when g++ is not wanted: it makes no bit-exactness
claim, so its report has no ``bitexact`` record and a budget line on ``bit_exact_fraction`` fails as missing.
It is also the worked example of adding a target: this module is all there is to it.
"""

from __future__ import annotations

import time
from pathlib import Path

from edgenn.io import atomic_dir, atomic_write_json, atomic_write_text
from edgenn.manifest import write_manifest
from edgenn.runners.export import REPORT_JSON, REPORT_MD, ExportResult, ExportSource
from edgenn.runners.targets import export_target


@export_target("hls_project", help="hls4ml project and analytic estimates, not compiled (no C simulation)")
def export_hls_project(source: ExportSource, out: Path, overrides: dict, *, progress: bool = False) -> ExportResult:
    from edgenn.estimates import design_from_hls_model, estimate
    from edgenn.exporters.hls import HlsSettings, export_hls

    settings = HlsSettings(**{**source.fpga, **overrides})
    t0 = time.perf_counter()
    with atomic_dir(out) as staging:
        project = export_hls(source.model, staging / "hls", settings, x_calibration=source.x_calibration,
                             compile=False)
        resources = estimate(design_from_hls_model(project.hls_model))
        figures = {key: f.to_dict() for key, f in resources.total.figures().items()}
        notes = [*source.notes, "project written, not compiled: no C simulation, no bit-exactness claim",
                 *resources.assumptions]
        report = {"schema_version": 1, "target": "hls_project", "name": source.name,
                  "settings": settings.to_dict(), "figures": figures, "resources": resources.to_dict(),
                  "precision": project.precision.to_dict(), "project": project.to_dict(),
                  "lineage": source.lineage, "notes": notes, "timings_s": {"convert": project.convert_seconds}}
        atomic_write_json(staging / REPORT_JSON, report)
        lines = [f"# hls4ml project: {source.name}", "", "Written, not compiled (no C simulation). HLS project: `hls/`.",
                 "", f"## Resources and latency per layer ({resources.method} estimate, not synthesis)", "",
                 resources.to_markdown(), "", "## Notes", "", *[f"- {n}" for n in notes]]
        atomic_write_text(staging / REPORT_MD, "\n".join(lines) + "\n")
        write_manifest(staging, stage="export-hls_project", recipe=source.recipe, inputs=source.lineage,
                       metrics=figures, timings_s={"total": time.perf_counter() - t0})
    return ExportResult("hls_project", out, report)
