"""Benchmark figures for the jet MLP (issue 2), printed as Markdown for BENCHMARKS.md.

Run after the pipeline has produced a run and its exports, e.g.::

    edgenn data generate jets --out data/jets20k --jets-per-class 20000 --fast --seed 1
    edgenn train models/jet_mlp_bench.yml && edgenn compress runs/jet_mlp_bench
    edgenn export runs/jet_mlp_bench --target fpga && edgenn export runs/jet_mlp_bench --target onnx
    python benchmarks/jet_mlp.py --run runs/jet_mlp_bench --firmware firmware/jet_mlp_bench --data data/jets20k

It gathers the recorded figures (accuracies, AUCs, bit-exactness, ONNX latency, generation speed) and measures two
comparisons that need fresh work: the analytic estimate of the float model converted with plain hls4ml defaults, and
raw hls4ml convert+compile time against ``edgenn export``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def plain_hls4ml(model, out_dir: Path, *, compile_: bool) -> tuple[object, float, float]:
    """hls4ml with its own defaults (granularity='name'), as a user would call it by hand."""
    import contextlib
    import io

    import hls4ml

    from edgenn.exporters.hls import hls_compatible

    model = hls_compatible(model)  # hls4ml refuses a layer named 'input'; the rename is the only change
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
        hm = hls4ml.converters.convert_from_keras_model(model, hls_config=config, output_dir=str(out_dir),
                                                        backend="Vitis", io_type="io_parallel",
                                                        part="xcvu13p-flga2577-2-e", clock_period=5)
    t_convert = time.perf_counter() - t0
    t_compile = 0.0
    if compile_:
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            hm.compile()
        t_compile = time.perf_counter() - t0
    return hm, t_convert, t_compile


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--firmware", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    args = ap.parse_args()

    from edgenn.artifacts import ModelArtifact
    from edgenn.datasets import benchmark_pythia
    from edgenn.estimates import design_from_hls_model, estimate

    train_m = _load(args.run / "train" / "metrics.json")
    comp_m = _load(args.run / "compress" / "metrics.json")
    fpga = _load(args.firmware / "fpga" / "report.json")
    fpga_manifest = _load(args.firmware / "fpga" / "manifest.json")
    onnx = _load(args.firmware / "onnx" / "report.json")["onnx"]
    gen = _load(args.data / "manifest.json")

    out = ["## Jet MLP (issue 2)", ""]
    out.append(f"Dataset: {args.data} ({gen.get('counts', {})}), test split {train_m['num_samples']} jets.")
    out += ["", "| model | accuracy | AUC q | AUC g | AUC W | AUC Z | AUC t | 1/eps_B t | 1/eps_B W | 1/eps_B Z |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for label, m in (("float", train_m), ("compressed (software)", comp_m)):
        a, r = m["auc"], m["rejection_at_50"]
        out.append(f"| {label} | {m['accuracy']:.4f} | " + " | ".join(f"{a[c]:.4f}" for c in "qgWZt") + " | "
                   + " | ".join(f"{r[c]:.1f}" for c in "tWZ") + " |")
    fig = fpga["figures"]
    out.append(f"| firmware (C sim) | {fig['accuracy']['value']:.4f} | "
               + " | ".join(f"{fig['auc.' + c]['value']:.4f}" for c in "qgWZt") + " | - | - | - |")
    after = comp_m["compression"]["after"]
    bits = sorted({b["weight"] for b in after["bits"].values()})
    out += ["", f"Compression (prune + QAT + KD): kernel sparsity {after['sparsity']:.3f}, weight bits {bits}, "
                f"BOPs {comp_m['compression']['before']['bops']['total']:,.0f} -> {after['bops']['total']:,.0f}; "
                f"accuracy drop float -> firmware {fig['accuracy_drop']['value']:.4f}."]
    b = fpga["bitexact"]
    out.append(f"Bit-exactness: {b['exact_fraction']:.6f} of {b['num_values']} logits on {b['num_samples']} "
               f"held-out jets (max |Δ| {b['max_abs_diff']:.3g}).")

    # Estimates: edgenn's compressed export vs the float model converted by plain hls4ml defaults.
    float_model = ModelArtifact.load(args.run / "train").load_model()
    comp_model = ModelArtifact.load(args.run / "compress").load_model()
    with tempfile.TemporaryDirectory() as tmp:
        hm_float, _, _ = plain_hls4ml(float_model, Path(tmp) / "float", compile_=False)
        est_float = estimate(design_from_hls_model(hm_float)).total
        _, t_conv, t_comp = plain_hls4ml(comp_model, Path(tmp) / "raw", compile_=True)
    ours = fpga["resources"]["total"]
    out += ["", "| design (analytic estimate, not synthesis) | LUT | FF | DSP | BRAM18 | latency (cycles) | II |",
            "|---|---|---|---|---|---|---|",
            f"| edgenn compressed, exact minimal types | {ours['lut']['value']:,.0f} | {ours['ff']['value']:,.0f} | "
            f"{ours['dsp']['value']:,.0f} | {ours['bram']['value']:,.0f} | {ours['latency_cycles']['value']:.0f} | "
            f"{ours['ii_cycles']['value']:.0f} |",
            f"| float model, plain hls4ml defaults | {est_float.lut.value:,.0f} | {est_float.ff.value:,.0f} | "
            f"{est_float.dsp.value:,.0f} | {est_float.bram.value:,.0f} | {est_float.latency_cycles.value:.0f} | "
            f"{est_float.ii_cycles.value:.0f} |"]
    t = fpga_manifest["timings_s"]
    out += ["", f"`edgenn export --target fpga` wall time {t['total']:.1f} s (convert {t['convert']:.1f} s, compile "
                f"{t['compile']:.1f} s, C sim of {b['num_samples']} samples with per-layer trace {t['csim']:.1f} s, plus "
                f"estimates and reports) vs raw hls4ml convert {t_conv:.1f} s + compile {t_comp:.1f} s "
                f"= {t_conv + t_comp:.1f} s (no validation, no report)."]
    out += ["", f"Batch-1 latency (median / p90, µs): onnxruntime {onnx['ort_latency_us_batch1'][0]:.0f} / "
                f"{onnx['ort_latency_us_batch1'][1]:.0f}; Keras model(x) {onnx['keras_call_latency_us_batch1'][0]:.0f} / "
                f"{onnx['keras_call_latency_us_batch1'][1]:.0f}; Keras predict {onnx['keras_latency_us_batch1'][0]:.0f} / "
                f"{onnx['keras_latency_us_batch1'][1]:.0f}."]
    ev = {cls: benchmark_pythia(300, cls, True) for cls in ("q", "W")}
    out += ["", f"Data generation: {gen.get('jets_per_second') or float('nan'):.1f} jets/s end to end "
                f"({gen.get('wall_seconds', float('nan')):.0f} s wall, MPI off, {gen.get('config', {}).get('workers')} workers) "
                f"vs Pythia alone (MPI off, one process): q {ev['q']:.0f} ev/s, W {ev['W']:.0f} ev/s."]
    print("\n".join(out))


if __name__ == "__main__":
    main()
