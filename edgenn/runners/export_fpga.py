"""FPGA target of the export stage: hls4ml project, C simulation compared bit for bit, estimates, report files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from edgenn.config.recipe import FpgaSpec
from edgenn.io import atomic_dir, atomic_write_text
from edgenn.manifest import write_manifest
from edgenn.records import ExportReport
from edgenn.records.export_sections import section_records
from edgenn.runners.targets import export_target
from edgenn.runners.export import HOST_SCORE_NOTE, REPORT_MD, ExportResult, ExportSource
from edgenn.runners.figures import fig
from edgenn.runners.fpga_report import float_agreement_figures, fpga_figures, fpga_markdown
from edgenn.runners.progress import stage_status


@export_target("fpga", help="hls4ml project + bit-exact C simulation", needs_compiler=True, settings=FpgaSpec)
def export_fpga(source: ExportSource, out: Path, spec: FpgaSpec, *, progress: bool) -> ExportResult:
    from edgenn.qonnx.source import is_qonnx_model

    if is_qonnx_model(source.model):  # a QONNX graph: hls4ml's ONNX front end, types from its Quant nodes
        from edgenn.runners.export_qonnx import export_qonnx_fpga

        return export_qonnx_fpga(source, out, spec, progress=progress)
    from edgenn.estimates import design_from_hls_model, estimate
    from edgenn.exporters.csim import simulate_csim
    from edgenn.compression.hgq_model import is_proxy_model
    from edgenn.exporters.hgq_hls import export_hgq_hls, simulate_hgq
    from edgenn.exporters.hls import HlsSettings, export_hls
    from edgenn.reporting import CSIM_OUTPUTS
    from edgenn.verification.bitexact import build_report

    from edgenn.exporters.softmax_policy import apply_policy, host_softmax, one_hot_argmax

    hgq = is_proxy_model(source.model)  # learned_precision: hls4ml's bit_exact flow (exporters/hgq_hls.py)
    model, policy_note = (source.model, None) if hgq else apply_policy(source.model, source.softmax)
    choice = None
    if spec.strategy == "auto":
        from edgenn.runners.strategy_auto import choose_for_export

        choice = choose_for_export(model, spec, source, out, hgq=hgq)
        spec = spec.model_copy(update={"strategy": choice.strategy})
    settings, unused = _settings_for(model, HlsSettings.from_spec(spec))
    from edgenn.architectures.extra_inputs import num_rows, take_rows

    n = min(num_rows(source.x), source.validation_samples)
    x, y = take_rows(source.x, n), (None if source.y is None else source.y[:n])
    notes = list(source.notes)
    if policy_note:
        notes.append(policy_note)
    if unused:
        notes.append(f"per-layer settings for {unused} unused: the softmax policy removed those layers")
    if n < 10000:
        notes.append(f"validated on {n} held-out samples (fewer than 10,000: a larger dataset gives a stronger check)")
    status = stage_status(progress)
    t0 = time.perf_counter()
    with atomic_dir(out) as staging:
        with status("hls4ml: converting and compiling the C simulation (g++)..."):
            if hgq:  # the firmware ends at the proxy's logits; its float softmax stays on the host
                notes.append("HGQ proxy: the firmware outputs the logits; the float softmax on top runs on the host")
                project = export_hgq_hls(source.model, staging / "hls", settings)
            else:
                project = export_hls(model, staging / "hls", settings, x_calibration=source.x_calibration,
                                     precision=_argmax_precision(model, source) if policy_note and
                                     source.softmax == "argmax" else None)
                notes.extend(project.adjusted)
        with status(f"C simulation of {n} samples, layer by layer..."):
            csim = simulate_hgq(project, source.model, x) if hgq else simulate_csim(project, model, x)
        if not hgq and project.precision.extra_outputs and y is not None:
            y = None  # the outputs side by side have no one predicted class to score against the labels
            notes.append("labels not scored: a model with several outputs has no single predicted class")
        output_label = None
        if policy_note and source.softmax == "argmax" and not hgq:  # the model's class, one-hot, from the exact logits
            csim.reference[csim.output_layer] = one_hot_argmax(csim.reference[csim.logits_layer])
            output_label = "argmax: one-hot class vs the one-hot argmax of the reference logits (exact)"
        # per-value outputs for the report's |Δ| histogram and firmware ROC (about 1 MB at 10k samples)
        np.savez_compressed(staging / CSIM_OUTPUTS,
                            logits_reference=csim.reference[csim.logits_layer],
                            logits_firmware=csim.firmware[csim.logits_layer],
                            output_reference=csim.reference[csim.output_layer],
                            output_firmware=csim.firmware[csim.output_layer],
                            **({} if y is None else {"labels": y}))
        layers = [(name, csim.reference[name], csim.firmware[name]) for name in csim.layer_names]
        bitexact = build_report(layers, logits_layer=csim.logits_layer, output_layer=csim.output_layer,
                                bit_exact_expected=csim.bit_exact_expected, labels=y, notes=csim.notes,
                                csim_seconds=csim.csim_seconds, reference_label=csim.reference_label,
                                output_label=output_label)
        if settings.strategy == "distributed_arithmetic":
            from edgenn.estimates.da4ml_cost import estimate_da

            resources = estimate_da(project.hls_model)  # the analytic model does not describe DA kernels
        else:
            resources = estimate(design_from_hls_model(project.hls_model))
        target = settings.ii_target_cycles
        if target is not None and resources.total.ii_cycles.value > target:
            from edgenn.errors import UnsupportedModelError

            raise UnsupportedModelError(f"export.fpga.ii_target {target}: the exported design's estimated II is "
                                        f"{resources.total.ii_cycles.value:g} cycles.",
                                        fix="raise ii_target, or set the slow layer's parallelization_factor in "
                                            "export.fpga.layers.")
        scores = csim.firmware[csim.output_layer]
        if policy_note and source.softmax == "drop":  # per-class AUCs stay on probabilities: softmax on the host
            scores = host_softmax(scores)
        figures = fpga_figures(source, bitexact, resources, scores, y,
                                csim.reference[csim.output_layer], csim.x_quantized, staging)
        if policy_note:
            fw_class = csim.firmware[csim.output_layer].argmax(axis=1)
            figures["softmax_argmax_agreement"] = fig(
                float(np.mean(fw_class == csim.reference[csim.logits_layer].argmax(axis=1))), "fraction", "csim",
                f"firmware class (softmax policy {source.softmax}) vs the class of the reference logits")
        if source.float_outputs is not None:
            figures.update(_ptq_figures(source, csim.firmware[csim.output_layer], y))
        if csim.float_reference is not None and source.anomaly is None:
            figures.update(float_agreement_figures(csim, y))
        notes.append(f"bit-exactness reference: {csim.reference_label}; float32 Keras (whose wide sums and "
                     "quantizer casts can round) is compared apart, in the float_agreement.* figures")
        from edgenn.exporters.software_model import software_layers

        if software_layers(source.model):
            notes.append(f"analytic estimates count layer(s) {', '.join(software_layers(source.model))} as 0 "
                         "LUT/FF/DSP and 0 cycles (the estimator models Dense/conv/activation layers only): the lut, ff, dsp and "
                         "latency figures cover the rest of the network; the GarNet cost needs HLS synthesis")
        if hgq and settings.strategy != "distributed_arithmetic":
            notes.append("HGQ design: the analytic estimate charges every non-zero weight a full-width adder and "
                         "over-states learned-precision designs several-fold; the distributed_arithmetic strategy's "
                         "da4ml figure is the comparable one")
        if choice is not None:
            notes.append(f"strategy auto -> {choice.strategy}: {choice.reason} (budget: {choice.budget})")
        notes.extend(bitexact.notes)
        notes.extend(resources.assumptions)
        if not bitexact.bit_exact and bitexact.first_diverging_layer:
            notes.append(f"firmware and model first diverge at layer '{bitexact.first_diverging_layer}'")
        if source.anomaly is not None and source.anomaly.score == "reconstruction":
            notes.append(HOST_SCORE_NOTE)
        timings = {"convert": project.convert_seconds, "compile": project.compile_seconds, "csim": csim.csim_seconds}
        report = ExportReport(
            "fpga", source.name, figures, bitexact, tuple(notes), source.lineage, source.task,
            {**section_records(settings=settings.to_dict(), resources=resources.to_dict(),
                               precision=project.precision.to_dict(), project=project.to_dict()),
             "reference_metrics": source.reference_metrics, "timings_s": timings,
             **({"strategy_choice": choice.to_dict()} if choice is not None else {})})
        report.save(staging)
        atomic_write_text(staging / REPORT_MD, fpga_markdown(report, resources.to_markdown()))
        write_manifest(staging, stage="export-fpga", recipe=source.recipe, inputs=source.lineage,
                       metrics=report.figures_dict(), timings_s={**timings, "total": time.perf_counter() - t0})
    return ExportResult("fpga", out, report)


def _settings_for(model, settings):
    """Settings without the per-layer entries of layers the softmax policy removed (names checked by the runner)."""
    from dataclasses import replace

    names = {layer.name for layer in model.layers}
    unused = sorted(set(settings.layers) - names)
    if not unused:
        return settings, unused
    return replace(settings, layers={k: v for k, v in settings.layers.items() if k in names}), unused


def _argmax_precision(model, source: ExportSource):
    """Derived precisions with the softmax head switched to hls4ml's argmax implementation."""
    from dataclasses import replace

    from edgenn.exporters.precision import derive_precisions

    precision = derive_precisions(model, x_calibration=source.x_calibration)
    head = precision.layer(precision.output_layer)
    return precision.replace_layer(replace(head, implementation="argmax"))


def _ptq_figures(source: ExportSource, firmware_out: np.ndarray, y) -> dict:
    """--ptq: the cost of quantizing, firmware vs the float model the user gave (before quantization)."""
    from edgenn.verification.bitexact import accuracy

    fl = source.float_outputs[: len(firmware_out)]
    note = "firmware C simulation vs the float model before --ptq, same inputs"
    figs = {"ptq.float_argmax_agreement": fig(float(np.mean(firmware_out.argmax(1) == fl.argmax(1))), "fraction",
                                              "csim", note + ", predicted class")}
    if y is not None:
        fw_acc, fl_acc = accuracy(firmware_out, y), accuracy(fl, y)
        figs["ptq.float_accuracy"] = fig(fl_acc, "fraction", "software", "float model before --ptq")
        figs["ptq.accuracy_cost"] = fig(fl_acc - fw_acc, "fraction", "csim", "float model accuracy minus firmware "
                                                                              "accuracy (the cost of quantizing)")
    return figs
