"""The FPGA export's figures and report.md, shared by the Keras and the QONNX routes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgenn.runners.export import ExportSource
from edgenn.records import ExportReport
from edgenn.runners.figures import anomaly_figures, anomaly_score, estimate_figures, fig


def fpga_figures(source: ExportSource, bitexact, resources, firmware_out: np.ndarray, y,
                  reference_out: np.ndarray | None = None, x: np.ndarray | None = None,
                  staging: Path | None = None) -> dict:
    from edgenn.training.metrics import per_class_auc

    what = "anomaly-score" if source.anomaly is not None else "logit"
    figs = {"bit_exact_fraction": fig(bitexact.exact_fraction, "fraction", "csim",
                                       f"{bitexact.num_values} {what} values on {bitexact.num_samples} samples")}
    if source.anomaly is not None:
        a = source.anomaly
        fw = anomaly_score(a.score, firmware_out, x)
        figs["score_max_abs_diff"] = fig(bitexact.max_abs_diff, "absolute", "csim",
                                          "C simulation vs QKeras, network output")
        if reference_out is not None:
            ref = anomaly_score(a.score, reference_out, x)
            figs["score_exact_fraction"] = fig(float(np.mean(fw == ref)), "fraction", "csim",
                                                f"anomaly scores equal on {len(fw)} samples")
        figs.update(anomaly_figures(a, fw, "csim", "firmware C simulation score", save_to=staging))
    if bitexact.firmware_accuracy is not None:
        figs["accuracy"] = fig(bitexact.firmware_accuracy, "fraction", "csim", "firmware C simulation")
        figs["accuracy_software"] = fig(bitexact.reference_accuracy, "fraction", "software",
                                         "quantized Keras model on the same inputs")
        float_metrics = source.reference_metrics.get("float")
        if float_metrics and "accuracy" in float_metrics:
            figs["accuracy_float"] = fig(float_metrics["accuracy"], "fraction", "software", "float model, test split")
            figs["accuracy_drop"] = fig(float_metrics["accuracy"] - bitexact.firmware_accuracy, "fraction", "csim",
                                         "float model accuracy minus firmware accuracy")
        if source.class_names and firmware_out.shape[1] == len(source.class_names):
            for cls, auc in per_class_auc(firmware_out, y, source.class_names).items():
                figs[f"auc.{cls}"] = fig(auc, "fraction", "csim", "firmware C simulation, one vs rest")
    figs.update(estimate_figures(resources.total.figures()))  # keeps `bound`: a total over unmodelled layers is one
    return figs


def float_agreement_figures(csim, y) -> dict:
    """C simulation vs float32 Keras on the same inputs: a separate figure, never the bit-exactness claim."""
    from edgenn.verification.bitexact import accuracy

    note = "C simulation vs float32 Keras on the same inputs"
    fw_logits, fl_logits = csim.firmware[csim.logits_layer], csim.float_reference[csim.logits_layer]
    fw_out, fl_out = csim.firmware[csim.output_layer], csim.float_reference[csim.output_layer]
    figs = {"float_agreement.logits_exact_fraction": fig(float(np.mean(fw_logits == fl_logits)), "fraction", "csim",
                                                          note + ", logits equal"),
            "float_agreement.logits_max_abs_diff": fig(float(np.max(np.abs(fw_logits - fl_logits))), "absolute",
                                                       "csim", note + ", logits"),
            "float_agreement.output_max_abs_diff": fig(float(np.max(np.abs(fw_out - fl_out))), "absolute", "csim",
                                                       note + ", probabilities"),
            "float_agreement.argmax_agreement": fig(float(np.mean(fw_out.argmax(1) == fl_out.argmax(1))), "fraction",
                                                     "csim", note + ", predicted class")}
    if y is not None:
        fw_acc, fl_acc = accuracy(fw_out, y), accuracy(fl_out, y)
        figs["float_agreement.accuracy_float_model"] = fig(fl_acc, "fraction", "software",
                                                            "float32 Keras model, same inputs")
        figs["float_agreement.accuracy_difference"] = fig(fw_acc - fl_acc, "fraction", "csim",
                                                           "firmware accuracy minus float Keras model accuracy")
    return figs


def fpga_markdown(report: ExportReport, resources_md: str) -> str:
    from edgenn.tasks.registry import get_task

    b, s = report.bitexact, report.settings
    has_classes = get_task(report.task or "classify").has_classes
    lines = [f"# FPGA export: {report.name}", "",
             f"Part {s.part}, target clock {s.clock_period_ns} ns, {s.io_type}, strategy {s.strategy}, "
             f"reuse factor {s.reuse_factor}, backend {s.backend}. HLS project: `hls/`.", "",
             "## Bit-exactness (C simulation vs the reference)", "",
             f"- reference: {b.reference_kind}",
             f"- {b.claim}",
             f"- {b.num_samples} samples, {b.num_values} "
             f"{'logit' if has_classes else 'anomaly-score'} values: "
             f"**{b.exact_fraction:.3%} exact**, max |Δ| = {b.max_abs_diff:.3g}"
             + (f", argmax agreement {b.argmax_agreement:.4%}" if has_classes else "")]
    for o in b.outputs[1:]:
        lines.append(f"- {o.name}: {o.label}: max |Δ| = {o.max_abs_diff:.3g}, "
                     f"argmax agreement {o.argmax_agreement:.4%}")
    if b.first_diverging_layer:
        lines.append(f"- first diverging layer: `{b.first_diverging_layer}`")
    lines += ["", "## Figures", "", "| figure | value | unit | method | note |", "|---|---:|---|---|---|"]
    for name, f in report.figures.items():
        v = f.value
        lines.append(f"| {name} | {v:.4g} | {f.unit} | {f.method} | {f.note} |"
                     if isinstance(v, float) else f"| {name} | {v} | {f.unit} | {f.method} | {f.note} |")
    lines += ["", f"## Resources and latency per layer (method: {report.resources.method} estimate, "
              "not synthesis)", "", resources_md]
    if report.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report.notes]
    return "\n".join(lines) + "\n"
