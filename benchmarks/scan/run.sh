#!/usr/bin/env bash
# Reproduce docs/scan_benchmarks.md: throughput with 1 and 2 workers, then a 30-trial jet-MLP scan.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TF_CPP_MIN_LOG_LEVEL=3
B=benchmarks/scan
E=.venv/bin/edgenn
$E --no-progress data generate jets --out data/jets1k --jets-per-class 1000 --fast --seed 1
for w in 1 2; do
  $E --no-progress scan $B/jet_mlp_recipe.yml --space $B/jet_mlp_space.yml --trials 6 --workers $w \
     --out scans/throughput_w$w
done
$E --no-progress scan $B/jet_mlp_recipe.yml --space $B/jet_mlp_space.yml --trials 30 --workers 2 \
   --out scans/jet_mlp_30 --budget firmware/budgets/jet_mlp.yml
.venv/bin/python $B/summarize.py
