"""QONNX models (``model.onnx``, e.g. from Brevitas' ``export_qonnx``) through the export stage's fpga and onnx targets.

The fpga route: qonnx cleanup + channels-last + Gemm-to-MatMul, hls4ml's ONNX front end with every type from
edgenn's own derivation (``exporters.qonnx_hls``), the C simulation on host-cast inputs compared bit for bit with the
exact evaluation of the cleaned QONNX graph on the raw inputs (``qonnx.evaluate_qonnx``: the Quant nodes'
definition, not qonnx's float32 executor), estimates, and the same report.json / report.md / manifest as a Keras
export, so ``edgenn check`` and ``edgenn report`` read it unchanged. The onnx route writes the cleaned QONNX graph and
measures how often qonnx's float32 executor agrees with the exact evaluation.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from edgenn.io import atomic_dir, atomic_write_text
from edgenn.manifest import write_manifest
from edgenn.records import ExportReport
from edgenn.records.export_sections import section_records
from edgenn.records.figures import figure
from edgenn.runners.export import REPORT_MD, ExportResult, ExportSource
from edgenn.runners.progress import stage_status

ONNX_EXEC_ROWS = 1000  # qonnx's executor runs one row per call: enough rows to show a disagreement, in seconds


def export_qonnx_fpga(source: ExportSource, out: Path, spec, *, progress: bool) -> ExportResult:
    """``spec``: the fpga target's validated settings (``config.recipe.FpgaSpec``)."""
    from edgenn.estimates import design_from_hls_model, estimate
    from edgenn.exporters.csim import quantize_inputs, trace_layers
    from edgenn.exporters.hls import HlsSettings
    from edgenn.exporters.qonnx_hls import export_qonnx_hls, layer_value_tensors
    from edgenn.qonnx.evaluate import evaluate_qonnx
    from edgenn.reporting import CSIM_OUTPUTS
    from edgenn.runners.fpga_report import fpga_figures, fpga_markdown
    from edgenn.verification.bitexact import build_report

    settings = HlsSettings.from_spec(spec)
    n = min(len(source.x), source.validation_samples)
    x, y = source.x[:n], (None if source.y is None else source.y[:n])
    notes = list(source.notes)
    status = stage_status(progress)
    t0 = time.perf_counter()
    prepared = _prepare_or_measure(source, x, y)
    with atomic_dir(out) as staging:
        with status("qonnx cleanup + hls4ml ONNX front end: converting and compiling the C simulation (g++)..."):
            project = export_qonnx_hls(prepared, staging / "hls", settings)
        with status(f"C simulation of {n} samples..."):
            xq = quantize_inputs(project, x)
            start = time.perf_counter()
            final, traced = trace_layers(project.hls_model, np.ascontiguousarray(xq, np.float64))
            csim_seconds = time.perf_counter() - start
        with status("exact QONNX evaluation..."):
            ref = evaluate_qonnx(prepared.clean, x.astype(np.float64))  # the raw inputs: the graph casts them itself
        out_name = ref.output_names[0]
        output_layer = project.precision.output_layer
        reference_out = ref.values[out_name].reshape(n, -1)
        firmware_out = np.asarray(final, np.float64).reshape(n, -1)
        layers = _layer_pairs(prepared, project, traced, xq, layer_value_tensors(project.hls_model,
                                                                                  prepared.hls_ready), notes)
        layers.append((output_layer, reference_out, firmware_out))
        np.savez_compressed(staging / CSIM_OUTPUTS, logits_reference=reference_out, logits_firmware=firmware_out,
                            output_reference=reference_out, output_firmware=firmware_out,
                            **({} if y is None else {"labels": y}))
        bitexact = build_report(layers, logits_layer=output_layer, output_layer=output_layer,
                                bit_exact_expected=ref.is_exact(out_name), labels=y, notes=project.precision.notes,
                                csim_seconds=csim_seconds, reference_label=ref.kind(out_name))
        resources = estimate(design_from_hls_model(project.hls_model))
        figures = fpga_figures(source, bitexact, resources, firmware_out, y, reference_out, xq, staging)
        if "accuracy_software" in figures:
            figures["accuracy_software"] = replace(figures["accuracy_software"],
                                                   note="exact QONNX evaluation on the same inputs")
        notes.extend(prepared.notes)
        notes.append(f"bit-exactness reference: {ref.kind(out_name)}, of the cleaned QONNX graph on the raw inputs; "
                     "the C simulation gets the same inputs cast on the host to the input Quant node's type")
        notes.extend(bitexact.notes)
        notes.extend(resources.assumptions)
        timings = {"convert": project.convert_seconds, "compile": project.compile_seconds, "csim": csim_seconds}
        report = ExportReport(
            "fpga", source.name, figures, bitexact, tuple(notes), source.lineage, "classify",
            {**section_records(settings=settings.to_dict(), resources=resources.to_dict(),
                               precision=project.precision.to_dict(), project=project.to_dict()),
             "source_format": "qonnx", "reference_metrics": source.reference_metrics, "timings_s": timings})
        report.save(staging)
        atomic_write_text(staging / REPORT_MD, fpga_markdown(report, resources.to_markdown()))
        write_manifest(staging, stage="export-fpga", recipe=None, inputs=source.lineage,
                       metrics=report.figures_dict(), timings_s={**timings, "total": time.perf_counter() - t0})
    return ExportResult("fpga", out, report)


