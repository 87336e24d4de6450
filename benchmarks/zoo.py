"""The model zoo table for BENCHMARKS.md: each zoo model (tests/zoo/zoo_models.py) exported to fpga and onnx.

Per model: exact fraction of the C simulation's logits vs the exact reference, vs float32 Keras, argmax agreement,
estimated latency / II, LUT / DSP with their method, export time of the fpga target (convert + compile + C
simulation), and whether the onnx export agrees.

    PYTHONPATH=.:tests/zoo python benchmarks/zoo.py [--rows 400] [--only NAME ...] [--out /tmp/zoo]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "zoo"))


def _row(entry, out: dict) -> str:
    fpga, onnx = out["fpga"], out["onnx"]
    if fpga["exit_code"] != 0:
        reason = fpga["output"].strip().splitlines()[-1][:120] if fpga["output"].strip() else "?"
        return f"| {entry.name} | {entry.origin} | not exported (exit {fpga['exit_code']}: {reason}) |" + " |" * 7
    r = fpga["report"]
    b, f = r["bitexact"], r["figures"]
    claim = "exact by construction" if b["outputs"][0]["bit_exact_expected"] else "measured"
    float_exact = f.get("float_agreement.logits_exact_fraction", {}).get("value")
    lat, ii = f.get("latency_cycles", {}), f.get("ii_cycles", {})
    lut, dsp = f.get("lut", {}), f.get("dsp", {})
    bound = " (lower bound)" if lat.get("bound") == "lower" else ""
    onnx_ok = (f"{onnx['report']['figures']['onnx_argmax_agreement']['value']:.4f}" if onnx["exit_code"] == 0
               else f"exit {onnx['exit_code']}")
    return (f"| {entry.name} | {entry.origin} | {b['exact_fraction']:.5f} ({claim}) | "
            f"{'' if float_exact is None else f'{float_exact:.5f}'} | {b['argmax_agreement']:.5f} | "
            f"{lat.get('value', '')}{bound} / {ii.get('value', '')} | {lut.get('value', 0):.0f} / "
            f"{dsp.get('value', 0):.0f} ({lut.get('method', '')}) | {fpga['seconds']:.0f} | {onnx_ok} |")


def main() -> None:
    from zoo_models import ZOO
    from zoo_run import export_zoo_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="zoo_"))
    print("| model | written as | exact fraction vs exact reference | vs float32 Keras | argmax agreement | "
          "latency / II (cycles) | LUT / DSP (method) | fpga export s | onnx argmax agreement |")
    print("|---|---|---:|---:|---:|---|---|---:|---:|")
    for entry in ZOO:
        if args.only and entry.name not in args.only:
            continue
        print(_row(entry, export_zoo_model(entry, base / entry.name, rows=args.rows)), flush=True)


if __name__ == "__main__":
    main()
