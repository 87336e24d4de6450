"""Event streams side by side, in one process and one run: filter efficiency, cost per event, object content.

For each (stream, process) one shard of ``--events`` Pythia events is generated in this process (streams alternate
process by process, so both see the same machine load) and the script prints the preselection efficiency, Pythia's
cross-section, milliseconds per generated event (Pythia + objects), and for the passing events the mean number of
leptons and jets and the mean MET. ``--pileup-mu 0 20`` repeats each shard with every pileup mean (same hard
events: the pileup has its own random stream); CPU milliseconds of this process are given beside the wall time. The
last line is the same table as JSON.

    nice -n 10 python benchmarks/event_streams.py --events 300
    nice -n 10 python benchmarks/event_streams.py --events 300 --processes wlnu ttbar --streams adc2021 ht_legacy
    nice -n 10 python benchmarks/event_streams.py --events 200 --fast --processes wlnu zll ttbar --pileup-mu 0 20
"""

from __future__ import annotations

import argparse
import json
import time

from edgenn.datasets.event_layout import NUM_ELECTRONS, NUM_MUONS
from edgenn.datasets.event_streams import EVENT_STREAMS
from edgenn.datasets.events_pythia import EventShardSpec, generate_event_shard

LEPTONS = slice(1, 1 + NUM_ELECTRONS + NUM_MUONS)
JETS = slice(1 + NUM_ELECTRONS + NUM_MUONS, None)


def measure(stream: str, process: str, events: int, fast: bool, seed: int, pileup_mu: float = 0.0) -> dict:
    spec = EventShardSpec(process=process, shard_index=0, pythia_seed=seed, num_events=events, fast=fast,
                          qcd_pt_hat_min=100.0, lepton_pt_min=23.0, ht_min=350.0, stream=stream, pileup_mu=pileup_mu)
    cpu = time.process_time()
    result = generate_event_shard(spec)
    cpu = time.process_time() - cpu
    objects = result.objects
    row = {"passed": int(objects.shape[0]), "generated": result.num_events,
           "efficiency": round(objects.shape[0] / result.num_events, 4), "sigma_pb": float(f"{result.sigma_gen_pb:.4g}"),
           "ms_per_event": round(1e3 * result.seconds / result.num_events, 2),
           "cpu_ms_per_event": round(1e3 * cpu / result.num_events, 2)}
    if objects.shape[0]:
        jets = objects[:, JETS, 0]
        row.update(leptons=round(float((objects[:, LEPTONS, 0] > 0).sum(axis=1).mean()), 2),
                   jets=round(float((jets > 0).sum(axis=1).mean()), 2),
                   jet_ht=round(float(jets.sum(axis=1).mean()), 1),
                   met=round(float(objects[:, 0, 0].mean()), 1))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300, help="Pythia events per (stream, process)")
    parser.add_argument("--streams", nargs="+", default=["adc2021"], choices=sorted(EVENT_STREAMS))
    parser.add_argument("--processes", nargs="+", default=None, help="default: every process of the first stream")
    parser.add_argument("--fast", action="store_true", help="MPI off")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--pileup-mu", type=float, nargs="+", default=[0.0], help="pileup means to compare")
    args = parser.parse_args()

    processes = args.processes or list(EVENT_STREAMS[args.streams[0]].process_names)
    labels = {(s, mu): s + (f"+pu{mu:g}" if mu else "") for s in args.streams for mu in args.pileup_mu}
    table: dict[str, dict[str, dict]] = {label: {} for label in labels.values()}
    for process in processes:
        for (stream, mu), label in labels.items():
            if process not in EVENT_STREAMS[stream].processes:
                continue
            table[label][process] = r = measure(stream, process, args.events, args.fast, args.seed, mu)
            extra = (f"  <leptons> {r['leptons']:.2f}  <jets> {r['jets']:.2f}  <HT> {r['jet_ht']:.0f} GeV  "
                     f"<MET> {r['met']:.1f} GeV" if r["passed"] else "")
            print(f"{label:>14} {process:12s} pass {r['passed']:4d}/{r['generated']} = {r['efficiency']:.4f}  "
                  f"sigma {r['sigma_pb']:.3g} pb  {r['ms_per_event']:6.1f} ms/event  "
                  f"{r['cpu_ms_per_event']:6.1f} CPU ms/event{extra}", flush=True)
    print(json.dumps({"events": args.events, "fast": args.fast, "table": table}))


if __name__ == "__main__":
    main()
