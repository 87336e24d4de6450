"""What separates edgenn's default jets from the public hls4ml jets, measured one candidate definition at a time.

Every variant is the default (``hls4ml`` definition, MPI on, seed 1) with one thing changed: a different jet
definition (``hls4ml-sample-labels``: no truth matching; ``hls4ml-z-no-b``: Z -> u d s c only), the jet window, the
optional detector response; two noise variants repeat the default with another data seed and another training
seed. Each is trained with the public baseline recipe of ``physics_validation.py`` (16-64-32-32-5, L1 1e-4, 60/20/20
split) on the same number of jets per class, and its accuracy and per-class AUCs are printed beside the default's and
the published figures.

Generation is paired and cheap: for every (class, shard index) the variants whose Pythia settings agree share one
Pythia run (``datasets.generate.run_shard_group``), so they see the same events, and each variant's shards land in
the shard cache under the keys ``edgenn data generate jets`` uses, so any variant's data can be remade or extended
with the plain CLI. The run is resumable twice over: cached shards are not regenerated, and finished result cells
(``benchmarks/results/definition_gap/<variant>_jets<N>.json``) are not retrained.

    nice -n 3 python benchmarks/definition_gap.py --jets-per-class 4000 --workers 2
    python benchmarks/definition_gap.py --jets-per-class 4000 --only default detector   # a subset
    python benchmarks/definition_gap.py --jets-per-class 4000 --table                   # print the cells only
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from physics_validation import PUBLISHED, baseline_recipe, trained_test_figures

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# name -> (what it is, JetGenConfig fields, training overrides, recipe seed)
VARIANTS: dict[str, tuple[str, dict, dict, int | None]] = {
    "default": ("hls4ml, MPI on, data seed 1, truth-matched labels", {}, {}, None),
    "default-train43": ("noise: the default data, recipe seed 43 (other split and initialisation)", {}, {}, 43),
    "sample-labels": ("every jet in the window labelled by its sample (no truth matching), as the public ntuples",
                      {"definition": "hls4ml-sample-labels"}, {}, None),
    "public-selection": ("sample labels, and the public files' jet ranges instead of 800-1600 GeV, |eta| < 2: "
                         "pT 150-3200 GeV, |eta| < 2.7",
                         {"definition": "hls4ml-sample-labels", "pt_min": 150.0, "pt_max": 3200.0, "eta_max": 2.7},
                         {}, None),
    "z-no-b": ("Z -> u d s c only (no b b-bar), as MadGraph's default 4-flavour j", {"definition": "hls4ml-z-no-b"},
               {}, None),
    "detector": ("optional detector response (tracker + 0.087 x 5 deg towers, Delphes CMS card resolutions)",
                 {"detector": True}, {}, None),
    "detector-public-selection": ("both together: measured constituents, sample labels, the public jet ranges",
                                  {"detector": True, "definition": "hls4ml-sample-labels", "pt_min": 150.0,
                                   "pt_max": 3200.0, "eta_max": 2.7}, {}, None),
    "particle-pt1": ("visible particles with pT > 1 GeV only, near the public files' constituent counts",
                     {"definition": "hls4ml-particle-pt1"}, {}, None),
    "default-seed2": ("noise: the default with data seed 2 (other events)", {"seed": 2}, {}, None),
}
ORDER = ("g", "q", "t", "W", "Z")
BOSON_MASS_GEV = {"W": 80.4, "Z": 91.2}


def configs(names: list[str], jets_per_class: int, workers: int) -> dict[str, object]:
    from edgenn.datasets import JetGenConfig

    return {name: JetGenConfig(jets_per_class=jets_per_class, workers=workers, **VARIANTS[name][1]) for name in names}


def _pending_groups(cfgs: dict, cache, versions: dict, in_flight: set,  # noqa: ANN001 - ShardCache
                    counts: dict[str, int]) -> list[tuple[tuple, list, list]]:
    """Shard groups to run now: per (variant, class), the first uncached shards of the prefix that should reach the
    target (at the yield seen so far); specs with identical Pythia runs are grouped."""
    from edgenn.datasets.generate import shard_cache_key, shard_spec

    groups: dict[tuple, tuple[list, list]] = {}
    for cfg in cfgs.values():
        for cls in cfg.classes:
            total, index, made = 0, 0, []
            while total < cfg.jets_per_class:
                spec = shard_spec(cfg, cls, index)
                key = shard_cache_key(spec, versions)
                if key not in counts and (entry := cache.get(key)) is not None:
                    counts[key] = entry[0]["features"].shape[0]  # shards never change once cached
                if key in counts:
                    n = counts[key]
                    made.append(n / max(spec.num_events, 1))
                else:
                    n = int(spec.num_events * (np.mean(made) if made else 1.5))
                    run = (cls, index, tuple(spec.settings()))
                    if run not in in_flight:
                        specs, keys = groups.setdefault(run, ([], []))
                        if key not in keys:
                            specs.append(spec)
                            keys.append(key)
                total += n
                index += 1
    return [(run, specs, keys) for run, (specs, keys) in groups.items()]


def generate(cfgs: dict, workers: int) -> None:
    """Fill the shard cache for every variant's dataset, one Pythia run per group of specs that share it."""
    from edgenn.datasets.cache import ShardCache, default_cache_dir
    from edgenn.datasets.generate import run_shard_group
    from edgenn.datasets.jets_pythia import library_versions
    from edgenn.datasets.shard_scheduler import worker_init

    cache, versions = ShardCache(default_cache_dir("jets")), library_versions()
    in_flight: dict = {}
    counts: dict[str, int] = {}
    start, done = time.perf_counter(), 0
    with ProcessPoolExecutor(max_workers=workers, initializer=worker_init,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        while True:
            for run, specs, keys in _pending_groups(cfgs, cache, versions, set(in_flight.values()), counts):
                if len(in_flight) >= 2 * workers:
                    break
                in_flight[pool.submit(run_shard_group, specs, str(cache.directory), keys)] = run
            if not in_flight:
                return
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                cls, index, _settings = in_flight.pop(future)
                shards = future.result()
                done += 1
                print(f"  shard {cls}#{index}: {len(shards)} variant(s), "
                      + ", ".join(str(a['features'].shape[0]) for a, _ in shards) + " jets; "
                      f"{done} groups in {time.perf_counter() - start:.0f} s", flush=True)


def physics(data_path: Path) -> dict:
    """Per class: mean multiplicity and (W, Z) the fraction of groomed masses within 15 GeV of the boson mass."""
    from edgenn.datasets.jet_data import FEATURE_NAMES, load_jets

    data = load_jets(data_path)
    mult, mass = FEATURE_NAMES.index("j_multiplicity"), FEATURE_NAMES.index("j_mass_mmdt")
    out = {}
    for k, cls in enumerate(data.class_names):
        rows = data.features[data.labels == k]
        out[cls] = {"multiplicity": round(float(rows[:, mult].mean()), 1)}
        if cls in BOSON_MASS_GEV:
            out[cls]["in_window"] = round(float(np.mean(np.abs(rows[:, mass] - BOSON_MASS_GEV[cls]) < 15.0)), 3)
    return out


def cell(name: str, cfg, args) -> dict:  # noqa: ANN001 - JetGenConfig
    import edgenn
    from edgenn.datasets import generate_jets
    from edgenn.io import atomic_write_json

    path = args.results / f"{name}_jets{5 * cfg.jets_per_class}.json"
    if path.is_file():
        return json.loads(path.read_text())
    what, _fields, train, seed = VARIANTS[name]
    data_dir = args.data / f"{name}_{cfg.jets_per_class}"
    data_path = generate_jets(cfg, data_dir, progress=False)  # every shard is cached by now
    recipe = baseline_recipe(data_dir, f"gap_{name}", args.epochs, train=train, seed=seed)
    train_dir = args.run / f"{name}_{cfg.jets_per_class}" / "train"
    if not (train_dir / "manifest.json").is_file():
        edgenn.train(recipe, out=train_dir, progress=False, report=False)
    result = {"variant": name, "what": what, "config": cfg.model_dump(mode="json", exclude={"workers"}),
              "train_overrides": train, "recipe_seed": seed if seed is not None else recipe.seed,
              "jets_per_class": cfg.jets_per_class, "command": "python benchmarks/definition_gap.py "
              + " ".join(sys.argv[1:]), **trained_test_figures(train_dir), "physics": physics(data_path)}
    args.results.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, result)
    return result


