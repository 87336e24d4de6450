"""One function per report section: ``Sources`` in, an HTML ``<section>`` out.

Contract: a section function never raises for missing or malformed inputs; it renders what it has and, for each
piece it lacks, a ``missing: <what> (<how to get it>)`` notice. ``html.render_page`` still wraps each call, so an
unexpected bug in one section costs that section, not the page. Figures are inlined as base64 PNG (``html.img``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from edgenn.reporting.html import esc, img, img_file, missing, note, section, table
from edgenn.reporting.sources import CSIM_OUTPUTS, Sources

SectionFn = Callable[[Sources], str]


def fmt(value, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return "n/a" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if math.isinf(value):
            return "∞"
        return f"{value:.{digits}g}"
    return str(value)


def _num(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _model_cmd(src: Sources, stage: str) -> str:
    return {"train": "edgenn train <recipe>", "compress": f"edgenn compress runs/{src.name}"}.get(stage, stage)


# ----- overview ----------------------------------------------------------------------------------------------------
def overview(src: Sources) -> str:
    rows = [("page", f"{src.kind} report for '{src.name}'"), ("directory", str(src.target))]
    for stage, d in src.stage_dirs.items():
        rows.append((f"{stage} stage", str(d)))
    for target, d in src.export_dirs.items():
        rows.append((f"export ({target})", str(d)))
    report = src.export_report()
    body = table(["", ""], rows, header=False)
    if report:
        settings = report.get("settings")
        if isinstance(settings, dict):
            body += "<h3>Firmware settings</h3>" + table(["setting", "value"],
                                                         [(k, fmt(v)) for k, v in settings.items()])
        figures = report.get("figures")
        if isinstance(figures, dict):
            body += "<h3>Figures (report.json)</h3>" + _figure_table(figures)
        notes = report.get("notes")
        if isinstance(notes, list) and notes:
            body += "<h3>Notes from the export</h3><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>"
    elif src.kind == "export":
        body += missing("export report.json", f"re-run `edgenn export runs/{src.name} --target {src.primary_export}`")
    if src.kind != "export":
        body += note(f"Firmware sections (numerical profile, bit-exactness, resources, budget) are on the export's "
                     f"page: firmware/{src.name}/fpga/report.html, made by `edgenn export runs/{src.name}`.")
    return section("overview", "Overview", body)


def _figure_table(figures: Mapping) -> str:
    rows = []
    for name, f in figures.items():
        if isinstance(f, Mapping):
            rows.append((name, fmt(f.get("value")), f.get("unit", ""), f.get("method", ""), f.get("note", "")))
    return table(["figure", "value", "unit", "method", "note"], rows)


# ----- dataset -----------------------------------------------------------------------------------------------------
def dataset(src: Sources) -> str:
    from edgenn.reporting import figures

    body = ""
    metrics = src.stage_metrics("train") or src.stage_metrics("compress")
    if metrics and isinstance(metrics.get("split_sizes"), dict):
        sizes = metrics["split_sizes"]
        body += "<h3>Splits (jets)</h3>" + table(["split", "jets"], [(k, fmt(v)) for k, v in sizes.items()])
    path = src.dataset_path()
    if path is None:
        recipe = src.recipe() or {}
        where = (recipe.get("data") or {}).get("path", "?") if isinstance(recipe, dict) else "?"
        return section("dataset", "Dataset", body + missing(
            f"dataset file (recipe data.path = {where!s})",
            "generate it with `edgenn data generate jets --out <data.path>` or run `edgenn report` from the "
            "directory the stage ran in"))
    from edgenn.datasets import load_jets

    data = load_jets(path)
    recipe = src.recipe() or {}
    wanted = (recipe.get("data") or {}).get("classes") if isinstance(recipe, dict) else None
    classes = [c for c in (wanted or data.class_names) if c in data.class_names]
    keep = [data.class_names.index(c) for c in classes]
    sel = np.isin(data.labels, keep)
    labels = np.searchsorted(np.array(keep), data.labels[sel]) if keep == sorted(keep) else \
        np.array([keep.index(v) for v in data.labels[sel]])
    counts = [(c, fmt(int(np.sum(data.labels == data.class_names.index(c))))) for c in classes]
    body = (f"<p>{esc(str(path))}: {len(data.labels):,} jets, {len(data.feature_names)} features, classes "
            f"{esc(', '.join(data.class_names))}.</p>" + "<h3>Jets per class</h3>" +
            table(["class", "jets"], counts) + body)
    names = list((recipe.get("data") or {}).get("features", "hlf16")) if isinstance(recipe, dict) and \
        isinstance((recipe.get("data") or {}).get("features"), list) else None
    from edgenn.datasets import HLF16

    names = names or [n for n in HLF16 if n in data.feature_names] or list(data.feature_names)
    x = data.select_features(names)[sel]
    body += "<h3>Feature distributions per class (the model's inputs, before standardisation)</h3>"
    body += img(figures.feature_distributions(x, labels, classes, names), "feature distributions per class")
    return section("dataset", "Dataset", body)


# ----- training ----------------------------------------------------------------------------------------------------
def training(src: Sources) -> str:
    body = ""
    d = src.stage_dirs.get("train")
    if d is None:
        return section("training", "Training", missing("training stage directory", "run `edgenn train <recipe>`"))
    metrics = src.stage_metrics("train")
    if metrics and metrics.get("task") == "anomaly":
        body += note("Trigger metrics (AUC, efficiency at the target rate) are in the anomaly-detection section.")
    elif metrics:
        body += _metrics_table({"float (train stage)": metrics})
        if metrics.get("epochs_run") is not None:
            body += f"<p>Epochs run: {fmt(metrics.get('epochs_run'))}; parameters: {fmt(metrics.get('num_params'))}.</p>"
    else:
        body += missing(f"{d / 'metrics.json'}", f"re-run `{_model_cmd(src, 'train')}`")
    body += "<h3>Loss and accuracy per epoch (train vs validation)</h3>"
    history = src.read_json(d / "history.json") if not (d / "history.png").is_file() and \
        (d / "history.json").is_file() else None
    if isinstance(history, Mapping) and history:  # anomaly stages save the numbers but no plot
        from edgenn.reporting.figures import history as plot_history

        body += img(plot_history(history), "training history")
    else:
        body += img_file(d / "history.png", "training history", f"re-run `{_model_cmd(src, 'train')}`")
    return section("training", "Training", body)


def _metrics_table(per_model: Mapping[str, Mapping]) -> str:
    """accuracy, AUC per class and background rejection at eps_S = 50 %, one column per model."""
    models = list(per_model)
    classes: list[str] = []
    signals: list[str] = []
    for m in per_model.values():
        classes += [c for c in (m.get("auc") or {}) if c not in classes]
        signals += [s for s in (m.get("rejection_at_50") or {}) if s not in signals]
    rows = [["accuracy"] + [fmt(_num(m.get("accuracy"))) for m in per_model.values()]]
    for c in classes:
        rows.append([f"AUC {c} (one vs rest)"] + [fmt(_num((m.get("auc") or {}).get(c))) for m in per_model.values()])
    for s in signals:
        rows.append([f"1/ε_B at ε_S = 50 % ({s} vs q+g)"] +
                    [fmt(_num((m.get("rejection_at_50") or {}).get(s)), 3) for m in per_model.values()])
    return table(["quantity"] + models, rows)


# ----- performance -------------------------------------------------------------------------------------------------
def performance(src: Sources) -> str:
    """ROC (background rejection vs signal efficiency, log) and confusion matrices of each model stage."""
    from edgenn.reporting import figures

    body = ""
    per_model = {f"{s} model": m for s in ("train", "compress") if (m := src.stage_metrics(s))}
    report = src.export_report()
    fw = _firmware_metrics(report) if report else None
    csim = csim_outputs(src)
    class_names = _class_names(src)
    if csim is not None and "output_firmware" in csim and "labels" in csim and class_names \
            and csim["output_firmware"].shape[-1] == len(class_names):
        from edgenn.training.metrics import classifier_metrics

        fw = classifier_metrics(csim["output_firmware"], csim["labels"].astype(int), class_names)
    if fw:
        per_model["firmware (C sim)"] = fw
    if per_model:
        body += _metrics_table(per_model)
    curves = _roc_curves(src)
    if curves:
        body += "<h3>ROC: software models vs firmware on the same test jets</h3>"
        body += img(figures.roc_overlay(curves), "ROC overlay")
    if not src.stage_dirs:
        return section("performance", "Classifier performance", body + missing(
            "model stage directories", f"run `edgenn train <recipe>` (lineage of {src.target})"))
    for stage, d in src.stage_dirs.items():
        body += f"<h3>{esc(stage)} model: ROC and confusion matrix (test split)</h3><div class='row'>"
        body += img_file(d / "roc.png", f"{stage} ROC", f"re-run `{_model_cmd(src, stage)}`")
        body += img_file(d / "confusion.png", f"{stage} confusion matrix", f"re-run `{_model_cmd(src, stage)}`")
        body += "</div>"
    return section("performance", "Classifier performance", body)


def _firmware_metrics(report: Mapping) -> dict | None:
    figs = report.get("figures") if isinstance(report.get("figures"), Mapping) else {}
    acc = figs.get("accuracy")
    if not isinstance(acc, Mapping):
        return None
    auc = {k.split(".", 1)[1]: v.get("value") for k, v in figs.items() if k.startswith("auc.") and isinstance(v, Mapping)}
    return {"accuracy": acc.get("value"), "auc": auc}


def _roc_curves(src: Sources) -> dict:
    """model label -> signal -> (eps_S, eps_B): every stage model on the test split, plus the firmware if saved."""
    from edgenn.training.metrics import BACKGROUND_CLASSES, SIGNAL_CLASSES, roc_curve

    def per_signal(probs, labels, class_names):
        bkg = [class_names.index(c) for c in BACKGROUND_CLASSES if c in class_names]
        out = {}
        for s in SIGNAL_CLASSES:
            if s not in class_names or not bkg:
                continue
            k = class_names.index(s)
            sel = np.isin(labels, bkg) | (labels == k)
            if 0 < np.sum(labels[sel] == k) < sel.sum():
                out[s] = roc_curve(probs[sel, k], labels[sel] == k)
        return out

    curves = {}
    for stage in ("train", "compress"):
        outputs = stage_outputs(src, stage)
        if outputs is not None:
            curves[f"{stage} model ({len(outputs.y)} jets)"] = per_signal(outputs.probs, outputs.y, outputs.class_names)
    csim = csim_outputs(src)
    class_names = _class_names(src)
    if csim is not None and "labels" in csim and "output_firmware" in csim and class_names:
        curves[f"firmware C sim ({len(csim['labels'])} jets)"] = per_signal(csim["output_firmware"],
                                                                             csim["labels"].astype(int), class_names)
    return {k: v for k, v in curves.items() if v}


def _class_names(src: Sources) -> tuple[str, ...] | None:
    for stage in ("compress", "train"):
        m = src.stage_metrics(stage)
        if m and isinstance(m.get("class_names"), list):
            return tuple(m["class_names"])
    return None


def stage_outputs(src: Sources, stage: str):
    """Cached run of a stage's model on its test split (``evaluate.run_stage_model``); None if it cannot run."""
    key = f"outputs:{stage}"
    if key not in src.memo:
        d = src.stage_dirs.get(stage)
        src.memo[key] = None
        if d is not None and (d / "model.h5").is_file():
            from edgenn.reporting.evaluate import run_stage_model

            try:
                src.memo[key] = run_stage_model(d)
            except Exception as exc:  # noqa: BLE001 - a model that cannot be run costs its plots, not the page
                src.problems[str(d)] = f"model could not be run on its test split ({type(exc).__name__}: {exc})"
    return src.memo[key]


