"""How the linear graph family's firmware cost grows with the number of particles (issue 16): LUT, latency and II of
``models/jedi_linear.yml``'s architecture at N = 8, 16, 32, exported with its own settings (distributed arithmetic,
ii_target 1).

    PYTHONPATH=. python benchmarks/jedi_linear_scaling.py [--particles 8,16,32] [--recipe models/jedi_linear.yml]
    PYTHONPATH=. python benchmarks/jedi_linear_scaling.py --recipe models/deepsets.yml --distributed-arithmetic
    PYTHONPATH=. python benchmarks/jedi_linear_scaling.py --global-term concatenated   # jedi_linear before factoring

Weights: the recipe's QAT bit widths on Keras' initial weights, quantized, half of each kernel pruned at random
(``ii_target_cost.stand_in``, a stand-in for a trained model), seeded so that every N gets the same per-particle
kernels: only the number of their copies and the N-sized fixed sum/broadcast layers change with N.
Method: hls4ml 1.3's DA conversion (da4ml solves every Dense/Conv kernel) and ``estimates.da4ml_cost``: LUT = the
kernels' da4ml adder-bit cost times their parallel copies plus one LUT per output bit of the other layers; latency =
da4ml adder depth at 1 ns per level, one register per layer; the recipe's softmax policy applied as the export does
(``drop``: the firmware ends at the logits); no g++ compile, no synthesis, no Vivado. ``estimate_da`` adds the
cycles of every layer, branches included; the "longest path" column adds the same per-layer cycles along the
slowest input-to-output path of the Keras graph only (jedi_linear's global branch runs beside node_0).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    from ii_target_cost import stand_in

    from edgenn.config.load import load_recipe
    from edgenn.estimates.da4ml_cost import estimate_da
    from edgenn.exporters import HlsSettings, export_hls
    from edgenn.exporters.softmax_policy import apply_policy

    parser = argparse.ArgumentParser()
    parser.add_argument("--particles", default="8,16,32")
    parser.add_argument("--recipe", type=Path, default=ROOT / "models" / "jedi_linear.yml")
    parser.add_argument("--global-term", choices=["factored", "concatenated"], default=None,
                        help="jedi_linear only: override the recipe's model.params.global_term")
    parser.add_argument("--distributed-arithmetic", action="store_true",
                        help="export another family's recipe with DA at ii_target 1 too, for a like-for-like row")
    args = parser.parse_args()
    recipe = load_recipe(args.recipe)
    if args.global_term is not None:
        model_spec = recipe.model.model_copy(update={"params": {**recipe.model.params, "global_term": args.global_term}})
        recipe = recipe.model_copy(update={"model": model_spec})
    fpga = recipe.export.fpga
    if args.distributed_arithmetic:
        fpga = fpga.model_copy(update={"strategy": "distributed_arithmetic", "reuse_factor": 1, "ii_target": 1,
                                       "input_rate_mhz": None})
    settings = HlsSettings.from_spec(fpga)
    print(f"recipe {args.recipe.name}: strategy {fpga.strategy}, ii_target {fpga.ii_target}, "
          f"clock {fpga.clock_period_ns} ns")
    print("| N | II (cycles) | latency (cycles) | latency (ns) | longest path (cycles) | LUT (da4ml) | "
          "per-particle kernel LUT | aggregate+broadcast LUT | LUT / N | convert (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    import tensorflow as tf

    for n in (int(v) for v in args.particles.split(",")):
        tf.keras.utils.set_random_seed(0)  # the same shared per-particle kernels at every N
        model, _ = apply_policy(stand_in(recipe, n, np.random.default_rng(0)), recipe.export.softmax)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="edgenn-jedi-") as tmp:
            project = export_hls(model, Path(tmp) / "hls", settings, compile=False)
            report = estimate_da(project.hls_model)
        seconds = time.perf_counter() - t0
        by_name = {e.name: e for e in report.layers}
        fixed = sum(by_name[k].lut.value for k in ("aggregate", "broadcast") if k in by_name)
        kernels = sum(e.lut.value for e in report.layers if e.lut.method == "da4ml") - fixed
        t = report.total
        path = longest_path(model, {e.name: int(e.latency_cycles.value) for e in report.layers})
        print(f"| {n} | {t.ii_cycles.value:g} | {t.latency_cycles.value:g} | {t.latency_ns.value:g} | {path} | "
              f"{t.lut.value:,.0f} | {kernels:,.0f} | {fixed:,.0f} | {t.lut.value / n:,.0f} | {seconds:.0f} |",
              flush=True)


def longest_path(model, cycles: dict[str, int]) -> int:
    """Cycles along the slowest path of the Keras graph (layers without an estimate, wiring, count 0)."""
    from edgenn.exporters.precision_graph import inbound_names

    inbound, done = inbound_names(model), {}
    for layer in model.layers:  # topological order
        done[layer.name] = cycles.get(layer.name, 0) + max((done[n] for n in inbound[layer.name]), default=0)
    return max(done.values())


if __name__ == "__main__":
    main()
