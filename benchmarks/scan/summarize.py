"""Write docs/scan_benchmarks.md from the benchmark scans (run by benchmarks/scan/run.sh).

Trials per hour come from the study itself: finished trials / (last finish - first start), so the time to start
workers and load TensorFlow is included, as a user would see it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANS = ROOT / "scans"


def throughput(out: Path) -> tuple[int, float] | None:
    import optuna

    db = out / "study.db"
    if not db.is_file():
        return None
    study = optuna.load_study(study_name="edgenn-scan", storage=f"sqlite:///{db}")
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    if not done:
        return None
    start = min(t.datetime_start for t in done)
    end = max(t.datetime_complete for t in done)
    return len(done), len(done) / ((end - start).total_seconds() / 3600.0)


def main() -> int:
    lines = ["# Scan benchmarks", "",
             "Machine: 2 cores shared with other jobs (load average 8-11 during these runs), so absolute rates are "
             "pessimistic; the 1- vs 2-worker ratio is the useful number. Recipe and space: "
             "`benchmarks/scan/jet_mlp_recipe.yml` (jet MLP, 1000 jets per class, 8 + 6 epochs) and "
             "`benchmarks/scan/jet_mlp_space.yml` (weight bits 3-8, activation bits 4-10, sparsity 0-0.9, three "
             "hidden widths, reuse factor 1/2/4; NSGA-II seed 1). Every trial trains, prunes + QATs, and estimates "
             "LUT/DSP/latency analytically from an uncompiled hls4ml conversion.", "",
             "## Trials per hour", "",
             "Same 6 trials in both runs (the first NSGA-II generation is seeded random sampling, and the driver asks "
             "in trial order), so both runs do identical work.", "",
             "| workers | trials | trials per hour |", "|---:|---:|---:|"]
    rates = {}
    for w in (1, 2):
        r = throughput(SCANS / f"throughput_w{w}")
        rates[w] = r
        lines.append(f"| {w} | {r[0] if r else '-'} | {f'{r[1]:.1f}' if r else 'not run'} |")
    if rates[1] and rates[2]:
        lines += ["", f"Speed-up with 2 workers: **{rates[2][1] / rates[1][1]:.2f}x**. Batches of 2 wait for their "
                      "slower trial (that is what makes the suggestions independent of timing), and the two workers "
                      "share two busy cores with other jobs."]
    lines += ["", "Commands:", "", "```",
              "edgenn data generate jets --out data/jets1k --jets-per-class 1000 --fast --seed 1",
              "edgenn scan benchmarks/scan/jet_mlp_recipe.yml --space benchmarks/scan/jet_mlp_space.yml "
              "--trials 6 --workers 1 --out scans/throughput_w1",
              "edgenn scan benchmarks/scan/jet_mlp_recipe.yml --space benchmarks/scan/jet_mlp_space.yml "
              "--trials 6 --workers 2 --out scans/throughput_w2", "```", "",
              "## Pareto front of a 30-trial jet-MLP scan", "", "```",
              "edgenn scan benchmarks/scan/jet_mlp_recipe.yml --space benchmarks/scan/jet_mlp_space.yml --trials 30 "
              "--workers 2 --out scans/jet_mlp_30 --budget firmware/budgets/jet_mlp.yml", "```", ""]
    big = SCANS / "jet_mlp_30"
    r = throughput(big)
    if r and (big / "pareto.md").is_file():
        lines += [f"{r[0]} complete trials ({r[1]:.1f} per hour). Accuracy on the validation split (selection), "
                  "test_accuracy on the held-out test split; LUT/DSP/latency are analytic estimates "
                  "(method `analytic`). Feasible = within `firmware/budgets/jet_mlp.yml` (its accuracy >= 0.55 and "
                  "AUC lines included); bit_exact_fraction cannot be checked without an export "
                  "(`--export-best N` does that).", "", (big / "pareto.md").read_text(), "",
                  "Plot: `scans/jet_mlp_30/pareto.png`; all trials: `scans/jet_mlp_30/trials.csv`."]
    else:
        lines.append("_Not finished yet: run the command above, then `python benchmarks/scan/summarize.py`._")
    (ROOT / "docs" / "scan_benchmarks.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