def csim_outputs(src: Sources) -> dict[str, np.ndarray] | None:
    d = src.export_dirs.get("fpga")
    if d is None or not (d / CSIM_OUTPUTS).is_file():
        return None
    try:
        with np.load(d / CSIM_OUTPUTS, allow_pickle=False) as npz:
            return {k: np.asarray(npz[k]) for k in npz.files}
    except (OSError, ValueError) as exc:
        src.problems[str(d / CSIM_OUTPUTS)] = f"unreadable ({exc})"
        return None


# ----- compression -------------------------------------------------------------------------------------------------
def compression(src: Sources) -> str:
    d = src.stage_dirs.get("compress")
    if d is None:
        return section("compression", "Compression", missing(
            "compression stage", f"run `edgenn compress runs/{src.name}` (needs a compress section in the recipe)"))
    metrics = src.stage_metrics("compress") or {}
    comp = metrics.get("compression") if isinstance(metrics.get("compression"), Mapping) else None
    body = ""
    if comp is None:
        body += missing(f"{d / 'metrics.json'}: compression section", f"re-run `edgenn compress runs/{src.name}`")
    else:
        before = comp.get("before") if isinstance(comp.get("before"), Mapping) else {}
        after = comp.get("after") if isinstance(comp.get("after"), Mapping) else {}
        body += "<h3>Before / after (test split)</h3>" + table(["quantity", "before", "after"],
                                                                _compression_rows(before, after))
        pruning = comp.get("pruning")
        if isinstance(pruning, Mapping):
            ok = pruning.get("reached")
            body += (f"<p>Pruning target sparsity {fmt(_num(pruning.get('target_sparsity')))}: "
                     f"<span class='{'pass' if ok else 'fail'}'>{'reached' if ok else 'NOT reached'}</span> "
                     f"(per-layer mask sparsity: " + esc(", ".join(
                         f"{k} {fmt(_num(v), 3)}" for k, v in (pruning.get("mask_sparsity_per_layer") or {}).items()))
                     + ").</p>")
        passes = comp.get("passes")
        if isinstance(passes, list) and passes:
            body += "<h3>Passes (in order)</h3>" + table(
                ["pass", "changed", "non-zero weights before → after", "seconds"],
                [(p.get("name", "?"), fmt(p.get("changed")),
                  f"{fmt(p.get('num_nonzero_before'))} → {fmt(p.get('num_nonzero_after'))}",
                  fmt(_num(p.get("seconds")), 3)) for p in passes if isinstance(p, Mapping)])
    body += "<h3>Kernel weights before and after (zeros: red bar)</h3>"
    body += img_file(d / "weights.png", "weight histograms", f"re-run `edgenn compress runs/{src.name}`")
    body += "<h3>Fine-tuning: loss and accuracy per epoch</h3>"
    body += img_file(d / "history.png", "fine-tuning history", f"re-run `edgenn compress runs/{src.name}`")
    return section("compression", "Compression", body)


