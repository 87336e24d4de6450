"""``edgenn export --target rtl``: da4ml Verilog, da4ml estimate, and a bit-exact check of the RTL in Verilator.

Writes ``firmware/<name>/rtl/`` (staging dir renamed into place once ``manifest.json`` exists) with ``rtl/`` (the
da4ml project), ``report.json`` (figures with methods: ``da4ml`` estimates, ``verilator``/``da4ml`` bit-exactness)
and ``report.md``. The check compares, on the same host-quantized inputs, with the exact reference's logits
(``edgenn.reference``): float32 Keras (a separate figure), da4ml's numpy
function of the same types, da4ml's interpreter of the traced graph, the Verilator simulation of the Verilog and,
unless the ``csim_check`` setting is off (``--no-csim-check``), the hls4ml C simulation (Latency strategy). Every
comparison is exact equality.

Latency and II (``latency_cycles``, ``latency_ns``, ``ii_cycles``) come from a cycle-accurate Verilator run
(``exporters.cycle_timing``, method ``verilator``: the first ``TIMING_ROWS`` rows back to back, one per cycle, each
output checked against the reference) once the simulation is bit-exact; da4ml's declared figures stay beside them as
``da4ml_estimate.*``. Without a bit-exact Verilator run the da4ml figures are the only ones (method ``da4ml``).

Inputs: the validation inputs, topped up to ``min_samples`` with uniform draws over the input type's whole range (a
harder test: they reach every saturation edge); the report says how many of each were used.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.exporters.rtl import RtlSettings
from edgenn.io import atomic_dir, atomic_write_text
from edgenn.manifest import write_manifest
from edgenn.records import ExportReport
from edgenn.records.export_sections import section_records
from edgenn.records.figures import figure, figures_from_dicts
from edgenn.runners.targets import export_target

MIN_SAMPLES = 10_000
TIMING_ROWS = 1_000
TIMED = ("latency_cycles", "latency_ns", "ii_cycles")
USER_MODEL_SEED = 20240605  # a user's own model has no recipe seed; its top-up draws stay the same run to run


def top_up_seed(recipe: dict | None) -> int:
    """The seed of the random top-up inputs: the recipe's (as every other stage's draws), else a fixed one."""
    from edgenn.seeding import stage_seed

    if recipe and recipe.get("seed") is not None:
        return stage_seed(int(recipe["seed"]), "export-rtl-top-up")
    return USER_MODEL_SEED


def _inputs(source_x: np.ndarray, input_type, n: int, min_samples: int, seed: int) -> tuple[np.ndarray, int, int]:
    x = np.asarray(source_x[:n], np.float64).reshape(min(n, len(source_x)), -1)
    extra = max(0, min_samples - len(x))
    if extra:
        rng = np.random.default_rng(seed)
        x = np.concatenate([x, rng.uniform(input_type.min, input_type.max + input_type.lsb, (extra, x.shape[1]))])
    return input_type.quantize(x).reshape(len(x), *np.shape(source_x)[1:]), len(x) - extra, extra  # model-shaped


def _classifier_figures(source: Any, logits: np.ndarray, method: str, final: str) -> dict:
    """The firmware's accuracy and one-vs-rest AUCs on the labelled validation rows, as the fpga target reports them
    (the uniform top-up draws have no labels). The RTL computes the logits only, so the AUCs are taken on a softmax
    of the firmware's exact logits computed on the host, the same figure the fpga target gives under softmax: drop."""
    if source.y is None or source.anomaly is not None or len(logits) == 0 or np.ndim(logits) != 2 \
            or np.shape(logits)[1] < 2:
        return {}
    from edgenn.verification.bitexact import accuracy

    y = np.asarray(source.y[:len(logits)])
    figs = {"accuracy": figure(accuracy(logits, y), "fraction", method,
                               f"{final} logits' argmax on {len(y)} labelled validation rows")}
    names = source.class_names
    if names and np.shape(logits)[1] == len(names):
        from edgenn.exporters.softmax_policy import host_softmax
        from edgenn.training.metrics import per_class_auc

        for cls, auc in per_class_auc(host_softmax(np.asarray(logits, np.float64)), y, names).items():
            figs[f"auc.{cls}"] = figure(auc, "fraction", method, f"{final} logits, softmax on the host, one vs rest")
    return figs


