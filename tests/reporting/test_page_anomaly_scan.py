"""report.html for anomaly-detection runs and for scan directories, complete and with pieces missing.

The anomaly stage directories are written with the stages' own writers on synthetic scores (no Pythia run, no TF):
``anomaly_metrics`` gives metrics.json, ``plot_score_distributions`` the train stage's scores.png, and
``AnomalyScores.save`` the per-event scores the efficiency curve needs. The scan directory is written with the scan's
own table writers (``write_csv``, ``pareto_rows``, ``pareto_markdown``, ``plot_pareto``) on rows in ``trial_rows``'s
layout.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest

from edgenn.reporting import write_report
from edgenn.reporting.html import png_size

PROCESSES = ("wlnu", "zll", "h2_zz4l", "ato4l")
SIGNALS = ("h2_zz4l", "ato4l")
FPR = 0.01


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def _section(html: str, name: str) -> str:
    assert f'<section id="{name}">' in html, name
    return html.split(f'<section id="{name}">', 1)[1].split("</section>", 1)[0]


def _missing(body: str) -> list[str]:
    return re.findall(r'class="missing">([^<]*)', body)


def _assert_real_images(body: str, at_least: int) -> None:
    images = _images(body)
    assert len(images) >= at_least
    for data in images:
        w, h = png_size(data)
        assert w > 100 and h > 100


# ----- anomaly -----------------------------------------------------------------------------------------------------
def _scores(seed: int, shift: float):
    from edgenn.training.anomaly_scores import AnomalyScores

    rng = np.random.default_rng(seed)
    process = np.r_[np.zeros(900, int), np.ones(600, int), np.full(300, 2), np.full(200, 3)]
    s = rng.normal(0.0, 1.0, process.size)
    s[process == 2] += shift
    s[process == 3] += shift / 2
    return AnomalyScores(s, process, process < 2, PROCESSES, SIGNALS, "synthetic")


def _stage(d: Path, stage: str, scores, *, plot: bool, save_scores: bool, extra: dict | None = None) -> dict:
    from edgenn.io import atomic_write_json
    from edgenn.manifest import write_manifest
    from edgenn.training.anomaly_metrics import anomaly_metrics, plot_score_distributions

    d.mkdir(parents=True)
    metrics = {"task": "anomaly", "family": "autoencoder",
               **anomaly_metrics(scores.scores, scores.process, PROCESSES, scores.background, SIGNALS, fpr=FPR),
               "num_params": 1234, "split_sizes": {"train": 700, "val": 300, "test": scores.scores.size},
               **(extra or {})}
    atomic_write_json(d / "metrics.json", metrics)
    (d / "recipe.yml").write_text("name: ad\ndata: {kind: events, path: data/events}\nmodel: {family: autoencoder}\n")
    if plot:
        groups = {"background": scores.background,
                  **{n: scores.process == PROCESSES.index(n) for n in SIGNALS}}
        plot_score_distributions(scores.scores, groups, d / "scores.png", threshold=metrics["threshold"])
    if save_scores:
        scores.save(d / "scores.npz")
    write_manifest(d, stage=stage)
    return metrics


@pytest.fixture
def anomaly_run(tmp_path) -> Path:
    from edgenn.io import atomic_write_json

    run = tmp_path / "runs" / "ad"
    _stage(run / "train", "train", _scores(1, 3.0), plot=True, save_scores=True)
    atomic_write_json(run / "train" / "history.json", {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.7, 0.5]})
    summary = {"auc": {"h2_zz4l": 0.97, "ato4l": 0.84}, "efficiency": {"h2_zz4l": 0.61, "ato4l": 0.2}, "fpr": FPR,
               "fpr_resolved": True, "num_params": 1234, "num_nonzero": 600, "sparsity": 0.5}
    _stage(run / "compress", "compress", _scores(2, 2.5), plot=False, save_scores=True,
           extra={"compression": {"before": summary, "after": {**summary, "efficiency": {"h2_zz4l": 0.55}}}})
    return run


def test_anomaly_run_shows_trigger_metrics_score_plots_and_efficiency_curve(anomaly_run):
    html = write_report(anomaly_run).read_text()
    assert "performance" not in re.findall(r'<section id="([^"]+)">', html)  # no ROC section for a score
    body = _section(html, "anomaly")
    assert _missing(body) == []
    # two score distributions (the train stage's own scores.png, the compress one drawn from scores.npz) + the curve
    _assert_real_images(body, 3)
    assert "Signal efficiency vs background rate" in body and "400 kHz" in body  # 0.01 x 40 MHz
    train = json.loads((anomaly_run / "train" / "metrics.json").read_text())
    for s in SIGNALS:
        assert f"AUC {s} vs SM background" in body
        assert f"<td>{train['auc'][s]:.4g}</td>" in body and f"<td>{train['efficiency'][s]:.3g}</td>" in body
    ds = _section(html, "dataset")
    assert _missing(ds) == [] and "<td>h2_zz4l</td>" not in ds and "signal: h2_zz4l" in ds
    training = _section(html, "training")
    assert _missing(training) == [] and len(_images(training)) == 1  # drawn from history.json
    comp = _section(html, "compression")
    assert "ε_S h2_zz4l at FPR 0.01" in comp and "<td>0.55</td>" in comp


def test_efficiency_curve_agrees_with_the_stage_metric():
    """The curve's point at the target FPR is the efficiency anomaly_metrics reports (same threshold convention)."""
    from edgenn.reporting.curves import efficiency_vs_fpr
    from edgenn.training.anomaly_metrics import anomaly_metrics

    scores = _scores(5, 2.0)
    curves = efficiency_vs_fpr(scores)
    n_bkg = int(scores.background.sum())
    for fpr in (1.0 / n_bkg, 0.01, 0.1):
        m = anomaly_metrics(scores.scores, scores.process, PROCESSES, scores.background, SIGNALS, fpr=fpr)
        allowed = np.floor(fpr * n_bkg) / n_bkg
        for s in SIGNALS:
            x, eff = curves[s]
            assert np.all(np.diff(x) >= 0) and np.all(np.diff(eff) >= -1e-12)  # efficiency rises with the rate
            assert eff[np.flatnonzero(np.isclose(x, allowed))[0]] == pytest.approx(m["efficiency"][s])