def _compression_rows(before: Mapping, after: Mapping) -> list[tuple[str, str, str]]:
    def get(m, *keys):
        for k in keys:
            m = m.get(k) if isinstance(m, Mapping) else None
        return m

    rows = [("accuracy", fmt(_num(get(before, "accuracy"))), fmt(_num(get(after, "accuracy"))))]
    for c in list(get(before, "auc") or get(after, "auc") or {}):
        rows.append((f"AUC {c}", fmt(_num(get(before, "auc", c))), fmt(_num(get(after, "auc", c)))))
    for c in list(get(before, "efficiency") or get(after, "efficiency") or {}):  # anomaly summaries
        rows.append((f"ε_S {c} at FPR {fmt(_num(get(before, 'fpr') or get(after, 'fpr')), 2)}",
                     fmt(_num(get(before, "efficiency", c)), 3), fmt(_num(get(after, "efficiency", c)), 3)))
    for label, keys in (("weights (kernel + bias)", ("num_params",)), ("non-zero weights", ("num_nonzero",)),
                        ("kernel sparsity", ("sparsity",)), ("BOPs", ("bops", "total"))):
        rows.append((label, fmt(_num(get(before, *keys))), fmt(_num(get(after, *keys)))))
    bits_b, bits_a = get(before, "bits") or {}, get(after, "bits") or {}
    for layer in list(bits_a) or list(bits_b):
        def bits(m):
            b = m.get(layer) if isinstance(m, Mapping) else None
            return "/".join(str(b.get(k, "?")) for k in ("weight", "bias", "input_activation")) \
                if isinstance(b, Mapping) else "n/a"
        rows.append((f"bits {layer} (weight/bias/input)", bits(bits_b), bits(bits_a)))
    return rows


