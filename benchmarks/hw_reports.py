"""Compare every estimate edgenn recorded for one model with the synthesis figures it has (Markdown table).

    edgenn export runs/jet_mlp --target rtl           # da4ml estimate + Verilator bit-exactness
    edgenn synth runs/jet_mlp --tool yosys            # Yosys counts (minutes)
    edgenn export runs/jet_mlp --target fpga          # analytic estimate (Latency strategy), optional
    python benchmarks/hw_reports.py firmware/jet_mlp

Relative error = (estimate - reference) / reference. Yosys is the reference here only because no Vivado run exists:
it is itself a pre-place-and-route count.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

FIGURES = ("lut", "ff", "dsp", "bram", "latency_cycles")


def _figures(path: Path) -> dict:
    report = path / "report.json"
    return json.loads(report.read_text())["figures"] if report.is_file() else {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("firmware", type=Path, help="firmware/<name> holding rtl/, synth-yosys/ and optionally fpga/")
    args = ap.parse_args()
    estimates = {"rtl": _figures(args.firmware / "rtl"), "fpga": _figures(args.firmware / "fpga")}
    references = {"synth-yosys": _figures(args.firmware / "synth-yosys"),
                  "synth-vitis": _figures(args.firmware / "synth-vitis"),
                  "synth-vivado": _figures(args.firmware / "synth-vivado")}
    print("| estimate (export, method) | reference (method) | figure | estimate | reference | rel. error |")
    print("|---|---|---|---:|---:|---:|")
    # Only like with like: the RTL estimate against synthesis of that RTL; the HLS estimate against the HLS design's
    # vendor reports (the analytic Latency-strategy design is a different circuit from the da4ml RTL).
    pairs = {"rtl": ("synth-yosys",), "fpga": ("synth-vitis", "synth-vivado")}
    for ename, efigs in estimates.items():
        for rname, rfigs in ((r, references[r]) for r in pairs[ename]):
            for key in FIGURES:
                if key in efigs and key in rfigs:
                    e, r = efigs[key], rfigs[key]
                    err = f"{(e['value'] - r['value']) / r['value']:+.1%}" if r["value"] else "n/a"
                    print(f"| {ename} ({e['method']}) | {rname} ({r['method']}) | {key} | {e['value']:,.0f} | "
                          f"{r['value']:,.0f} | {err} |")


if __name__ == "__main__":
    main()
