"""The export stage: a model (edgenn run or user file) -> firmware/<name>/<target>/ with report.json and report.md.

It combines three stages' pieces (exporters, estimates, verification), so it lives here and not in ``exporters``:
a stage never imports a later one.

Validation data: for an edgenn run, the held-out test split of the run's dataset with the run's own standardiser (the
same inputs its metrics were computed on); for a user model, the ``x``/``y`` arrays of the ``--data`` file, used as
given. Everything is written to a staging directory and renamed into place once ``manifest.json`` exists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.io import atomic_dir, atomic_write_json, atomic_write_text
from edgenn.manifest import write_manifest

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
# Why the autoencoder's score is not computed in firmware (issue 4): the decoder doubles the network, and the error
# adds 57 subtractions, 57 squares and a 57-input sum for one number; a distilled student regresses the same score
# with a network a fraction of the encoder's size.
HOST_SCORE_NOTE = ("autoencoder: the anomaly score (mean squared reconstruction error over the 57 inputs) is "
                   "computed on the host from the network's reconstruction: in firmware it would need the whole "
                   "decoder plus 57 subtract/square/add stages for one number. The firmware route for this score is "
                   "the distilled ae_student (models/ae_student.yml).")


@dataclass(frozen=True)
class ExportRequest:
    source: Path
    target: str = "fpga"
    out: Path | None = None
    data: Path | None = None
    fpga_overrides: dict[str, Any] = field(default_factory=dict)
    validation_samples: int | None = None
    trust_model: bool = False


@dataclass(frozen=True)
class ExportResult:
    target: str
    directory: Path
    report: dict


@dataclass(frozen=True)
class ExportSource:
    """What is being exported, resolved once: the model, validation arrays and the lineage's metrics."""

    name: str
    model: Any
    x: np.ndarray
    y: np.ndarray | None
    class_names: tuple[str, ...] | None
    fpga: dict[str, Any]
    validation_samples: int
    lineage: dict[str, str]
    reference_metrics: dict[str, Any]
    recipe: dict | None
    x_calibration: np.ndarray | None = None  # training inputs: only their range is used (float models)
    notes: tuple[str, ...] = ()
    anomaly: AnomalyEval | None = None  # set for anomaly families: the output is a score, not class probabilities


@dataclass(frozen=True)
class AnomalyEval:
    """How to judge an anomaly score: the first ``num_test`` rows of ``ExportSource.x`` are held-out events."""

    family: str
    num_test: int
    process: np.ndarray  # process code per test row
    process_names: tuple[str, ...]
    background: np.ndarray  # boolean mask over the test rows: the SM background mixture
    signals: tuple[str, ...]
    fpr: float


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    if not path.is_file():
        raise MissingArtifactError(f"{path}: validation data file not found.", fix="pass --data with an existing .npz.")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if "x" not in npz:
                raise InvalidInputError(f"{path}: no array named 'x' (found {sorted(npz.files)}).",
                                        fix="save it with np.savez(path, x=inputs, y=labels).")
            x = np.asarray(npz["x"], dtype=np.float32)
            y = np.asarray(npz["y"]).astype(np.int64) if "y" in npz else None
    except (ValueError, OSError) as exc:
        raise InvalidInputError(f"{path}: not a readable .npz file ({exc}).",
                                fix="save it with np.savez(path, x=inputs, y=labels).") from None
    if len(x) == 0:
        raise InvalidInputError(f"{path}: 'x' is empty.", fix="provide at least one validation sample.")
    if not np.isfinite(x).all():
        bad = int((~np.isfinite(x.reshape(len(x), -1))).any(axis=1).sum())
        raise InvalidInputError(f"{path}: {bad} row(s) of 'x' contain NaN or Inf.", fix="remove or repair them.")
    if y is not None and len(y) != len(x):
        raise InvalidInputError(f"{path}: 'x' has {len(x)} rows but 'y' has {len(y)}.", fix="give one label per row.")
    return x, y