# ----- numerical profile -------------------------------------------------------------------------------------------
def numerical_profile(src: Sources) -> str:
    from edgenn.reporting.figures import ProfileRow, numerical_profile as plot

    title = "Numerical profile per layer (values vs fixed-point types)"
    report = src.export_report("fpga")
    precision = report.get("precision") if isinstance(report, Mapping) else None
    if not isinstance(precision, Mapping) or not isinstance(precision.get("layers"), list):
        return section("profile", title, missing("per-layer fixed-point types (report.json 'precision')",
                                                 f"run `edgenn export runs/{src.name} --target fpga`"))
    stage = src.model_stage()
    outputs = stage_outputs(src, stage) if stage else None
    if outputs is None:
        return section("profile", title, _precision_table(precision) + missing(
            "the exported model and its test data (to measure weights and activations)",
            f"keep runs/{src.name} and its dataset where the export recorded them "
            f"({(report.get('lineage') or {}).get('model_dir', '?')})"))

    def typed(label, values, fp) -> ProfileRow:
        fp = fp if isinstance(fp, Mapping) else {}
        return ProfileRow(label, np.asarray(values), fp.get("type"), _num(fp.get("lsb")), _num(fp.get("min")),
                          _num(fp.get("max")))

    weight_rows, act_rows = [], []
    if isinstance(precision.get("input"), Mapping):
        act_rows.append(typed(f"input ({precision.get('input_name', 'input')})", outputs.x, precision["input"]))
    for layer in precision["layers"]:
        if not isinstance(layer, Mapping):
            continue
        name, types = str(layer.get("name")), layer.get("types") or {}
        for key in ("weight", "bias"):
            if key in types and key in outputs.weights.get(name, {}):
                weight_rows.append(typed(f"{name} {key}", outputs.weights[name][key], types[key]))
        if name in outputs.layers and "result" in types:
            act_rows.append(typed(f"{name} ({layer.get('class_name', '?')})", outputs.layers[name], types["result"]))
    body = (f"<p>Weights and biases as the layers compute with them; activations measured on {len(outputs.y):,} "
            f"test {'events' if src.task() == 'anomaly' else 'jets'} through the {esc(stage)} model. Grey: the range a value can take in its firmware type "
            f"(from one lsb to the largest magnitude). Overflow: a value outside [min, max] of its type; underflow: a "
            f"non-zero value smaller than one lsb.</p>")
    body += img(plot({"weights and biases": weight_rows, "activations (layer outputs)": act_rows}),
                "numerical profile")
    rows = []
    for r in weight_rows + act_rows:
        s = r.stats()
        risk = "overflow" if s.get("overflow", 0) > 0 else "underflow" if s.get("underflow", 0) > 0 else "ok"
        rows.append((r.label, r.type_name or "n/a", f"[{fmt(s['observed_min'])}, {fmt(s['observed_max'])}]",
                     f"[{fmt(r.min)}, {fmt(r.max)}]" if r.has_type else "n/a", fmt(r.lsb),
                     f"{s['num_zero'] / max(1, s['num_values']):.1%}", _pct(s.get("overflow")),
                     _pct(s.get("underflow")), f"<span class='{'pass' if risk == 'ok' else 'fail'}'>{risk}</span>"))
    body += table(["tensor", "firmware type", "observed [min, max]", "type [min, max]", "lsb", "zeros", "overflow",
                   "underflow", "risk"], rows, raw_columns={8})
    return section("profile", title, body)


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _precision_table(precision: Mapping) -> str:
    rows = []
    for layer in precision.get("layers", []):
        if isinstance(layer, Mapping):
            for key, fp in (layer.get("types") or {}).items():
                if isinstance(fp, Mapping):
                    rows.append((layer.get("name", "?"), key, fp.get("type", "?"), fmt(_num(fp.get("lsb"))),
                                 fmt(_num(fp.get("min"))), fmt(_num(fp.get("max")))))
    return table(["layer", "tensor", "type", "lsb", "min", "max"], rows)


