"""ONNX target of the export stage: tf2onnx conversion checked with onnxruntime, batch-1 latency, report files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from edgenn.io import atomic_dir, atomic_write_text
from edgenn.manifest import write_manifest
from edgenn.records import ExportReport
from edgenn.records.export_sections import section_records
from edgenn.runners.targets import export_target
from edgenn.runners.export import HOST_SCORE_NOTE, REPORT_MD, ExportResult, ExportSource
from edgenn.runners.figures import anomaly_figures, anomaly_score, fig


@export_target("onnx", help="ONNX file checked with onnxruntime")
def export_onnx_target(source: ExportSource, out: Path, settings=None, *, progress: bool = False) -> ExportResult:
    # settings/progress: the registry's common call; an ONNX file has no settings (NoSettings) and no long stage
    from edgenn.qonnx.source import is_qonnx_model

    if is_qonnx_model(source.model):  # already ONNX: the cleaned QONNX graph, checked against the exact evaluation
        from edgenn.runners.export_qonnx import export_qonnx_onnx

        return export_qonnx_onnx(source, out)
    from edgenn._version import __version__
    from edgenn.exporters.onnx_export import export_onnx
    from edgenn.manifest import content_hash

    from edgenn.architectures.extra_inputs import num_rows, take_rows

    t0 = time.perf_counter()
    x = take_rows(source.x, min(num_rows(source.x), source.validation_samples))
    metadata = {"edgenn_version": __version__, "model_name": source.name}
    if source.recipe is not None:
        metadata["recipe_hash"] = content_hash(source.recipe)
    with atomic_dir(out) as staging:
        onnx_report = export_onnx(source.model, staging / "model.onnx", x_check=x, metadata=metadata)
        figures = {
            "onnx_max_abs_diff": fig(onnx_report.max_abs_diff, "absolute", "onnxruntime"),
            "onnx_argmax_agreement": fig(onnx_report.argmax_agreement, "fraction", "onnxruntime"),
            "ort_latency_us_batch1": fig(onnx_report.ort_latency_us_batch1[0], "us", "onnxruntime"),
            "keras_latency_us_batch1": fig(onnx_report.keras_latency_us_batch1[0], "us", "software"),
        }
        if source.anomaly is not None:  # the host-side score (the autoencoder's route) from onnxruntime itself
            figures.update(anomaly_figures(source.anomaly, _onnx_scores(staging / "model.onnx", source, x),
                                            "onnxruntime", "onnxruntime score on the host", save_to=staging))
        notes = list(source.notes) + ([] if onnx_report.passed else
                 [f"onnxruntime differs from Keras by {onnx_report.max_abs_diff:.3g} > {onnx_report.tolerance:g}"])
        notes += [HOST_SCORE_NOTE] if source.anomaly and source.anomaly.score == "reconstruction" else []
        report = ExportReport("onnx", source.name, figures, None, tuple(notes), source.lineage, None,
                              section_records(onnx=onnx_report.to_dict()))
        report.save(staging)
        atomic_write_text(staging / REPORT_MD, _onnx_markdown(report))
        write_manifest(staging, stage="export-onnx", recipe=source.recipe, inputs=source.lineage,
                       metrics=report.figures_dict(), timings_s={"total": time.perf_counter() - t0})
    return ExportResult("onnx", out, report)


def _onnx_scores(path: Path, source: ExportSource, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rows = x[: source.anomaly.num_test].astype(np.float32)
    out = session.run(None, {session.get_inputs()[0].name: rows})[0]
    return anomaly_score(source.anomaly.score, out, rows)


def _onnx_markdown(report: ExportReport) -> str:
    o = report.onnx
    lines = [f"# ONNX export: {report.name}", "",
             f"- checked with onnxruntime on {o.num_samples} samples: max |Δ| = {o.max_abs_diff:.3g} "
             f"(tolerance {o.tolerance:g}), argmax agreement {o.argmax_agreement:.4%}: "
             f"**{'pass' if o.passed else 'FAIL'}**",
             f"- quantized graph: {o.is_quantized_graph}", "",
             "| batch-1 latency | median (µs) | p90 (µs) |", "|---|---|---|"]
    for key, label in (("ort_latency_us_batch1", "onnxruntime session.run"),
                       ("keras_call_latency_us_batch1", "Keras model(x)"),
                       ("keras_latency_us_batch1", "Keras model.predict")):
        if key in o.latencies_us:
            med, p90 = o.latencies_us[key]
            lines.append(f"| {label} | {med:.1f} | {p90:.1f} |")
    return "\n".join(lines) + "\n"