def resolve_source(request: ExportRequest) -> ExportSource:
    src = request.source
    if src.suffix in (".h5", ".keras"):
        from edgenn.modelio import load_model

        if request.data is None:
            raise InvalidInputError(f"{src}: a user model needs validation data to check the export against.",
                                    fix="pass --data val.npz (arrays x, and optionally y).")
        model = load_model(src, trust_model=request.trust_model)
        x, y = _load_npz(request.data)
        from edgenn.architectures.extra_inputs import primary_input

        expected = tuple(model.get_layer(primary_input(model)).output.shape[1:])  # extra inputs come from x
        if tuple(x.shape[1:]) != expected:
            raise InvalidInputError(f"{request.data}: 'x' rows have shape {tuple(x.shape[1:])}, the model expects "
                                    f"{expected}.", fix="pass inputs prepared exactly as the model takes them.")
        return ExportSource(src.stem, model, x, y, None, {}, request.validation_samples or 10000,
                            {"model": str(src), "data": str(request.data)}, {}, None, x_calibration=x,
                            notes=("user model: the firmware input type is calibrated on the --data inputs",))

    from edgenn.artifacts import ModelArtifact, resolve_model_dir
    from edgenn.training.stage import prepared_data

    artifact = ModelArtifact.load(resolve_model_dir(src))
    reference = {}
    float_dir = artifact.directory.parent / "train"
    if (float_dir / "metrics.json").is_file():
        from edgenn.io import read_json

        reference["float"] = read_json(float_dir / "metrics.json")
    reference[artifact.stage] = artifact.metrics
    if artifact.recipe.data.kind == "events":
        return _event_source(artifact, request, reference)
    data = prepared_data(artifact.recipe, standardizer=artifact.standardizer())
    return ExportSource(artifact.recipe.name, artifact.load_model(), data.test.x, data.test.y, data.class_names,
                        artifact.recipe.export.fpga.model_dump(),
                        request.validation_samples or artifact.recipe.export.validation_samples,
                        {"model_dir": str(artifact.directory)}, reference,
                        artifact.recipe.model_dump(mode="json"), x_calibration=data.train.x)


def _event_source(artifact, request: ExportRequest, reference: dict) -> ExportSource:
    """An anomaly run: held-out test events (background mixture + signals), topped up with random events.

    The test split of a small dataset has far fewer than the 10,000 rows a bit-exactness claim needs, so the rows
    after the test events are drawn uniformly per feature between the training minimum and maximum (seeded from the
    recipe): they exercise the whole input range of the datapath, while AUC and efficiency use the real events only.
    """
    from edgenn.seeding import stage_seed
    from edgenn.training.anomaly import prepare_events

    recipe = artifact.recipe
    data = prepare_events(recipe, standardizer=artifact.standardizer())
    n = request.validation_samples or recipe.export.validation_samples
    x_test, process, background = data.x_test, data.test_process, data.test_background
    if len(x_test) > n:  # the test rows are ordered background first: subsample, never truncate
        keep = np.sort(np.random.default_rng(stage_seed(recipe.seed, "export-subsample")).choice(
            len(x_test), n, replace=False))
        x_test, process, background = x_test[keep], process[keep], background[keep]
    x = x_test
    notes = []
    if len(x) < n:
        rng = np.random.default_rng(stage_seed(recipe.seed, "export-random-events"))
        lo, hi = data.x_train.min(axis=0), data.x_train.max(axis=0)
        extra = rng.uniform(lo, hi, size=(n - len(x), x.shape[1])).astype(np.float32)
        notes.append(f"validation inputs: {len(x)} held-out test events + {len(extra)} random events uniform per "
                     "feature in the training range (AUC and efficiency from the test events only)")
        x = np.concatenate([x, extra])
    else:
        notes.append(f"validation inputs: {n} held-out test events")
    anomaly = AnomalyEval(recipe.model.family, len(x_test), process, data.process_names, background, data.signals,
                          recipe.anomaly.fpr if recipe.anomaly else 1e-5)
    return ExportSource(recipe.name, artifact.load_model(), x, None, None, recipe.export.fpga.model_dump(), n,
                        {"model_dir": str(artifact.directory)}, reference, recipe.model_dump(mode="json"),
                        x_calibration=data.x_train, notes=tuple(notes), anomaly=anomaly)