# ----- bit-exactness -----------------------------------------------------------------------------------------------
def bit_exactness(src: Sources) -> str:
    from edgenn.reporting.figures import abs_diff_histogram

    title = "Bit-exactness: firmware C simulation vs software model"
    report = src.export_report("fpga")
    b = report.get("bitexact") if isinstance(report, Mapping) else None
    if not isinstance(b, Mapping):
        return section("bitexact", title, missing("bit-exactness results (report.json 'bitexact')",
                                                  f"run `edgenn export runs/{src.name} --target fpga`"))
    exact = _num(b.get("exact_fraction"))
    ok = exact == 1.0
    body = f"<p><b>{esc(b.get('claim', ''))}</b></p>"
    body += (f"<p class='big {'pass' if ok else 'fail'}'>exact fraction {_pct(exact)} of {fmt(b.get('num_values'))} "
             f"logit values on {fmt(b.get('num_samples'))} samples</p>")
    rows = [(o.get("name", "?"), o.get("label", ""), fmt(o.get("num_values")), _pct(_num(o.get("exact_fraction"))),
             fmt(_num(o.get("max_abs_diff"))), _pct(_num(o.get("argmax_agreement"))))
            for o in b.get("outputs", []) if isinstance(o, Mapping)]
    body += table(["output", "comparison", "values", "exact", "max |Δ|", "argmax agreement"], rows)
    first = b.get("first_diverging_layer")
    body += f"<p>First diverging layer: <b>{esc(first) if first else 'none (every traced layer agrees)'}</b></p>"
    csim = csim_outputs(src)
    diffs = {}
    if csim is not None:
        for out in ("logits", "output"):
            if f"{out}_firmware" in csim and f"{out}_reference" in csim:
                diffs[out] = csim[f"{out}_firmware"].astype(np.float64) - csim[f"{out}_reference"].astype(np.float64)
    if diffs:
        body += "<h3>Histogram of |Δ| per value</h3>" + img(abs_diff_histogram(diffs), "|Δ| histogram")
    else:
        body += missing(f"per-value outputs for the |Δ| histogram ({CSIM_OUTPUTS} in the export directory)",
                        "re-export with an edgenn that saves them: `edgenn export runs/<name> --target fpga`")
    for n in b.get("notes", []) or []:
        body += note(str(n))
    return section("bitexact", title, body)