def test_anomaly_export_adds_firmware_column(anomaly_run, tmp_path):
    from edgenn.io import atomic_write_json
    from edgenn.manifest import write_manifest

    fw = tmp_path / "firmware" / "ad" / "fpga"
    fw.mkdir(parents=True)
    figs = {f"auc.{s}": {"value": v, "unit": "fraction", "method": "csim"} for s, v in zip(SIGNALS, (0.9125, 0.7))}
    figs.update({f"efficiency.{s}": {"value": v, "unit": "fraction", "method": "csim"}
                 for s, v in zip(SIGNALS, (0.4375, 0.125))})
    atomic_write_json(fw / "report.json", {"schema_version": 1, "target": "fpga", "name": "ad", "task": "anomaly",
                                           "figures": figs, "lineage": {"model_dir": str(anomaly_run / "compress")}})
    write_manifest(fw, stage="export-fpga")
    html = write_report(fw).read_text()
    body = _section(html, "anomaly")
    assert "firmware (C sim)" in body and "<td>0.9125</td>" in body and "<td>0.438</td>" in body
    _assert_real_images(body, 3)
    for name in ("profile", "bitexact", "resources"):  # absent from this report.json: said, not failed
        assert _missing(_section(html, name)), name


def test_anomaly_stage_without_scores_still_renders_with_notices(tmp_path):
    d = tmp_path / "runs" / "ad" / "train"
    _stage(d, "train", _scores(3, 2.0), plot=False, save_scores=False)
    html = write_report(d).read_text()
    body = _section(html, "anomaly")
    notices = " ".join(_missing(body))
    assert "scores.png and the test-event scores" in notices and "per-event test scores" in notices
    assert "AUC h2_zz4l vs SM background" in body  # the metrics table needs no scores
    # said why, with the re-run that writes them; nothing was re-run (the directory has no model to run anyway)
    assert f"{d / 'scores.npz'}</code>: no test-event scores saved; re-run `edgenn train &lt;recipe&gt;`" in \
        _section(html, "problems")


