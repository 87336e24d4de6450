"""Jet definitions side by side, in one process and one run: per-class cost per jet and the W/Z groomed-mass check.

For each definition (default: legacy and hls4ml) and class, one shard of ``--events`` Pythia events is generated in
this process (the definitions alternate class by class, so both see the same machine load), and the script prints
jets per event, milliseconds per jet (Pythia + clustering + features), and for W and Z the fraction of jets whose
mMDT mass lies in the boson window (|m - m_V| < 15 GeV) and the fraction groomed below 30 GeV (one-prong jets).
The last line is the same table as JSON.

    nice -n 10 python benchmarks/jet_definitions.py --events 400
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from edgenn.datasets.jet_data import CLASS_NAMES, FEATURE_NAMES
from edgenn.datasets.jet_definitions import JET_DEFINITIONS
from edgenn.datasets.jets_pythia import ShardSpec, generate_shard

BOSON_MASS_GEV = {"W": 80.4, "Z": 91.2}
WINDOW_GEV = 15.0


def shard(definition: str, cls: str, events: int, fast: bool, seed: int) -> ShardSpec:
    low, high = JET_DEFINITIONS[definition].pt_window
    return ShardSpec(cls=cls, shard_index=0, pythia_seed=seed, num_events=events, fast=fast, pt_hat_min=low,
                     pt_hat_max=high, pt_min=800.0, pt_max=1600.0, eta_max=2.0, jet_r=0.8, definition=definition)


def measure(definition: str, cls: str, events: int, fast: bool, seed: int) -> dict:
    result = generate_shard(shard(definition, cls, events, fast, seed))
    n = result.features.shape[0]
    row = {"jets": n, "jets_per_event": round(n / result.num_events, 3),
           "ms_per_jet": round(1e3 * result.seconds / max(n, 1), 2)}
    if cls in BOSON_MASS_GEV:
        mass = result.features[:, FEATURE_NAMES.index("j_mass_mmdt")]
        row["in_window"] = round(float(np.mean(np.abs(mass - BOSON_MASS_GEV[cls]) < WINDOW_GEV)), 3)
        row["groomed_below_30"] = round(float(np.mean(mass < 30.0)), 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=400, help="Pythia events per (definition, class)")
    parser.add_argument("--definitions", nargs="+", default=["legacy", "hls4ml"], choices=sorted(JET_DEFINITIONS))
    parser.add_argument("--classes", nargs="+", default=list(CLASS_NAMES), choices=CLASS_NAMES)
    parser.add_argument("--fast", action="store_true", help="MPI off (default: on, as the definitions prescribe)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    table: dict[str, dict[str, dict]] = {d: {} for d in args.definitions}
    for cls in args.classes:
        for definition in args.definitions:
            table[definition][cls] = row = measure(definition, cls, args.events, args.fast, args.seed)
            extra = (f"  in |m-m{cls}|<{WINDOW_GEV:.0f}: {row['in_window']:.3f}  m<30: {row['groomed_below_30']:.3f}"
                     if "in_window" in row else "")
            print(f"{definition:>7} {cls}: {row['jets']:5d} jets  {row['jets_per_event']:.2f}/event  "
                  f"{row['ms_per_jet']:6.2f} ms/jet{extra}", flush=True)
    for definition, rows in table.items():
        # Datasets are class-balanced, so the cost of a dataset is the plain mean of the per-class costs.
        mean = float(np.mean([r["ms_per_jet"] for r in rows.values()]))
        print(f"{definition:>7} mean over classes: {mean:.2f} ms/jet")
    print(json.dumps({"events": args.events, "fast": args.fast, "table": table}))


if __name__ == "__main__":
    main()
