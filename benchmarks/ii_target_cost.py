"""What meeting the trigger rate costs: analytic II / latency / LUT / DSP of the shipped graph recipes' architectures,
exported with hls4ml's default ParallelizationFactor and with ``ii_target`` 5 and 1 (issue 16).

    python benchmarks/ii_target_cost.py [--particles 16]

Weights: the recipe's architecture at its QAT bit widths with Keras' initial (Glorot) weights quantized and half of
each kernel pruned at random, a stand-in for a trained model (no trained run is needed; the II and latency do not
depend on the weight values, LUT/DSP do, so treat them as the cost of a comparable, not the shipped, model).
Method: edgenn's analytic estimator on the converted hls4ml model (no g++ compile, no synthesis).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from edgenn.architectures.registry import family_params

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]


def stand_in(recipe, n: int, rng):
    from edgenn.architectures.registry import get_family

    family = get_family(recipe.model.family)
    model = family.build(family_params(recipe), (n, len(recipe.data.constituent_features)), len(recipe.data.classes),
                         recipe.compress.qat)
    for layer in model.layers:
        if getattr(layer, "kernel_quantizer_internal", None) is not None and layer.trainable:
            kernel, *rest = layer.get_weights()
            kernel = kernel * (rng.random(kernel.shape) > 0.5)
            quantizers = [layer.kernel_quantizer_internal, layer.bias_quantizer_internal]
            layer.set_weights([np.asarray(q(w)) if q is not None else w for q, w in zip(quantizers, [kernel, *rest])])
    return model


def main() -> None:
    from edgenn.config.load import load_recipe
    from edgenn.scan.estimate import design_estimate

    parser = argparse.ArgumentParser()
    parser.add_argument("--particles", type=int, default=16)
    args = parser.parse_args()
    print("| recipe | ii_target | II (cycles) | latency (cycles) | latency (ns) | LUT | FF | DSP |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in ("deepsets", "interaction_net"):
        recipe = load_recipe(ROOT / "models" / f"{name}.yml")
        model = stand_in(recipe, args.particles, np.random.default_rng(0))
        for target in (None, 5, 1):
            fpga = recipe.export.fpga.model_copy(update={"ii_target": target, "input_rate_mhz": None, "layers": {}})
            t = design_estimate(model, fpga, None)[0].total
            print(f"| {name} N={args.particles} | {target or 'none (PF 1)'} | {t.ii_cycles.value:g} | "
                  f"{t.latency_cycles.value:g} | {t.latency_ns.value:g} | {t.lut.value:,.0f} | {t.ff.value:,.0f} | "
                  f"{t.dsp.value:g} |", flush=True)


if __name__ == "__main__":
    main()
