"""Accuracy of the analytic estimator against real synthesis results (corpus/synthesis/*.json).

Every corpus design is rebuilt as a Keras model (recorded weights, or the CI test's initializer with several seeds),
converted by hls4ml 1.3 with its recorded precisions, part, clock, strategy and reuse factor (no compile, no vendor
tool), once per backend that synthesised it, and estimated through the path `edgenn export` uses:
``estimate(design_from_hls_model(hls_model))``. Printed: per report the estimate and the real figure; then per figure
the median |error| (relative for LUT/FF/DSP, cycles for latency) and the fraction within 15 % / 10 % / +-1 cycle over
the designs whose layers are all modelled; then leave-one-design-out (every tool version of a design left out
together) and leave-one-repository-out validation of the 90 % interval: the interval of a left-out design is built
from the other designs' errors only, and the table says how often it held the real figure and how wide it was.
Designs with several reports count once (each report weighs 1 / number of reports of its design).

    PYTHONPATH=. python benchmarks/estimator_accuracy.py [--corpus corpus/synthesis] [--write-intervals]
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthesis_corpus import build_hls_model, load_corpus, reports_of, seeds_of  # noqa: E402

FIGS = ("lut", "ff", "dsp", "latency_cycles")
ABSOLUTE = ("latency_cycles",)  # judged in cycles (within +-1)
# errors with an offset: (est + c) / (real + c) - 1. Many real latencies are 0 cycles, and a few DSPs (a softmax's
# multipliers, one pooling divider) come and go with scheduling, which a relative error on a count of 5 turns into
# +-100 %: the offset is the size of such a handful, not a fitted number
OFFSETS = {"latency_cycles": 2, "dsp": 8}
LATENCY_OFFSET = OFFSETS["latency_cycles"]
MIN_CLASS_DESIGNS = 6  # a design class with fewer measured designs takes the whole corpus's error quantiles

__all__ = ["FIGS", "load_corpus", "estimate_entry", "estimate_all", "error", "lodo", "main"]


def estimate_entry(entry: dict, report: dict | None = None) -> dict:
    """Estimated totals of one design for one of its reports (median over the rebuild seeds)."""
    from edgenn.estimates import design_from_hls_model, estimate

    from edgenn.estimates.intervals import design_class, interval_class

    report = report or reports_of(entry)[0]
    runs = []
    for seed in seeds_of(entry):
        with tempfile.TemporaryDirectory() as tmp:
            design = design_from_hls_model(build_hls_model(entry, report["backend"], tmp, seed))
        total = estimate(design).total
        runs.append({k: float(getattr(total, k).value) for k in FIGS} | {"lower_bound": total.lut.bound == "lower",
                                                                        "notes": list(total.notes)})
    out = {k: float(np.median([r[k] for r in runs])) for k in FIGS}
    rfs = [layer.reuse_factor for layer in design.layers]
    # each figure's interval class as the estimator picks it (intervals.FIGURE_CLASSING); "class": the design class
    classes = {f: interval_class(f, out[f], design.io_type, rfs) for f in FIGS}
    return out | {"lower_bound": runs[0]["lower_bound"], "notes": runs[0]["notes"],
                  "class": design_class(design.io_type, rfs), "classes": classes}


def estimate_all(corpus: list[dict]) -> list[dict]:
    rows = []
    for entry in corpus:
        reports = reports_of(entry)
        for report in reports:
            rows.append({"id": entry["id"], "repo": entry["source"]["repository"], "tool": report["tool"],
                         "version": report["tool_version"], "reported": report["reported"],
                         "est": estimate_entry(entry, report), "weight": 1.0 / len(reports)})
    return rows


def error(figure: str, est: float, true: float) -> float | None:
    """(est + c) / (true + c) - 1 for latency and DSP (`OFFSETS`); (est - true) / true otherwise (None when true is 0
    and est is not)."""
    if figure in OFFSETS:
        return (est + OFFSETS[figure]) / (true + OFFSETS[figure]) - 1
    return relative_error(est, true)


def relative_error(est: float, true: float) -> float | None:
    """(est - true) / true, the figure the targets judge (None when true is 0 and est is not)."""
    if true == 0:
        return 0.0 if est == 0 else None
    return (est - true) / true


def within(figure: str, est: float, true: float, tol: float) -> bool:
    if figure in ABSOLUTE:
        return abs(est - true) <= 1
    e = relative_error(est, true)
    return e is not None and abs(e) <= tol


def weighted_quantile(values: list[float], weights: list[float], q: float) -> float:
    order = np.argsort(values)
    v, w = np.asarray(values)[order], np.asarray(weights)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, v))


def interval_of(figure: str, value: float, q5: float, q95: float) -> tuple[float, float]:
    """The interval on the true value of an estimate, from the error quantiles (error = f(est, true))."""
    if figure in OFFSETS:
        c = OFFSETS[figure]
        return max(0.0, (value + c) / (1 + q95) - c), max(0.0, (value + c) / (1 + q5) - c)
    return value / (1 + q95), (value / (1 + q5) if q5 > -1 else float("inf"))


def quantiles(rows: list[dict], figure: str) -> tuple[float, float] | None:
    pairs = [(error(figure, r["est"][figure], r["reported"][figure]), r["weight"]) for r in rows]
    pairs = [(e, w) for e, w in pairs if e is not None]
    if len(pairs) < 2:
        return None
    errs, ws = zip(*pairs)
    return weighted_quantile(list(errs), list(ws), 0.05), weighted_quantile(list(errs), list(ws), 0.95)


def class_rows(rows: list[dict], cls: str | None, figure: str) -> list[dict]:
    """The rows whose quantiles serve ``figure`` of a design in class ``cls`` (its interval class for that figure):
    that class's rows, or all rows if it has too few designs or the figure is not classed (None)."""
    mine = [r for r in rows if cls is not None and r["est"]["classes"][figure] == cls]
    return mine if len({r["id"] for r in mine}) >= MIN_CLASS_DESIGNS else rows


