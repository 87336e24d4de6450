"""One function per report section: ``Sources`` in, an HTML ``<section>`` out.

Contract: a section function never raises for missing or malformed inputs; it renders what it has and, for each
piece it lacks, a ``missing: <what> (<how to get it>)`` notice. ``page.render_page`` still wraps each call, so an
unexpected bug in one section costs that section, not the page. Figures are inlined as base64 PNG (``html.img``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

import edgenn.filenames as filenames
from edgenn.reporting.numbers import fmt, num
from edgenn.reporting.html import esc, img, img_file, missing, note, section, table
from edgenn.reporting.sources import CSIM_OUTPUTS, Sources

SectionFn = Callable[[Sources], str]


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
        from edgenn.errors import EdgennError

        try:
            settings = report.settings
        except EdgennError as exc:
            settings, src.problems[f"report.json ({report.target}) settings"] = None, str(exc)
        if settings is not None:
            body += "<h3>Firmware settings</h3>" + table(["setting", "value"],
                                                         [(k, fmt(v)) for k, v in settings.values.items()])
        body += "<h3>Figures (report.json)</h3>" + figure_table(report.figures)
        if report.notes:
            body += "<h3>Notes from the export</h3><ul>" + "".join(f"<li>{esc(n)}</li>" for n in report.notes) + \
                "</ul>"
    elif src.kind == "export":
        body += missing("export report.json", f"re-run `edgenn export runs/{src.name} --target {src.primary_export}`")
    if src.kind != "export":
        body += note(f"Firmware sections (numerical profile, bit-exactness, resources, budget) are on the export's "
                     f"page: firmware/{src.name}/fpga/report.html, made by `edgenn export runs/{src.name}`.")
    return section("overview", "Overview", body)


def _as_figure(f):
    from edgenn.errors import EdgennError
    from edgenn.records import Figure

    if isinstance(f, Figure) or not isinstance(f, Mapping):
        return f if isinstance(f, Figure) else None
    try:
        return Figure.from_dict(dict(f))
    except EdgennError:
        return None


def figure_value(f) -> str:
    """``40,500 (34,000–48,000)`` with the figure's 90 % interval, ``≥ 40,500`` for a lower bound (a figure record,
    or a figure dict of an estimate's per-layer table)."""
    def show(v) -> str:  # counts read as counts (52,428), not 5.243e+04
        return f"{v:,.0f}" if isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 100 else fmt(v)

    f = _as_figure(f)
    if f is None:
        return "n/a"
    text = ("≥ " if f.is_lower_bound else "") + show(f.value)
    if f.interval is not None and not f.is_lower_bound:
        text += f" ({show(f.interval.low)}–{show(f.interval.high)})"
    return text


def figure_table(figures: Mapping) -> str:
    rows = []
    for name, f in figures.items():
        f = _as_figure(f)
        if f is not None:
            note_text = "; ".join(x for x in (f.note, f.interval_note) if x)
            rows.append((name, figure_value(f), f.unit, f.method, note_text))
    return table(["figure", "value (90 % interval)", "unit", "method", "note"], rows)


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
    if metrics and not src.task().has_classes:
        body += note("Trigger metrics (AUC, efficiency at the target rate) are in the anomaly-detection section.")
    elif metrics:
        body += _metrics_table({"float (train stage)": metrics})
        if metrics.get("epochs_run") is not None:
            body += f"<p>Epochs run: {fmt(metrics.get('epochs_run'))}; parameters: {fmt(metrics.get('num_params'))}.</p>"
    else:
        body += missing(f"{d / filenames.METRICS}", f"re-run `{_model_cmd(src, 'train')}`")
    body += "<h3>Loss and accuracy per epoch (train vs validation)</h3>"
    history = src.read_json(d / filenames.HISTORY) if not (d / "history.png").is_file() and \
        (d / filenames.HISTORY).is_file() else None
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
    rows = [["accuracy"] + [fmt(num(m.get("accuracy"))) for m in per_model.values()]]
    for c in classes:
        rows.append([f"AUC {c} (one vs rest)"] + [fmt(num((m.get("auc") or {}).get(c))) for m in per_model.values()])
    for s in signals:
        rows.append([f"1/ε_B at ε_S = 50 % ({s} vs q+g)"] +
                    [fmt(num((m.get("rejection_at_50") or {}).get(s)), 3) for m in per_model.values()])
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


