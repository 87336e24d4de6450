"""Jet definitions side by side, in one process and one run: per-class cost per jet and the W/Z groomed-mass check.

For each definition (default: legacy and hls4ml) and class, one shard of ``--events`` Pythia events is generated in
this process (the definitions alternate class by class, so both see the same machine load), and the script prints
jets per event, milliseconds per jet (Pythia + clustering + features), and for W and Z the fraction of jets whose
mMDT mass lies in the boson window (|m - m_V| < 15 GeV) and the fraction groomed below 30 GeV (one-prong jets).
``--detector both`` adds each definition with the optional detector response (``datasets.detector_response``)
beside it. The cost is also given in CPU milliseconds of this process per jet, which a loaded machine inflates far
less than the wall time. The last line is the same table as JSON.

    nice -n 10 python benchmarks/jet_definitions.py --events 400
    nice -n 10 python benchmarks/jet_definitions.py --events 200 --definitions hls4ml --detector both
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from edgenn.datasets.jet_data import CLASS_NAMES, FEATURE_NAMES
from edgenn.datasets.jet_definitions import JET_DEFINITIONS
from edgenn.datasets.jets_pythia import ShardSpec, generate_shard

BOSON_MASS_GEV = {"W": 80.4, "Z": 91.2}
WINDOW_GEV = 15.0


def shard(definition: str, cls: str, events: int, fast: bool, seed: int, detector: bool = False) -> ShardSpec:
    low, high = JET_DEFINITIONS[definition].pt_window
    return ShardSpec(cls=cls, shard_index=0, pythia_seed=seed, num_events=events, fast=fast, pt_hat_min=low,
                     pt_hat_max=high, pt_min=800.0, pt_max=1600.0, eta_max=2.0, jet_r=0.8, definition=definition,
                     detector=detector)


def measure(definition: str, cls: str, events: int, fast: bool, seed: int, detector: bool = False) -> dict:
    cpu = time.process_time()
    result = generate_shard(shard(definition, cls, events, fast, seed, detector))
    cpu = time.process_time() - cpu
    n = result.features.shape[0]
    row = {"jets": n, "jets_per_event": round(n / result.num_events, 3),
           "ms_per_jet": round(1e3 * result.seconds / max(n, 1), 2),
           "cpu_ms_per_jet": round(1e3 * cpu / max(n, 1), 2),
           "multiplicity": round(float(result.features[:, FEATURE_NAMES.index("j_multiplicity")].mean()), 1)}
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
    parser.add_argument("--detector", choices=("off", "on", "both"), default="off",
                        help="constituents at generator level (off), measured (on), or both side by side")
    args = parser.parse_args()

    variants = [(d, det) for d in args.definitions
                for det in {"off": (False,), "on": (True,), "both": (False, True)}[args.detector]]
    name = {v: v[0] + ("+detector" if v[1] else "") for v in variants}
    table: dict[str, dict[str, dict]] = {name[v]: {} for v in variants}
    for cls in args.classes:
        for definition, detector in variants:
            label = name[definition, detector]
            table[label][cls] = row = measure(definition, cls, args.events, args.fast, args.seed, detector)
            extra = (f"  in |m-m{cls}|<{WINDOW_GEV:.0f}: {row['in_window']:.3f}  m<30: {row['groomed_below_30']:.3f}"
                     if "in_window" in row else "")
            print(f"{label:>16} {cls}: {row['jets']:5d} jets  {row['jets_per_event']:.2f}/event  "
                  f"{row['ms_per_jet']:6.2f} ms/jet  {row['cpu_ms_per_jet']:6.2f} CPU ms/jet  "
                  f"multiplicity {row['multiplicity']}{extra}", flush=True)
    for label, rows in table.items():
        # Datasets are class-balanced, so the cost of a dataset is the plain mean of the per-class costs.
        mean = float(np.mean([r["ms_per_jet"] for r in rows.values()]))
        cpu = float(np.mean([r["cpu_ms_per_jet"] for r in rows.values()]))
        print(f"{label:>16} mean over classes: {mean:.2f} ms/jet, {cpu:.2f} CPU ms/jet")
    print(json.dumps({"events": args.events, "fast": args.fast, "table": table}))


if __name__ == "__main__":
    main()
