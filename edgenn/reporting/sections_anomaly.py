"""Report sections for anomaly-detection runs (autoencoder, VAE, student): trigger metrics, not class probabilities.

What an anomaly stage leaves behind (``edgenn.training.anomaly``, ``edgenn.compression.anomaly``): ``metrics.json``
with ``task: "anomaly"``, the target ``fpr``, ``threshold``, per-signal ``auc``/``efficiency``/``num_signal`` and
``num_background``; ``scores.png`` (score per process, log y). The efficiency-vs-rate curve needs every test score:
read from the stage's ``scores.npz`` (``training.anomaly_scores``; every stage and export writes one); a stage
without one gets a notice naming the re-run (the report never runs a model).
"""

from __future__ import annotations

from collections.abc import Mapping
from zipfile import BadZipFile


from edgenn.reporting.html import esc, img, img_file, missing, note, section, table
from edgenn.reporting.numbers import fmt, num
from edgenn.reporting.sources import STAGES, Sources

from edgenn.training.anomaly_metrics import BUNCH_CROSSING_KHZ
from edgenn.training.anomaly_scores import SCORES_FILE


def _cmd(src: Sources, stage: str) -> str:
    return {"train": "edgenn train <recipe>", "compress": f"edgenn compress runs/{src.name}"}.get(stage, stage)


def stage_scores(src: Sources, stage: str):
    """The test-event scores a stage saved (``scores.npz``), cached; None, with the reason and the re-run that writes
    them in ``src.problems``, when the stage has none (an older edgenn) or they are unreadable."""
    key = f"anomaly-scores:{stage}"
    if key not in src.memo:
        src.memo[key] = None
        d = src.stage_dirs.get(stage)
        if d is not None:
            path = d / SCORES_FILE
            if not path.is_file():
                src.problems[str(path)] = f"no test-event scores saved; re-run `{_cmd(src, stage)}` to save them."
            else:
                src.memo[key] = export_scores(src, d)
    return src.memo[key]


# ----- dataset -----------------------------------------------------------------------------------------------------
def anomaly_dataset(src: Sources) -> str:
    title = "Dataset (events)"
    recipe = src.recipe() or {}
    data = recipe.get("data") if isinstance(recipe.get("data"), Mapping) else {}
    metrics = next((m for s in reversed(STAGES) if (m := src.stage_metrics(s))), None)
    body = f"<p>Event dataset: <code>{esc(data.get('path', '?'))}</code>. Training sees only the SM background " \
           f"mixture (each process weighted by cross-section x efficiency), never a label or a signal.</p>"
    if not metrics:
        return section("dataset", title, body + missing("stage metrics.json", "run `edgenn train <recipe>`"))
    sizes = metrics.get("split_sizes")
    if isinstance(sizes, Mapping):
        body += "<h3>Splits (events)</h3>" + table(["split", "events"], [(k, fmt(v)) for k, v in sizes.items()])
    rows = [("SM background mixture", fmt(metrics.get("num_background")))]
    rows += [(f"signal: {k}", fmt(v)) for k, v in (metrics.get("num_signal") or {}).items()]
    body += "<h3>Test events per process</h3>" + table(["process", "test events"], rows)
    return section("dataset", title, body)


# ----- trigger performance -----------------------------------------------------------------------------------------
def _firmware_columns(report) -> dict | None:
    figs = report.figures if report is not None else {}
    auc = {k.split(".", 1)[1]: f.value for k, f in figs.items() if k.startswith("auc.")}
    eff = {k.split(".", 1)[1]: f.value for k, f in figs.items() if k.startswith("efficiency.")}
    return {"auc": auc, "efficiency": eff} if auc or eff else None


def _metrics_table(per_model: Mapping[str, Mapping], fpr: float | None) -> str:
    signals: list[str] = []
    for m in per_model.values():
        signals += [s for s in list(m.get("auc") or {}) + list(m.get("efficiency") or {}) if s not in signals]
    at = f"FPR {fpr:.2g} = {fpr * BUNCH_CROSSING_KHZ:.3g} kHz" if fpr else "the target FPR"
    rows = []
    for s in signals:
        rows.append([f"AUC {s} vs SM background"] + [fmt(num((m.get("auc") or {}).get(s))) for m in per_model.values()])
    for s in signals:
        rows.append([f"ε_S {s} at {at}"] + [fmt(num((m.get("efficiency") or {}).get(s)), 3)
                                            for m in per_model.values()])
    rows.append(["score threshold"] + [fmt(num(m.get("threshold"))) for m in per_model.values()])
    rows.append(["background events (smallest resolvable FPR)"] + [
        f"{fmt(m.get('num_background'))} ({fmt(num(m.get('min_resolvable_fpr')), 2)})"
        if m.get("num_background") is not None else "n/a" for m in per_model.values()])
    rows.append(["target FPR resolved"] + [fmt(m.get("fpr_resolved")) for m in per_model.values()])
    if any(m.get("teacher_correlation") is not None for m in per_model.values()):
        rows.append(["correlation with the teacher's log error"] +
                    [fmt(num(m.get("teacher_correlation")), 3) for m in per_model.values()])
    return table(["quantity"] + list(per_model), rows)