def run_export(request: ExportRequest, *, progress: bool = True) -> ExportResult:
    if request.target in ("fpga", "rtl"):
        from edgenn.exporters.hls import check_compiler

        check_compiler()  # before any work: the C simulation cannot be built without it
    source = resolve_source(request)
    out = request.out or Path("firmware") / source.name / request.target
    if request.target == "fpga":
        return _export_fpga(source, out, request.fpga_overrides, progress=progress)
    if request.target == "onnx":
        return _export_onnx(source, out)
    if request.target == "rtl":
        from edgenn.runners.rtl import export_rtl_target

        return export_rtl_target(source, out, request.fpga_overrides, progress=progress)
    raise InvalidInputError(f"unknown export target {request.target!r}.", fix="use 'fpga', 'rtl' or 'onnx'.")


def _export_onnx(source: ExportSource, out: Path) -> ExportResult:
    from edgenn import __version__
    from edgenn.exporters.onnx_export import export_onnx
    from edgenn.manifest import content_hash

    t0 = time.perf_counter()
    x = source.x[: min(len(source.x), source.validation_samples)]
    metadata = {"edgenn_version": __version__, "model_name": source.name}
    if source.recipe is not None:
        metadata["recipe_hash"] = content_hash(source.recipe)
    with atomic_dir(out) as staging:
        onnx_report = export_onnx(source.model, staging / "model.onnx", x_check=x, metadata=metadata)
        figures = {
            "onnx_max_abs_diff": {"value": onnx_report.max_abs_diff, "unit": "absolute", "method": "onnxruntime"},
            "onnx_argmax_agreement": {"value": onnx_report.argmax_agreement, "unit": "fraction",
                                      "method": "onnxruntime"},
            "ort_latency_us_batch1": {"value": onnx_report.ort_latency_us_batch1[0], "unit": "us",
                                      "method": "onnxruntime"},
            "keras_latency_us_batch1": {"value": onnx_report.keras_latency_us_batch1[0], "unit": "us",
                                        "method": "software"},
        }
        if source.anomaly is not None:  # the host-side score (the autoencoder's route) from onnxruntime itself
            figures.update(_anomaly_figures(source.anomaly, _onnx_scores(staging / "model.onnx", source, x),
                                            "onnxruntime", "onnxruntime score on the host"))
        report = {"schema_version": 1, "target": "onnx", "name": source.name, "figures": figures,
                  "onnx": onnx_report.to_dict(), "lineage": source.lineage,
                  "notes": list(source.notes) + ([] if onnx_report.passed else
                  [f"onnxruntime differs from Keras by {onnx_report.max_abs_diff:.3g} > {onnx_report.tolerance:g}"])
                  + ([HOST_SCORE_NOTE] if source.anomaly and source.anomaly.family == "autoencoder" else [])}
        atomic_write_json(staging / REPORT_JSON, report)
        atomic_write_text(staging / REPORT_MD, _onnx_markdown(report))
        write_manifest(staging, stage="export-onnx", recipe=source.recipe, inputs=source.lineage,
                       metrics=figures, timings_s={"total": time.perf_counter() - t0})
    return ExportResult("onnx", out, report)