@export_target("rtl", help="da4ml Verilog + Verilator simulation", needs_compiler=True, settings=RtlSettings)
def export_rtl_target(source: Any, out: Path, settings: RtlSettings, *, progress: bool = True, simulate: bool = True,
                      min_samples: int = MIN_SAMPLES) -> Any:
    """Run the RTL export for an ``ExportSource`` (see ``runners.export``) into ``out``; returns an ExportResult."""
    from edgenn.exporters.rtl import export_rtl
    from edgenn.runners.export import REPORT_MD, ExportResult
    from edgenn.runners.progress import stage_status

    if isinstance(source.x, list) or len(source.model.outputs) != 1:
        from edgenn.errors import UnsupportedModelError

        raise UnsupportedModelError(f"model '{source.name}': the rtl target traces one data input to one output "
                                    f"(this model has {len(source.model.inputs)} inputs, {len(source.model.outputs)} "
                                    "outputs).", fix="use --target fpga (hls4ml, every input and output checked).")
    status = stage_status(progress)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    with atomic_dir(out) as staging:
        with status("da4ml: tracing the model into an adder graph and writing Verilog..."):
            project = export_rtl(source.model, staging / "rtl", settings, x_calibration=source.x_calibration)
        timings["trace"], timings["write"] = project.trace_seconds, project.write_seconds
        xq, n_data, n_random = _inputs(source.x, project.precision.input, source.validation_samples, min_samples,
                                       top_up_seed(source.recipe))
        reference, kind = _reference_logits(source.model, project.precision.logits_layer, xq)
        outputs = {"float32_keras": _qkeras_logits(source.model, project.precision.logits_layer, xq),
                   "da4ml_numpy": np.asarray(project.reference(xq), np.float64)}
        start = time.perf_counter()
        outputs["da4ml_interpreter"] = project.interpret(xq)
        timings["interpret"] = time.perf_counter() - start
        notes = [f"bit-exactness on {len(xq)} samples: {n_data} validation rows + {n_random} uniform draws over the "
                 f"input type {project.precision.input.to_hls()}", "RTL output is the logits (no softmax in the RTL)"]
        if simulate:
            from edgenn.exporters.verilator import build_simulator, run_simulator

            with status("Verilator: verilating and compiling the RTL (cached by content hash)..."):
                start = time.perf_counter()
                lib, cached = build_simulator(project.out_dir, project.top)
                timings["verilator_build"] = time.perf_counter() - start
            notes.append(f"Verilator library {'reused from cache' if cached else 'built'}: {lib.name}")
            start = time.perf_counter()
            outputs["verilator"] = run_simulator(lib, project.out_dir, project.pipeline, xq)
            timings["verilator_run"] = time.perf_counter() - start
            timing = _timing(lib, project, xq, reference, outputs["verilator"], notes)
        else:
            timing = None
            notes.append("Verilator simulation skipped (--no-simulate): RTL checked by da4ml's interpreter only; "
                         "latency and II are da4ml's declaration")
        if settings.csim_check:
            with status("hls4ml: C simulation of the same model for the three-way comparison..."):
                start = time.perf_counter()
                outputs["hls4ml_csim"] = _csim_logits(source, staging / "hls", project.precision, settings, xq)
                timings["csim"] = time.perf_counter() - start
        else:
            notes.append("hls4ml C-simulation cross-check skipped (--no-csim-check)")
        final = "verilator" if "verilator" in outputs else "da4ml_interpreter"
        notes.append(f"bit-exactness reference: {kind}; float32_keras is compared with it apart")
        from edgenn.verification.bitexact import compare_implementations

        bitexact = compare_implementations(reference, outputs, final=final, reference_kind=kind)
        method = final.split("_")[0]
        figures = figures_from_dicts(project.estimate.figures(), "rtl estimate")
        if timing is not None:
            figures.update({f"da4ml_estimate.{k}": figures.pop(k) for k in TIMED})
            figures.update(figures_from_dicts(timing.figures(), "rtl timing"))
        figures.update(_classifier_figures(source, outputs[final][:n_data], method, final))
        figures = {**figures,
                   "bit_exact_fraction": figure(bitexact.exact_fraction, "fraction", method,
                                                f"{final} vs the reference logits, {bitexact.num_values} values"),
                   "float_agreement.logits_exact_fraction": figure(
                       float(np.mean(outputs[final] == outputs["float32_keras"])), "fraction", method,
                       f"{final} vs float32 Keras logits")}
        report = ExportReport("rtl", source.name, figures, bitexact, tuple(notes), source.lineage, None,
                              {**section_records(settings=settings.to_dict(), precision=project.precision.to_dict(),
                                                 project=project.to_dict()),
                               "samples": {"validation": n_data, "uniform": n_random},
                               "estimate": project.estimate.to_dict(), "timings_s": timings,
                               "cycle_timing": timing.to_dict() if timing is not None else None})
        report.save(staging)
        atomic_write_text(staging / REPORT_MD, rtl_markdown(report))
        write_manifest(staging, stage="export-rtl", recipe=source.recipe, inputs=source.lineage,
                       metrics=report.figures_dict(), timings_s={**timings, "total": time.perf_counter() - t0})
    return ExportResult("rtl", out, report)