def anomaly_performance(src: Sources) -> str:
    """Per-signal AUC and efficiency at the target rate, score distributions, efficiency vs background rate."""
    from edgenn.reporting import figures
    from edgenn.reporting.curves import efficiency_vs_fpr

    title = "Anomaly detection: trigger performance"
    if not src.stage_dirs:
        return section("anomaly", title, missing("model stage directories",
                                                 f"run `edgenn train <recipe>` (lineage of {src.target})"))
    per_model: dict[str, Mapping] = {}
    fpr = None
    for stage in STAGES:
        m = src.stage_metrics(stage)
        if m:
            per_model[f"{stage} model ({m.get('family', '?')})"] = m
            fpr = fpr or num(m.get("fpr"))
            if isinstance(m.get("teacher"), Mapping):
                per_model["teacher autoencoder (log error)"] = m["teacher"]
    fw = _firmware_columns(src.export_report("fpga"))
    if fw:
        per_model["firmware (C sim)"] = fw
    body = ""
    if fpr:
        body += (f"<p>Target background acceptance FPR = {fmt(fpr, 3)}, i.e. a trigger rate of "
                 f"{fmt(fpr * BUNCH_CROSSING_KHZ, 3)} kHz out of the 40 MHz bunch-crossing rate. Efficiencies are "
                 f"measured on the held-out test events; with N background events an FPR below 1/N is not "
                 f"resolved and is reported as such.</p>")
    body += _metrics_table(per_model, fpr) if per_model else missing(
        "anomaly metrics (metrics.json of the stages)", "re-run `edgenn train <recipe>`")

    curves = {}
    for stage, d in src.stage_dirs.items():
        metrics = src.stage_metrics(stage) or {}
        body += f"<h3>{esc(stage)} model: anomaly score per process (test events, log y)</h3>"
        if (d / "scores.png").is_file():
            body += img_file(d / "scores.png", f"{stage} score distributions", f"re-run `{_cmd(src, stage)}`")
        else:
            scores = stage_scores(src, stage)
            if scores is None:
                body += missing(f"{d / 'scores.png'} and the test-event scores", f"re-run `{_cmd(src, stage)}`")
            else:
                groups = {"SM background mixture": scores.scores[scores.background]}
                bkg_codes = sorted(set(scores.process[scores.background].tolist()))
                if len(bkg_codes) > 1:  # each SM process of the mixture on its own, too
                    groups.update({f"{scores.process_names[c]} (SM)": scores.scores[scores.background &
                                                                                     (scores.process == c)]
                                   for c in bkg_codes})
                groups.update({s: scores.scores[scores.process == scores.process_names.index(s)]
                               for s in scores.signals if s in scores.process_names})
                body += img(figures.score_distributions(
                    groups, threshold=num(metrics.get("threshold")),
                    threshold_label=f"threshold at FPR {fmt(fpr, 2)}" if fpr else "threshold"),
                    f"{stage} score distributions")
        scores = stage_scores(src, stage)
        if scores is not None:
            per_signal = efficiency_vs_fpr(scores)
            if per_signal:
                curves[f"{stage} model"] = per_signal
                body += note(f"{stage} scores for the efficiency curve: {scores.source}")
    students = {}
    for stage in src.stage_dirs:
        scores = stage_scores(src, stage)
        if scores is not None and scores.teacher is not None:
            students[f"{stage} model"] = (scores.teacher, scores.scores, scores.background)
    for target, d in src.export_dirs.items():
        scores = export_scores(src, d)
        if scores is None:
            continue
        label = "firmware (C sim)" if target == "fpga" else f"{target} export"
        per_signal = efficiency_vs_fpr(scores)
        if per_signal:
            curves[label] = per_signal
            body += note(f"{label} scores for the efficiency curve: {scores.source}")
        if scores.teacher is not None:
            students[label] = (scores.teacher, scores.scores, scores.background)
    if students:
        body += ("<h3>Student vs teacher (test events)</h3><p>The student regresses the teacher's log reconstruction "
                 "error; points on the diagonal are perfectly distilled. r is the Pearson correlation.</p>")
        body += img(figures.student_vs_teacher(students), "student vs teacher scores")
    body += "<h3>Signal efficiency vs background rate (FPR, and trigger rate in kHz on the top axis)</h3>"
    if curves:
        body += img(figures.efficiency_vs_rate(curves, target_fpr=fpr), "efficiency vs background rate")
    else:
        body += missing("per-event test scores for the efficiency curve",
                        "re-run the stage: it writes scores.npz")
    if fw and "firmware (C sim)" not in curves:
        body += note("The firmware column is the C simulation's score on the export's test events (report.json "
                     "figures auc.* and efficiency.*); its curve needs the export's scores.npz (per-event scores "
                     "with process labels), which this export does not have: re-run `edgenn export`.")
    return section("anomaly", title, body)


def export_scores(src: Sources, directory):
    """The per-event test scores an anomaly export saved (scores.npz), or None (an unreadable file is reported)."""
    from edgenn.training.anomaly_scores import load_anomaly_scores

    path = directory / SCORES_FILE
    if not path.is_file():
        return None
    try:
        return load_anomaly_scores(path)
    except (OSError, ValueError, KeyError, EOFError, BadZipFile) as exc:
        src.problems[str(path)] = f"unreadable per-event scores ({type(exc).__name__}: {exc})"
        return None
