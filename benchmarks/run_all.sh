#!/usr/bin/env bash
# The figures recorded in BENCHMARKS.md for the jet MLP (issue 2). About 1 h on 2 cores, most of it data generation.
set -euo pipefail
cd "$(dirname "$0")/.."
E=.venv/bin/edgenn
PY=.venv/bin/python
export TF_CPP_MIN_LOG_LEVEL=3
$E data generate jets --out data/jets20k --jets-per-class "${BENCH_JETS_PER_CLASS:-20000}" --fast --seed 1
$E train models/jet_mlp_bench.yml
$E compress runs/jet_mlp_bench
$E export runs/jet_mlp_bench --target onnx
$E export runs/jet_mlp_bench --target fpga
$E check firmware/jet_mlp_bench/fpga --budget firmware/budgets/jet_mlp.yml
$PY benchmarks/jet_mlp.py --run runs/jet_mlp_bench --firmware firmware/jet_mlp_bench --data data/jets20k
$PY benchmarks/kd_seeds.py --run runs/jet_mlp_bench --seeds 3