# ----- scan --------------------------------------------------------------------------------------------------------
def _trial_rows(n: int) -> list[dict]:
    """Rows in edgenn.scan.tables.trial_rows's layout (figures with their methods, objectives, state, notes)."""
    rng = np.random.default_rng(4)
    rows = []
    for t in range(n):
        failed = t % 7 == 6
        row = {"trial": t, "state": "FAIL" if failed else "COMPLETE", "param.weight_bits": int(rng.integers(3, 9)),
               "param.sparsity": float(rng.choice([0.0, 0.3, 0.6]))}
        if not failed:
            acc, lut, lat = float(rng.uniform(0.5, 0.75)), float(rng.uniform(5e3, 9e4)), float(rng.integers(8, 30))
            row.update({"objective.accuracy": acc, "objective.lut_dsp": lut + 141 * 5, "objective.latency_cycles": lat,
                        "accuracy": acc, "test_accuracy": acc - 0.01, "lut": lut, "lut_method": "analytic",
                        "dsp": 5.0, "dsp_method": "analytic", "latency_cycles": lat,
                        "latency_cycles_method": "analytic"})
        row.update({"feasible": None if failed else True, "violated": "", "bit_exact_expected": True,
                    "bit_exact": None, "seconds": 12.5, "run_dir": f"/scans/x/trials/{t:04d}",
                    "note": "interrupted; re-run" if failed else ""})
        rows.append(row)
    return rows


def _scan_dir(d: Path, rows: list[dict], *, summary: bool = True) -> list[dict]:
    from edgenn.config.scan import ScanSpace
    from edgenn.io import atomic_write_json, atomic_write_text
    from edgenn.scan.tables import pareto_markdown, pareto_rows, plot_pareto, write_csv

    space = ScanSpace.model_validate({"space": {"weight_bits": {"low": 3, "high": 8}, "sparsity": [0.0, 0.3, 0.6]}})
    front = pareto_rows(rows, space)
    d.mkdir(parents=True)
    (d / "study.db").write_bytes(b"")
    write_csv(d / "trials.csv", rows)
    write_csv(d / "pareto.csv", front)
    atomic_write_text(d / "pareto.md", pareto_markdown(front, space))
    plot_pareto(d / "pareto.png", rows, front, space)
    if summary:
        atomic_write_json(d / "scan.json", {
            "schema_version": 1, "recipe": {"name": "jet_mlp"}, "space": space.model_dump(mode="json"),
            "budget": None, "num_trials": len(rows), "num_complete": sum(r["state"] == "COMPLETE" for r in rows),
            "pareto_trials": [r["trial"] for r in front], "unchecked_budget_lines": [],
            "objectives": list(space.objectives), "seconds_this_call": 60.0})
    return front


def test_scan_report_shows_pareto_plot_and_tables(tmp_path):
    rows = _trial_rows(12)
    front = _scan_dir(tmp_path / "scan", rows)
    assert 0 < len(front) < 12
    html = write_report(tmp_path / "scan").read_text()
    assert re.findall(r'<section id="([^"]+)">', html)[:3] == ["overview", "pareto", "trials"]
    assert "jet_mlp" in html.split("</h1>", 1)[0]
    pareto = _section(html, "pareto")
    assert _missing(pareto) == []
    _assert_real_images(pareto, 1)
    assert "<th>lut (analytic)</th>" in pareto  # the table header names the method of its figures
    assert f"<td>{front[0]['lut']:,.0f}</td>" in pareto
    table_ids = re.findall(r"<tr><td>(\d+)</td>", pareto)
    assert table_ids == [str(r["trial"]) for r in front]  # best first, exactly the front
    trials = _section(html, "trials")
    assert re.findall(r"<tr><td>(\d+)</td>", trials) == [str(r["trial"]) for r in rows]
    failed = sum(r["state"] == "FAIL" for r in rows)
    assert failed and f"{len(rows) - failed} COMPLETE, {failed} FAIL" in trials and "interrupted; re-run" in trials


def test_long_trials_table_is_capped_with_a_note(tmp_path, monkeypatch):
    from edgenn.reporting import sections_scan

    monkeypatch.setattr(sections_scan, "MAX_TRIAL_ROWS", 5)
    _scan_dir(tmp_path / "scan", _trial_rows(9))
    trials = _section(write_report(tmp_path / "scan").read_text(), "trials")
    assert len(re.findall(r"<tr><td>\d+</td>", trials)) == 5
    assert "Showing the first 5 of 9 trials" in trials


def test_interrupted_scan_without_summary_or_front_renders_with_notices(tmp_path):
    d = tmp_path / "scan"
    _scan_dir(d, _trial_rows(4), summary=False)
    (d / "pareto.csv").unlink()
    html = write_report(d).read_text()
    assert any("scan.json" in m for m in _missing(_section(html, "overview")))
    pareto = _section(html, "pareto")
    assert any("pareto.csv" in m for m in _missing(pareto))
    _assert_real_images(pareto, 1)  # the quality-vs-LUT plot still comes from trials.csv
    assert len(re.findall(r"<tr><td>\d+</td>", _section(html, "trials"))) == 4