def _firmware_metrics(report) -> dict | None:
    acc = report.figure("accuracy")
    if acc is None:
        return None
    auc = {k.split(".", 1)[1]: f.value for k, f in report.figures.items() if k.startswith("auc.")}
    return {"accuracy": acc.value, "auc": auc}


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
        if outputs is not None and outputs.test_scores is not None:
            curves[f"{stage} model ({len(outputs.test_labels)} jets)"] = per_signal(
                outputs.test_scores, outputs.test_labels.astype(int), outputs.class_names)
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
    """The stage's saved outputs (``records.stage_outputs.StageOutputs``: per-layer outputs on a test sample, test
    scores), cached; None, with the reason and the re-run that makes them in ``src.problems``, when the stage has
    none (written by an older edgenn) or they are unreadable. Never loads or runs the model."""
    key = f"outputs:{stage}"
    if key not in src.memo:
        d = src.stage_dirs.get(stage)
        src.memo[key] = None
        if d is not None:
            from edgenn.errors import EdgennError
            from edgenn.records.stage_outputs import StageOutputs

            try:
                src.memo[key] = StageOutputs.load(d, stage=stage)
            except EdgennError as exc:
                src.problems[str(d / filenames.OUTPUTS)] = stage_outputs_problem(exc, src, stage)
    return src.memo[key]


def stage_outputs_problem(exc, src: Sources, stage: str) -> str:
    """One line: what is wrong with a stage's outputs record and the re-run that writes it."""
    from edgenn.errors import MissingArtifactError

    why = ("none saved: the stage was written by an edgenn older than its outputs record"
           if isinstance(exc, MissingArtifactError) else exc.message.rstrip("."))
    return f"{why}; re-run `{_model_cmd(src, stage)}` to save them."


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
        body += missing(f"{d / filenames.METRICS}: compression section", f"re-run `edgenn compress runs/{src.name}`")
    else:
        before = comp.get("before") if isinstance(comp.get("before"), Mapping) else {}
        after = comp.get("after") if isinstance(comp.get("after"), Mapping) else {}
        body += "<h3>Before / after (test split)</h3>" + table(["quantity", "before", "after"],
                                                                _compression_rows(before, after))
        pruning = comp.get("pruning")
        if isinstance(pruning, Mapping):
            ok = pruning.get("reached")
            body += (f"<p>Pruning target sparsity {fmt(num(pruning.get('target_sparsity')))}: "
                     f"<span class='{'pass' if ok else 'fail'}'>{'reached' if ok else 'NOT reached'}</span> "
                     f"(per-layer mask sparsity: " + esc(", ".join(
                         f"{k} {fmt(num(v), 3)}" for k, v in (pruning.get("mask_sparsity_per_layer") or {}).items()))
                     + ").</p>")
        passes = comp.get("passes")
        if isinstance(passes, list) and passes:
            body += "<h3>Passes (in order)</h3>" + table(
                ["pass", "changed", "non-zero weights before → after", "seconds"],
                [(p.get("name", "?"), fmt(p.get("changed")),
                  f"{fmt(p.get('num_nonzero_before'))} → {fmt(p.get('num_nonzero_after'))}",
                  fmt(num(p.get("seconds")), 3)) for p in passes if isinstance(p, Mapping)])
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

    rows = [("accuracy", fmt(num(get(before, "accuracy"))), fmt(num(get(after, "accuracy"))))]
    for c in list(get(before, "auc") or get(after, "auc") or {}):
        rows.append((f"AUC {c}", fmt(num(get(before, "auc", c))), fmt(num(get(after, "auc", c)))))
    for c in list(get(before, "efficiency") or get(after, "efficiency") or {}):  # anomaly summaries
        rows.append((f"ε_S {c} at FPR {fmt(num(get(before, 'fpr') or get(after, 'fpr')), 2)}",
                     fmt(num(get(before, "efficiency", c)), 3), fmt(num(get(after, "efficiency", c)), 3)))
    for label, keys in (("weights (kernel + bias)", ("num_params",)), ("non-zero weights", ("num_nonzero",)),
                        ("kernel sparsity", ("sparsity",)), ("BOPs", ("bops", "total"))):
        rows.append((label, fmt(num(get(before, *keys))), fmt(num(get(after, *keys)))))
    if num(get(after, "ebops")) is not None:  # learned precision: the traced figure, and the target it was steered to
        rows.append(("EBOPs (HGQ, traced on train)", "-", fmt(num(get(after, "ebops")))))
    target = get(after, "target")
    if isinstance(target, Mapping):
        from edgenn.compression.summary import target_text

        try:
            asked, achieved = target_text(target)
        except (KeyError, TypeError, ValueError):
            asked, achieved = "?", "n/a (incomplete target record)"
        rows.append((f"resource target {asked}", "-", achieved))
    bits_b, bits_a = get(before, "bits") or {}, get(after, "bits") or {}
    for layer in list(bits_a) or list(bits_b):
        def bits(m):
            b = m.get(layer) if isinstance(m, Mapping) else None
            return "/".join(str(b.get(k, "?")) for k in ("weight", "bias", "input_activation")) \
                if isinstance(b, Mapping) else "n/a"
        rows.append((f"bits {layer} (weight/bias/input)", bits(bits_b), bits(bits_a)))
    return rows