def _onnx_scores(path: Path, source: ExportSource, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rows = x[: source.anomaly.num_test].astype(np.float32)
    out = session.run(None, {session.get_inputs()[0].name: rows})[0]
    return anomaly_score(source.anomaly.family, out, rows)


def _onnx_markdown(report: dict) -> str:
    o = report["onnx"]
    lines = [f"# ONNX export: {report['name']}", "",
             f"- checked with onnxruntime on {o['num_samples']} samples: max |Δ| = {o['max_abs_diff']:.3g} "
             f"(tolerance {o['tolerance']:g}), argmax agreement {o['argmax_agreement']:.4%}: "
             f"**{'pass' if o['passed'] else 'FAIL'}**",
             f"- quantized graph: {o['is_quantized_graph']}", "",
             "| batch-1 latency | median (µs) | p90 (µs) |", "|---|---|---|"]
    for key, label in (("ort_latency_us_batch1", "onnxruntime session.run"),
                       ("keras_call_latency_us_batch1", "Keras model(x)"),
                       ("keras_latency_us_batch1", "Keras model.predict")):
        if key in o:
            med, p90 = o[key]
            lines.append(f"| {label} | {med:.1f} | {p90:.1f} |")
    return "\n".join(lines) + "\n"


def _fig(value, unit: str, method: str, note: str = "") -> dict:
    return {"value": value, "unit": unit, "method": method, **({"note": note} if note else {})}


def _stage_status(progress: bool):
    from contextlib import nullcontext

    if not progress:
        return lambda text: nullcontext()
    from rich.console import Console

    console = Console(stderr=True)
    return lambda text: console.status(text)


def _export_fpga(source: ExportSource, out: Path, overrides: dict, *, progress: bool) -> ExportResult:
    from edgenn.estimates import design_from_hls_model, estimate
    from edgenn.exporters.csim import simulate_csim
    from edgenn.exporters.hls import HlsSettings, export_hls
    from edgenn.reporting import CSIM_OUTPUTS
    from edgenn.verification.bitexact import build_report

    settings = HlsSettings(**{**source.fpga, **overrides})
    n = min(len(source.x), source.validation_samples)
    x, y = source.x[:n], (None if source.y is None else source.y[:n])
    notes = list(source.notes)
    if n < 10000:
        notes.append(f"validated on {n} held-out samples (fewer than 10,000: a larger dataset gives a stronger check)")
    status = _stage_status(progress)
    t0 = time.perf_counter()
    with atomic_dir(out) as staging:
        with status("hls4ml: converting and compiling the C simulation (g++)..."):
            project = export_hls(source.model, staging / "hls", settings, x_calibration=source.x_calibration)
        with status(f"C simulation of {n} samples, layer by layer..."):
            csim = simulate_csim(project, source.model, x)
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
                                csim_seconds=csim.csim_seconds, reference_label=csim.reference_label)
        if settings.strategy == "distributed_arithmetic":
            from edgenn.estimates.da4ml_cost import estimate_da

            resources = estimate_da(project.hls_model)  # the analytic model does not describe DA kernels
        else:
            resources = estimate(design_from_hls_model(project.hls_model))
        figures = _fpga_figures(source, bitexact, resources, csim.firmware[csim.output_layer], y,
                                csim.reference[csim.output_layer], csim.x_quantized)
        if csim.float_reference is not None:  # table-based layers: the float model is compared apart from the claim
            figures.update(_float_agreement_figures(csim, y))
            notes.append(f"bit-exactness reference: {csim.reference_label}; the float Keras model cannot match the "
                         "lookup tables bit for bit and is compared in the float_agreement.* figures")
            from edgenn.exporters.software_model import software_layers

            notes.append(f"analytic estimates count layer(s) {', '.join(software_layers(source.model))} as 0 "
                         "LUT/FF/DSP and 0 cycles (the estimator models Dense/conv/activation layers only): the lut, ff, dsp and "
                         "latency figures cover the rest of the network; the GarNet cost needs HLS synthesis")
        notes.extend(bitexact.notes)
        notes.extend(resources.assumptions)
        if not bitexact.bit_exact and bitexact.first_diverging_layer:
            notes.append(f"firmware and model first diverge at layer '{bitexact.first_diverging_layer}'")
        if source.anomaly is not None and source.anomaly.family == "autoencoder":
            notes.append(HOST_SCORE_NOTE)
        report = {
            "schema_version": 1, "target": "fpga", "name": source.name, "settings": settings.to_dict(),
            "task": "anomaly" if source.anomaly is not None else "classify",
            "figures": figures, "bitexact": bitexact.to_dict(), "resources": resources.to_dict(),
            "precision": project.precision.to_dict(), "project": project.to_dict(), "lineage": source.lineage,
            "reference_metrics": source.reference_metrics, "notes": notes,
            "timings_s": {"convert": project.convert_seconds, "compile": project.compile_seconds,
                          "csim": csim.csim_seconds},
        }
        atomic_write_json(staging / REPORT_JSON, report)
        atomic_write_text(staging / REPORT_MD, _fpga_markdown(report, resources.to_markdown()))
        write_manifest(staging, stage="export-fpga", recipe=source.recipe, inputs=source.lineage,
                       metrics=figures, timings_s={**report["timings_s"], "total": time.perf_counter() - t0})
    return ExportResult("fpga", out, report)