# ----- resources ---------------------------------------------------------------------------------------------------
def resources(src: Sources) -> str:
    from edgenn.reporting.figures import resource_bars

    title = "Resources and latency per layer"
    report = src.export_report("fpga")
    res = report.get("resources") if isinstance(report, Mapping) else None
    if not isinstance(res, Mapping) or not isinstance(res.get("layers"), list):
        return section("resources", title, missing("resource estimates (report.json 'resources')",
                                                   f"run `edgenn export runs/{src.name} --target fpga`"))
    keys = ("lut", "ff", "dsp", "bram", "latency_cycles", "ii_cycles", "latency_ns")
    layers = [l for l in res["layers"] if isinstance(l, Mapping)]
    total = res.get("total") if isinstance(res.get("total"), Mapping) else None
    body = (f"<p>Part {esc(res.get('part', '?'))}, clock period {fmt(_num(res.get('clock_period_ns')))} ns. "
            f"Every figure carries the method that produced it; 'analytic' is an estimate, not synthesis.</p>")
    if layers:
        body += img(resource_bars(layers), "resources per layer")
    rows = []
    for layer in layers + ([{**total, "name": "total"}] if total else []):
        rows.append([layer.get("name", "?")] + [_cell(layer.get(k)) for k in keys])
    body += table(["layer"] + [k for k in keys], rows)
    for a in res.get("assumptions", []) or []:
        body += note(str(a))
    return section("resources", title, body)


def _cell(fig) -> str:
    if not isinstance(fig, Mapping):
        return "n/a"
    return f"{fmt(_num(fig.get('value')))} ({fig.get('method', '?')})"