def _prepare_or_measure(source: ExportSource, x: np.ndarray, y):
    """``prepare_qonnx``; a refusal of non-power-of-two scales gets the measured cost of the nearest power-of-two
    re-quantization on the user's rows appended (issue 18: say what exactness would cost, not only that it fails)."""
    from edgenn.errors import EdgennError
    from edgenn.exporters.precision_qonnx import NotFixedPointError
    from edgenn.exporters.qonnx_hls import prepare_qonnx
    from edgenn.qonnx.requantize import requantization_cost

    try:
        return prepare_qonnx(source.model.proto)
    except NotFixedPointError as err:
        rows = slice(0, min(len(x), 2000))
        try:
            cost = requantization_cost(source.model.proto, x[rows].astype(np.float64),
                                       None if y is None else y[rows])
        except EdgennError:
            cost = ""  # the graph has other problems too; the refusal itself still stands
        raise NotFixedPointError(f"{err.message} {cost}".strip(), fix=err.fix) from None


def _layer_pairs(prepared, project, traced: dict, xq: np.ndarray, value_tensors: dict[str, str],
                 notes: list[str]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Per-layer (name, reference, firmware), from the exact evaluation of the graph hls4ml converted (channels last,
    as the firmware traces are); if that graph cannot be evaluated, only the output is compared."""
    from edgenn.errors import UnsupportedModelError
    from edgenn.qonnx.evaluate import evaluate_qonnx

    try:
        ready = evaluate_qonnx(prepared.hls_ready, xq)
    except UnsupportedModelError:
        notes.append("per-layer comparison: only the output (the graph hls4ml converts has ops the exact "
                     "evaluator does not cover)")
        return []
    n = len(xq)
    pairs = []
    for layer in project.precision.layers[:-1]:
        tensor = value_tensors.get(layer.name)
        if layer.name in traced and tensor in ready.values:
            pairs.append((layer.name, ready.values[tensor].reshape(n, -1), traced[layer.name].reshape(n, -1)))
    return pairs


def export_qonnx_onnx(source: ExportSource, out: Path) -> ExportResult:
    """The cleaned QONNX graph, with qonnx's float32 executor checked against the exact evaluation."""
    import qonnx.core.onnx_exec as oxe
    from qonnx.core.modelwrapper import ModelWrapper

    from edgenn.exporters.qonnx_hls import prepare_qonnx
    from edgenn.qonnx.evaluate import evaluate_qonnx

    t0 = time.perf_counter()
    prepared = prepare_qonnx(source.model.proto)
    x = source.x[: min(len(source.x), source.validation_samples, ONNX_EXEC_ROWS)]
    ref = evaluate_qonnx(prepared.clean, x.astype(np.float64))
    wrapped = ModelWrapper(prepared.clean)
    name_in, name_out = wrapped.graph.input[0].name, ref.output_names[0]
    got = np.concatenate([oxe.execute_onnx(wrapped, {name_in: row[None].astype(np.float32)})[name_out]
                          for row in x]).astype(np.float64).reshape(len(x), -1)
    want = ref.values[name_out].reshape(len(x), -1)
    exact = float(np.mean(got == want))
    figures = {"qonnx_exec_exact_fraction": figure(exact, "fraction", "qonnx", f"qonnx float32 executor vs the exact "
                                                   f"QONNX evaluation, {len(x)} samples"),
               "qonnx_exec_max_abs_diff": figure(float(np.max(np.abs(got - want))), "absolute", "qonnx")}
    with atomic_dir(out) as staging:
        ModelWrapper(prepared.clean).save(str(staging / "model.onnx"))
        report = ExportReport("onnx", source.name, figures, None,
                              tuple(source.notes) + tuple(prepared.notes) + (f"reference: {ref.kind(name_out)}",),
                              source.lineage, None, {"source_format": "qonnx"})
        report.save(staging)
        atomic_write_text(staging / REPORT_MD, f"# ONNX export (QONNX): {source.name}\n\n- cleaned QONNX graph: "
                          f"`model.onnx`\n- qonnx's float32 executor equals the exact evaluation on "
                          f"{exact:.4%} of {want.size} output values "
                          f"({len(x)} samples), max |Δ| {figures['qonnx_exec_max_abs_diff'].value:.3g}\n")
        write_manifest(staging, stage="export-onnx", recipe=None, inputs=source.lineage,
                       metrics=report.figures_dict(), timings_s={"total": time.perf_counter() - t0})
    return ExportResult("onnx", out, report)