def lodo(rows: list[dict], key: str, only_class: str | None = None) -> dict[str, dict[str, float]]:
    """Leave-one-group-out (``key`` = 'id' for designs, 'repo' for repositories) validation of the interval: a
    left-out design's interval comes from the other groups' designs of its class, as `write_intervals` stores it."""
    out = {}
    for f in FIGS:
        hits, halves, weights = [], [], []
        for group in sorted({r[key] for r in rows}):
            others = [r for r in rows if r[key] != group]
            for r in (r for r in rows if r[key] == group and only_class in (None, r["est"]["class"])):
                q = quantiles(class_rows(others, r["est"]["classes"][f], f), f)
                if q is None:
                    continue
                value, true = r["est"][f], r["reported"][f]
                lo, hi = interval_of(f, value, *q)
                hits.append(lo - 1e-9 <= true <= hi + 1e-9)
                weights.append(r["weight"])
                if value > 0 and np.isfinite(hi):
                    halves.append((hi - lo) / 2 / value)
                elif f in OFFSETS and np.isfinite(hi):
                    halves.append((hi - lo) / 2 / max(value, 1.0))  # a 0 point: the width in cycles (or DSPs)
        out[f] = {"coverage": float(np.average(hits, weights=weights)) if hits else float("nan"),
                  "median_half_width": float(np.median(halves)) if halves else float("nan"),
                  "groups": len({r[key] for r in rows})}
    return out