# ----- ONNX --------------------------------------------------------------------------------------------------------
def onnx(src: Sources) -> str:
    report = src.export_report("onnx")
    title = "ONNX export"
    if not isinstance(report, Mapping):
        return section("onnx", title, missing("ONNX export report",
                                              f"run `edgenn export runs/{src.name} --target onnx`"))
    body = ""
    o = report.get("onnx") if isinstance(report.get("onnx"), Mapping) else {}
    if o:
        ok = o.get("passed")
        body += (f"<p>onnxruntime vs Keras on {fmt(o.get('num_samples'))} samples: max |Δ| = "
                 f"{fmt(_num(o.get('max_abs_diff')))} (tolerance {fmt(_num(o.get('tolerance')))}), argmax agreement "
                 f"{_pct(_num(o.get('argmax_agreement')))}: <span class='{'pass' if ok else 'fail'}'>"
                 f"{'pass' if ok else 'FAIL'}</span>.</p>")
    if isinstance(report.get("figures"), Mapping):
        body += _figure_table(report["figures"])
    return section("onnx", title, body or missing("'onnx' section of the ONNX report", "re-run the ONNX export"))


# ----- budget ------------------------------------------------------------------------------------------------------
def budget(src: Sources) -> str:
    title = "Budget"
    report = src.export_report("fpga") or src.export_report()
    if src.budget_path is None:
        return section("budget", title, missing(
            "budget file", f"write firmware/budgets/{src.name}.yml or run `edgenn report {src.target} --budget FILE`"))
    from edgenn.config.load import load_budget
    from edgenn.errors import EdgennError
    from edgenn.verification.budget import check_figures

    try:
        spec = load_budget(src.budget_path)
    except EdgennError as exc:
        return section("budget", title, missing(f"a valid budget ({exc.message if hasattr(exc, 'message') else exc})",
                                                f"fix {src.budget_path}"))
    figures = report.get("figures") if isinstance(report, Mapping) else None
    check = check_figures(figures if isinstance(figures, Mapping) else {}, spec, source=str(src.budget_path))
    rows = [(l.figure, l.limit, fmt(l.value), l.unit or "", l.method or "",
             f"<span class='{'pass' if l.passed else 'fail'}'>{'pass' if l.passed else 'FAIL'}</span>", l.reason)
            for l in check.lines]
    verdict = "pass" if check.passed else "fail"
    body = (f"<p class='big {verdict}'>{esc(str(src.budget_path))}: {verdict.upper()} "
            f"({sum(l.passed for l in check.lines)}/{len(check.lines)} lines)</p>")
    body += table(["figure", "limit", "value", "unit", "method", "result", "reason"], rows, raw_columns={5})
    return section("budget", title, body)


# ----- what could not be read -------------------------------------------------------------------------------------
def problems(src: Sources) -> str:
    if not src.problems:
        return ""
    items = "".join(f"<li><code>{esc(p)}</code>: {esc(why)}</li>" for p, why in src.problems.items())
    return section("problems", "Pieces that could not be read", f"<ul>{items}</ul>")


RUN_SECTIONS: tuple[SectionFn, ...] = (overview, dataset, training, performance, compression)
EXPORT_SECTIONS: tuple[SectionFn, ...] = (overview, dataset, training, performance, compression, numerical_profile,
                                          bit_exactness, resources, onnx, budget)


def sections_for(src: Sources) -> Sequence[SectionFn]:
    if src.kind == "scan":
        from edgenn.reporting.sections_scan import SCAN_SECTIONS

        return SCAN_SECTIONS
    if src.task() == "anomaly":  # a score, not class probabilities: trigger metrics replace the ROC section
        from edgenn.reporting.sections_anomaly import anomaly_dataset, anomaly_performance

        swap = {dataset: anomaly_dataset, performance: anomaly_performance}
        return tuple(swap.get(fn, fn) for fn in _sections_for(src))
    return _sections_for(src)


def _sections_for(src: Sources) -> Sequence[SectionFn]:
    if src.kind == "export" and src.primary_export == "onnx":
        return (overview, dataset, training, performance, compression, onnx)
    if src.kind == "export":
        return EXPORT_SECTIONS
    if src.kind == "stage" and "compress" not in src.stage_dirs:
        return (overview, dataset, training, performance)
    return RUN_SECTIONS