def anomaly_score(family: str, output: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The anomaly score from a network output: the autoencoder's reconstruction error is computed here, on the host
    (see models/ae.yml); the VAE and the student output their score themselves."""
    output = np.asarray(output, dtype=np.float64).reshape(len(output), -1)
    if family == "autoencoder":
        return np.mean((output - np.asarray(x, np.float64).reshape(len(x), -1)) ** 2, axis=1)
    return output[:, 0]


def _anomaly_figures(a: AnomalyEval, score: np.ndarray, method: str, note: str) -> dict:
    """AUC and efficiency at the recipe's background rate per signal, from ``score`` of the test rows."""
    from edgenn.training.anomaly_metrics import anomaly_metrics

    m = anomaly_metrics(score[: a.num_test], a.process, a.process_names, a.background, a.signals, fpr=a.fpr)
    resolution = "" if m["fpr_resolved"] else (f"; NOT resolved: {m['num_background']} background events resolve "
                                               f"FPR >= {m['min_resolvable_fpr']:.2g}")
    figs = {}
    for name in a.signals:
        figs[f"auc.{name}"] = _fig(m["auc"][name], "fraction", method, f"{note}, vs the SM background mixture")
        figs[f"efficiency.{name}"] = _fig(m["efficiency"][name], "fraction", method,
                                          f"{note}, signal efficiency at background FPR {a.fpr:g}{resolution}")
    return figs


def _fpga_figures(source: ExportSource, bitexact, resources, firmware_out: np.ndarray, y,
                  reference_out: np.ndarray | None = None, x: np.ndarray | None = None) -> dict:
    from edgenn.training.metrics import per_class_auc

    what = "anomaly-score" if source.anomaly is not None else "logit"
    figs = {"bit_exact_fraction": _fig(bitexact.exact_fraction, "fraction", "csim",
                                       f"{bitexact.num_values} {what} values on {bitexact.num_samples} samples")}
    if source.anomaly is not None:
        a = source.anomaly
        fw = anomaly_score(a.family, firmware_out, x)
        figs["score_max_abs_diff"] = _fig(bitexact.max_abs_diff, "absolute", "csim",
                                          "C simulation vs QKeras, network output")
        if reference_out is not None:
            ref = anomaly_score(a.family, reference_out, x)
            figs["score_exact_fraction"] = _fig(float(np.mean(fw == ref)), "fraction", "csim",
                                                f"anomaly scores equal on {len(fw)} samples")
        figs.update(_anomaly_figures(a, fw, "csim", "firmware C simulation score"))
    if bitexact.firmware_accuracy is not None:
        figs["accuracy"] = _fig(bitexact.firmware_accuracy, "fraction", "csim", "firmware C simulation")
        figs["accuracy_software"] = _fig(bitexact.reference_accuracy, "fraction", "software",
                                         "quantized Keras model on the same inputs")
        float_metrics = source.reference_metrics.get("float")
        if float_metrics and "accuracy" in float_metrics:
            figs["accuracy_float"] = _fig(float_metrics["accuracy"], "fraction", "software", "float model, test split")
            figs["accuracy_drop"] = _fig(float_metrics["accuracy"] - bitexact.firmware_accuracy, "fraction", "csim",
                                         "float model accuracy minus firmware accuracy")
        if source.class_names and firmware_out.shape[1] == len(source.class_names):
            for cls, auc in per_class_auc(firmware_out, y, source.class_names).items():
                figs[f"auc.{cls}"] = _fig(auc, "fraction", "csim", "firmware C simulation, one vs rest")
    for key, fig in resources.total.figures().items():
        figs[key] = _fig(fig.value, fig.unit, fig.method, fig.note)
    return figs


def _float_agreement_figures(csim, y) -> dict:
    """C simulation vs the float Keras model (whose table-based layers the firmware only approximates)."""
    from edgenn.verification.bitexact import accuracy

    note = "C simulation vs the float Keras model on the same inputs"
    fw_logits, fl_logits = csim.firmware[csim.logits_layer], csim.float_reference[csim.logits_layer]
    fw_out, fl_out = csim.firmware[csim.output_layer], csim.float_reference[csim.output_layer]
    figs = {"float_agreement.logits_max_abs_diff": _fig(float(np.max(np.abs(fw_logits - fl_logits))), "absolute",
                                                       "csim", note + ", logits"),
            "float_agreement.output_max_abs_diff": _fig(float(np.max(np.abs(fw_out - fl_out))), "absolute", "csim",
                                                       note + ", probabilities"),
            "float_agreement.argmax_agreement": _fig(float(np.mean(fw_out.argmax(1) == fl_out.argmax(1))), "fraction",
                                                     "csim", note + ", predicted class")}
    if y is not None:
        fw_acc, fl_acc = accuracy(fw_out, y), accuracy(fl_out, y)
        figs["float_agreement.accuracy_float_model"] = _fig(fl_acc, "fraction", "software",
                                                            "float Keras model (float GarNet layer), same inputs")
        figs["float_agreement.accuracy_difference"] = _fig(fw_acc - fl_acc, "fraction", "csim",
                                                           "firmware accuracy minus float Keras model accuracy")
    return figs


def _fpga_markdown(report: dict, resources_md: str) -> str:
    b, s = report["bitexact"], report["settings"]
    lines = [f"# FPGA export: {report['name']}", "",
             f"Part {s['part']}, target clock {s['clock_period_ns']} ns, {s['io_type']}, strategy {s['strategy']}, "
             f"reuse factor {s['reuse_factor']}, backend {s['backend']}. HLS project: `hls/`.", "",
             "## Bit-exactness (C simulation vs quantized model)", "",
             f"- {b['claim']}",
             f"- {b['num_samples']} samples, {b['num_values']} "
             f"{'anomaly-score' if report.get('task') == 'anomaly' else 'logit'} values: "
             f"**{b['exact_fraction']:.3%} exact**, max |Δ| = {b['max_abs_diff']:.3g}"
             + ("" if report.get("task") == "anomaly" else f", argmax agreement {b['argmax_agreement']:.4%}")]
    for o in b["outputs"][1:]:
        lines.append(f"- {o['name']}: {o['label']}: max |Δ| = {o['max_abs_diff']:.3g}, "
                     f"argmax agreement {o['argmax_agreement']:.4%}")
    if b.get("first_diverging_layer"):
        lines.append(f"- first diverging layer: `{b['first_diverging_layer']}`")
    lines += ["", "## Figures", "", "| figure | value | unit | method | note |", "|---|---:|---|---|---|"]
    for name, f in report["figures"].items():
        v = f["value"]
        lines.append(f"| {name} | {v:.4g} | {f['unit']} | {f['method']} | {f.get('note', '')} |"
                     if isinstance(v, float) else f"| {name} | {v} | {f['unit']} | {f['method']} | {f.get('note', '')} |")
    lines += ["", f"## Resources and latency per layer (method: {report['resources']['method']} estimate, not synthesis)", "", resources_md]
    if report["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"