def design_summary(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Per figure: median |error| and fractions within tolerance, each design counted once (its reports' median)."""
    out = {}
    for f in FIGS:
        per_design, w15, w10, w1p = [], [], [], []
        for design in sorted({r["id"] for r in rows}):
            mine = [r for r in rows if r["id"] == design]
            errs = [abs(r["est"][f] - r["reported"][f]) if f in ABSOLUTE
                    else relative_error(r["est"][f], r["reported"][f]) for r in mine]
            errs = [abs(e) if e is not None else float("inf") for e in errs]
            per_design.append(float(np.median(errs)))
            w15.append(np.mean([within(f, r["est"][f], r["reported"][f], .15) for r in mine]))
            w10.append(np.mean([within(f, r["est"][f], r["reported"][f], .10) for r in mine]))
            # cycles: also within 1 % of a long design's latency, which +-1 cycle cannot judge (10^5-cycle CNNs)
            w1p.append(np.mean([abs(r["est"][f] - r["reported"][f]) <= max(1.0, 0.01 * r["reported"][f])
                                for r in mine]))
        out[f] = {"median_abs_error": float(np.median(per_design)), "within_15": float(np.mean(w15)),
                  "within_10": float(np.mean(w10)), "within_1pct": float(np.mean(w1p)), "designs": len(per_design)}
    return out


def _fmt(f: str, v: float) -> str:
    return f"{v:.1f} cycles" if f in ABSOLUTE else f"{v:.1%}"


def print_report(rows: list[dict]) -> None:
    full = [r for r in rows if not r["est"]["lower_bound"]]
    designs = {r["id"] for r in rows}
    print(f"{len(designs)} designs ({len(rows)} reports) from {len({r['repo'] for r in rows})} repositories; "
          f"{len({r['id'] for r in full})} designs have every layer modelled\n")
    print(f"{'design':42} {'tool':16} " + " ".join(f"{f + ' est/real':>22}" for f in FIGS))
    for r in rows:
        cells = [f"{r['est'][f]:>10,.0f}/{r['reported'][f]:<10,}" for f in FIGS]
        tag = "  (lower bound)" if r["est"]["lower_bound"] else ""
        print(f"{r['id']:42} {r['tool'][:6] + ' ' + r['version']:16} " + " ".join(cells) + tag)
    print("\nanalytic model, designs with every layer modelled (each design once):")
    for f, s in design_summary(full).items():
        tol = "within +-1 cycle" if f in ABSOLUTE else "within 15 %"
        extra = (f"   within 1 % or +-1 cycle {s['within_1pct']:.0%}" if f in ABSOLUTE
                 else f"   within 10 % {s['within_10']:.0%}")
        print(f"  {f:15} median |error| {_fmt(f, s['median_abs_error']):>12}   {tol} {s['within_15']:.0%}{extra}"
              f"   ({s['designs']} designs)")
    for key, label in (("id", "leave-one-design-out"), ("repo", "leave-one-repository-out")):
        print(f"\n{label}: 90 % interval from the other groups' errors")
        for f, s in lodo(full, key).items():
            print(f"  {f:15} covers {s['coverage']:.0%}   median half-width {s['median_half_width']:.0%} of the point"
                  f"   ({s['groups']} groups)")
    print("\nleave-one-design-out by design class (io type, reuse): coverage / median half-width")
    for cls in sorted({r["est"]["class"] for r in full}):
        n = len({r["id"] for r in full if r["est"]["class"] == cls})
        cells = "   ".join(f"{f} {s['coverage']:.0%} / {s['median_half_width']:.0%}"
                           for f, s in lodo(full, "id", cls).items())
        print(f"  {cls:15} ({n:2} designs)  {cells}")


def write_intervals(rows: list[dict], path: Path) -> None:
    """Error quantiles over every design with all layers modelled, with the leave-one-design-out coverage of the
    interval they give (how often a design's interval, built without it, held its real figure)."""
    full = [r for r in rows if not r["est"]["lower_bound"]]
    held = lodo(full, "id")

    def row(subset: list[dict], f: str, cls: str = "") -> dict:
        q = quantiles(subset, f)
        used = sorted({r["id"] for r in subset if error(f, r["est"][f], r["reported"][f]) is not None})
        return {"q5": round(q[0], 4), "q95": round(q[1], 4), "kind": "offset" if f in OFFSETS else "relative",
                **({"offset": OFFSETS[f]} if f in OFFSETS else {}), **({"class": cls} if cls else {}),
                "designs": len(used), "reports": sum(1 for r in subset if r["id"] in used), "designs_ids": used}

    table = {"method": "error of the shipped model on corpus/synthesis (benchmarks/estimator_accuracy.py), per interval "
                       f"class (intervals.FIGURE_CLASSING) where the class has >= {MIN_CLASS_DESIGNS} designs; LODO "
                       "coverage (over all designs, each with its class's interval built without it) validates it",
             "figures": {}, "classes": {}}
    for f in FIGS:
        table["figures"][f] = row(full, f) | {"lodo_coverage": round(held[f]["coverage"], 3),
                                              "lodo_median_half_width": round(held[f]["median_half_width"], 3)}
    for f in FIGS:
        for cls in sorted({r["est"]["classes"][f] for r in full} - {None}):
            mine = [r for r in full if r["est"]["classes"][f] == cls]
            if len({r["id"] for r in mine}) >= MIN_CLASS_DESIGNS:
                table["classes"].setdefault(cls, {})[f] = row(mine, f, cls)
    path.write_text(json.dumps(table, indent=1) + "\n")
    print(f"\nwrote {path}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus" / "synthesis")
    ap.add_argument("--write-intervals", action="store_true",
                    help="store the measured error quantiles as edgenn/estimates/error_intervals.json")
    ap.add_argument("--json", type=Path, help="also write every row (estimate and report) to this file")
    args = ap.parse_args(argv)
    rows = estimate_all(load_corpus(args.corpus))
    print_report(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    if args.write_intervals:
        write_intervals(rows, ROOT / "edgenn" / "estimates" / "error_intervals.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