def table(cells: dict[str, dict]) -> None:
    base = cells.get("default")
    print("| variant | jets (train / test) | epochs | accuracy | AUC g | AUC q | AUC t | AUC W | AUC Z |"
          " Δ acc | Δ AUC g / q / t / W / Z (points) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, c in cells.items():
        delta = ("–", "–") if base is None or name == "default" else (
            f"{100 * (c['accuracy'] - base['accuracy']):+.1f}",
            " / ".join(f"{100 * (c['auc'][k] - base['auc'][k]):+.1f}" for k in ORDER))
        print(f"| {name} | {c['train_jets']:,} / {c['test_jets']:,} | {c['epochs_run']} | {c['accuracy']:.3f} | "
              + " | ".join(f"{100 * c['auc'][k]:.1f}" for k in ORDER) + f" | {delta[0]} | {delta[1]} |")
    print(f"| published | ~360k | – | {PUBLISHED['accuracy']:.3f} | "
          + " | ".join(f"{100 * PUBLISHED['auc'][k]:.1f}" for k in ORDER) + " | | |")
    for name, c in cells.items():
        print(f"{name}: " + "; ".join(f"{cls} mult {p['multiplicity']}" + (
            f", m_mMDT in window {p['in_window']:.3f}" if "in_window" in p else "") for cls, p in c["physics"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jets-per-class", type=int, default=4000)
    parser.add_argument("--only", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=200, help="epoch ceiling (early stopping ends the training)")
    parser.add_argument("--table", action="store_true", help="print the finished cells, generate and train nothing")
    parser.add_argument("--data", type=Path, default=Path("data/definition_gap"))
    parser.add_argument("--run", type=Path, default=Path("runs/definition_gap"))
    parser.add_argument("--results", type=Path, default=Path(__file__).resolve().parent / "results" / "definition_gap")
    args = parser.parse_args()

    names = ["default", *[n for n in args.only if n != "default"]]
    cfgs = configs(names, args.jets_per_class, args.workers)
    if args.table:
        cells = {n: json.loads(p.read_text()) for n in names
                 if (p := args.results / f"{n}_jets{5 * args.jets_per_class}.json").is_file()}
    else:
        generate(cfgs, args.workers)
        cells = {}
        for name in names:
            cells[name] = cell(name, cfgs[name], args)
            print(f"{name}: accuracy {cells[name]['accuracy']:.3f}", flush=True)
    table(cells)
    print(json.dumps({n: {"accuracy": c["accuracy"], "auc": c["auc"]} for n, c in cells.items()}))


if __name__ == "__main__":
    main()
