"""The ``hls_project`` target: the hls4ml project and its analytic estimates, without compiling the C simulation.

For a vendor synthesis run elsewhere (or a quick look at resources) when g++ is not wanted: it makes no bit-exactness
claim, so its report has no ``bitexact`` record and a budget line on ``bit_exact_fraction`` fails as missing.
It is also the worked example of adding a target: this module is all there is to it.
"""

from __future__ import annotations

import time
from pathlib import Path

from edgenn.config.recipe import FpgaSpec
from edgenn.io import atomic_dir, atomic_write_text
from edgenn.manifest import write_manifest
from edgenn.records import ExportReport
from edgenn.records.export_sections import section_records
from edgenn.runners.export import REPORT_MD, ExportResult, ExportSource
from edgenn.runners.figures import estimate_figures
from edgenn.runners.targets import export_target


@export_target("hls_project", help="hls4ml project and analytic estimates, not compiled (no C simulation)",
               settings=FpgaSpec)
def export_hls_project(source: ExportSource, out: Path, spec: FpgaSpec, *, progress: bool = False) -> ExportResult:
    from edgenn.estimates import design_from_hls_model, estimate
    from edgenn.exporters.hls import HlsSettings, export_hls

    settings = HlsSettings.from_spec(spec)
    t0 = time.perf_counter()
    with atomic_dir(out) as staging:
        project = export_hls(source.model, staging / "hls", settings, x_calibration=source.x_calibration,
                             compile=False)
        resources = estimate(design_from_hls_model(project.hls_model))
        figures = estimate_figures(resources.total.figures())
        notes = [*source.notes, "project written, not compiled: no C simulation, no bit-exactness claim",
                 *resources.assumptions]
        report = ExportReport("hls_project", source.name, figures, None, tuple(notes), source.lineage, None,
                              {**section_records(settings=settings.to_dict(), resources=resources.to_dict(),
                                                 precision=project.precision.to_dict(), project=project.to_dict()),
                               "timings_s": {"convert": project.convert_seconds}})
        report.save(staging)
        lines = [f"# hls4ml project: {source.name}", "", "Written, not compiled (no C simulation). HLS project: `hls/`.",
                 "", f"## Resources and latency per layer ({resources.method} estimate, not synthesis)", "",
                 resources.to_markdown(), "", "## Notes", "", *[f"- {n}" for n in notes]]
        atomic_write_text(staging / REPORT_MD, "\n".join(lines) + "\n")
        write_manifest(staging, stage="export-hls_project", recipe=source.recipe, inputs=source.lineage,
                       metrics=report.figures_dict(), timings_s={"total": time.perf_counter() - t0})
    return ExportResult("hls_project", out, report)