def _timing(lib: Path, project: Any, xq: np.ndarray, reference: np.ndarray, simulated: np.ndarray,
            notes: list[str]) -> Any:
    """The cycle-accurate latency and II, or None (with a note) when the simulation is not bit-exact."""
    from edgenn.exporters.cycle_timing import measure_timing

    if not np.array_equal(simulated, reference):
        notes.append("latency and II not measured in Verilator (its outputs are not bit-exact): da4ml's declaration")
        return None
    rows = min(TIMING_ROWS, len(xq))
    timing = measure_timing(lib, project.out_dir, project.pipeline, xq[:rows], reference[:rows],
                            project.settings.clock_period_ns)
    notes.append(f"latency {timing.latency_cycles} cycles and II {timing.ii_cycles} measured cycle by cycle in "
                 f"Verilator on {rows} back-to-back rows (da4ml declares {timing.declared_latency_cycles} cycles)")
    return timing


def _reference_logits(model: Any, logits_layer: str, xq: np.ndarray) -> tuple[np.ndarray, str]:
    """The exact reference's logits and what it is (float32 Keras, so labelled, if it does not cover the model)."""
    from edgenn.errors import UnsupportedModelError
    from edgenn.reference import evaluate

    try:
        ref = evaluate(model, xq)
    except UnsupportedModelError as err:
        return _qkeras_logits(model, logits_layer, xq), f"float32 Keras (not covered by the exact reference: {err})"
    return ref.outputs[logits_layer].reshape(len(xq), -1), ref.kind(logits_layer)


def _qkeras_logits(model: Any, logits_layer: str, xq: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    probe = tf.keras.Model(model.inputs, model.get_layer(logits_layer).output)
    return np.asarray(probe.predict(xq.astype(np.float32), batch_size=4096, verbose=0), np.float64)


def _csim_logits(source: Any, out_dir: Path, precision, settings, xq: np.ndarray) -> np.ndarray:
    from edgenn.exporters.csim import simulate_csim
    from edgenn.exporters.hls import HlsSettings, export_hls

    hls = HlsSettings(part=settings.part, clock_period_ns=settings.clock_period_ns)
    project = export_hls(source.model, out_dir, hls, precision=precision)
    result = simulate_csim(project, source.model, xq)
    return result.firmware[result.logits_layer]


def rtl_markdown(report: ExportReport) -> str:
    s, b = report.settings, report.bitexact
    lines = [f"# RTL export: {report.name}", "",
             f"da4ml Verilog in `rtl/` (top `{report.project.top}`), part {s.part}, target clock "
             f"{s.clock_period_ns} ns, {s.adder_levels_per_cycle} adder levels per pipeline stage.", "",
             "## Bit-exactness against the reference logits", "",
             f"Reference: {b.reference_kind}.", "",
             "| implementation | exact | values | max abs diff |",
             "|---|---:|---:|---:|"]
    for c in b.outputs:
        lines.append(f"| {c.name} | {c.exact_fraction:.4%} | {c.num_values} | {c.max_abs_diff:.3g} |")
    lines += ["", "## Figures", "", "| figure | value | unit | method | note |", "|---|---:|---|---|---|"]
    for name, f in report.figures.items():
        v = f.value
        shown = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"
        lines.append(f"| {name} | {shown} | {f.unit} | {f.method} | {f.note} |")
    lines += ["", "## Notes", ""] + [f"- {n}" for n in report.notes]
    return "\n".join(lines) + "\n"
