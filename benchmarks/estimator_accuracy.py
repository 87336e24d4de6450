"""Accuracy of the analytic estimator against real synthesis results (corpus/synthesis/*.json).

Every corpus design is rebuilt as a Keras model with its recorded weights, converted by hls4ml 1.3 with its recorded
precisions, part, clock and reuse factor (no compile, no vendor tool), and estimated through the path `edgenn export`
uses: ``estimate(design_from_hls_model(hls_model))``. Printed: per design the estimate and the report; then the
median |error|, the fraction within 15 % / 10 % (resources) or +-1 cycle (latency), and a leave-one-design-out
check: a per-figure scale (median of reported/estimated over the other designs) is applied to the left-out design,
and its 90 % interval is the 5th-95th percentile of the other designs' scaled errors. With few designs these
intervals are crude; the count of designs is printed beside them.

    PYTHONPATH=. python benchmarks/estimator_accuracy.py [--corpus corpus/synthesis]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIGS = ("lut", "ff", "dsp", "latency_cycles")


def load_corpus(directory: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(Path(directory).glob("*.json"))]


def build_hls_model(entry: dict, out_dir: str):
    """Keras Dense/ReLU/softmax model with the recorded weights, converted with the recorded types (io_parallel)."""
    import hls4ml
    import tensorflow as tf

    layers = entry["layers"]
    dense = [l for l in layers if l["kind"] == "dense"]
    inp = tf.keras.layers.Input((dense[0]["n_in"],), name="inp")  # "input" is reserved by hls4ml
    x = inp
    for spec in layers[1:]:
        if spec["kind"] == "dense":
            x = tf.keras.layers.Dense(spec["n_out"], name=spec["name"])(x)
        elif spec["kind"] in ("relu", "softmax"):
            x = tf.keras.layers.Activation(spec["kind"], name=spec["name"])(x)
        else:
            raise ValueError(f"{entry['id']}: layer kind {spec['kind']!r} is not rebuilt by this benchmark")
    model = tf.keras.Model(inp, x)
    for spec in dense:
        w = np.asarray(spec["weights"], dtype=np.float64).reshape(spec["n_in"], spec["n_out"])
        model.get_layer(spec["name"]).set_weights([w, np.asarray(spec["biases"])])
    backend = "Vitis" if entry["tool"] == "Vitis HLS" else "Vivado"
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend=backend)
    cfg["LayerName"]["inp"]["Precision"]["result"] = layers[0]["result_type"]
    for spec in layers[1:]:
        lc = cfg["LayerName"][spec["name"]]
        if spec["kind"] == "dense":
            lc["Precision"].update(weight=spec["weight_type"], bias=spec["bias_type"], accum=spec["accum_type"],
                                   result=spec["result_type"])
            lc["ReuseFactor"] = spec["reuse_factor"]
            lc["Strategy"] = spec["strategy"]
        else:
            lc["Precision"] = {"result": spec["result_type"]} if spec["kind"] == "relu" else lc.get("Precision", {})
    rf = max(l["reuse_factor"] for l in dense)
    cfg["Model"]["ReuseFactor"] = rf
    cfg["Model"]["Strategy"] = dense[0]["strategy"]
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=cfg, output_dir=out_dir, backend=backend, io_type=entry["io_type"],
        part=entry["part"].replace("-clg", "clg"), clock_period=entry["clock_period_ns"])


def estimate_entry(entry: dict) -> dict[str, float]:
    from edgenn.estimates import design_from_hls_model, estimate

    with tempfile.TemporaryDirectory() as tmp:
        report = estimate(design_from_hls_model(build_hls_model(entry, tmp)))
    return {k: float(getattr(report.total, k).value) for k in FIGS} | {"lower_bound": report.total.lut.bound == "lower"}


def rel(est: float, true: float) -> float:
    return (est - true) / true if true else (0.0 if est == 0 else float("inf"))


def leave_one_out(rows: list[tuple[dict, dict]]) -> dict[str, list[tuple[float, float, float, float]]]:
    """Per figure and design: (scaled estimate, interval low, interval high, true)."""
    out: dict[str, list] = {f: [] for f in FIGS}
    for i, (entry, est) in enumerate(rows):
        others = [r for j, r in enumerate(rows) if j != i]
        for f in FIGS:
            pairs = [(e[f], o["reported"][f]) for o, e in others if e[f] > 0 and o["reported"][f] > 0]
            scale = float(np.median([t / e for e, t in pairs])) if pairs else 1.0
            errs = [e * scale / t - 1 for e, t in pairs]  # in-sample errors of the others after the scale
            lo, hi = (np.percentile(errs, [5, 95]) if errs else (0.0, 0.0))
            point = est[f] * scale
            # interval on the true value: true = point / (1 + err)
            out[f].append((point, point / (1 + hi), point / (1 + lo) if lo > -1 else float("inf"),
                           float(entry["reported"][f])))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus" / "synthesis")
    ap.add_argument("--write-intervals", action="store_true",
                    help="store the measured error percentiles as edgenn/estimates/error_intervals.json")
    args = ap.parse_args(argv)
    corpus = load_corpus(args.corpus)
    rows = [(entry, estimate_entry(entry)) for entry in corpus]
    print(f"{len(rows)} designs from {len({e['source']['repository'] for e, _ in rows})} repositories\n")
    print(f"{'design':32} {'tool':14} " + " ".join(f"{f + ' est/real':>22}" for f in FIGS))
    for entry, est in rows:
        cells = [f"{est[f]:>10,.0f}/{entry['reported'][f]:<10,}" for f in FIGS]
        print(f"{entry['id']:32} {entry['tool_version']:14} " + " ".join(cells) + ("  (lower bound)" if est["lower_bound"] else ""))
    print("\nraw model (no corpus fit):")
    for f in FIGS:
        errs = [rel(est[f], e["reported"][f]) for e, est in rows]
        if f == "latency_cycles":
            within = np.mean([abs(est[f] - e["reported"][f]) <= 1 for e, est in rows])
            print(f"  {f:15} median |error| {np.median(np.abs(errs)):6.1%}   within +-1 cycle {within:.0%}")
        else:
            print(f"  {f:15} median |error| {np.median(np.abs(errs)):6.1%}   within 15 % "
                  f"{np.mean(np.abs(errs) <= .15):.0%}   within 10 % {np.mean(np.abs(errs) <= .10):.0%}")
    print(f"\nleave-one-design-out (per-figure scale fitted on the other {len(rows) - 1} designs):")
    for f, items in leave_one_out(rows).items():
        errs = [rel(p, t) for p, _, _, t in items]
        cover = np.mean([lo <= t <= hi for _, lo, hi, t in items])
        half = np.median([(hi - lo) / 2 / p for p, lo, hi, _ in items if p > 0 and np.isfinite(hi)] or [float("nan")])
        print(f"  {f:15} median |error| {np.median(np.abs(errs)):6.1%}   within 15 % {np.mean(np.abs(errs) <= .15):.0%}"
              f"   90 % interval covers {cover:.0%}   median half-width {half:.0%} of the point")
    if args.write_intervals:
        write_intervals(rows, ROOT / "edgenn" / "estimates" / "error_intervals.json")
    return 0


def write_intervals(rows: list[tuple[dict, dict]], path: Path) -> None:
    """5th/95th percentile of the raw model's relative error over the designs with every layer modelled. The model's
    constants are not fitted on this corpus per design, so these are the errors the shipped estimator makes."""
    full = [(e, est) for e, est in rows if not est["lower_bound"]]
    table = {"method": "relative error of the shipped model on corpus/synthesis, benchmarks/estimator_accuracy.py",
             "figures": {}}
    for f in FIGS:
        errs = [rel(est[f], e["reported"][f]) for e, est in full if e["reported"][f] > 0]
        table["figures"][f] = {"q5": round(float(np.percentile(errs, 5)), 4), "q95": round(float(np.percentile(errs, 95)), 4),
                               "designs": len(errs), "designs_ids": [e["id"] for e, _ in full if e["reported"][f] > 0]}
    path.write_text(json.dumps(table, indent=1) + "\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
