"""The trigger-event dataset stage: per-process shards -> worker processes -> shard cache -> ``events.h5`` + manifest.

It runs on the shared shard machinery (``shard_scheduler.ShardScheduler``, ``ShardCache``, spawned workers, rich progress);
only the shard content (``events_pythia``) and the assembly differ. Contract, as for jets: the output depends only
on the config. Each process draws shards 0, 1, 2, ... and uses the shortest prefix holding its target
(``events_per_process`` or its entry in ``process_events``) of preselected events, truncated to exactly that many; a process whose efficiency is so low that
``max_shards_per_process`` shards do not reach the target keeps what they gave (recorded in the manifest).

Mixing: every process gets sigma x efficiency from Pythia's ``sigmaGen`` (averaged over the used shards, weighted
by their events) and the measured preselection efficiency (selected / generated over those shards). Each event's
weight is sigma x efficiency / events kept (pb), so a process's weights sum to its accepted cross-section; the
background mixture used for training follows these shares (``EventData.background_mixture``).
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from edgenn._version import __version__
from edgenn.datasets.cache import ShardCache, cache_key, default_cache_dir
from edgenn.datasets.calo_regions import REGION_SHAPE
from edgenn.datasets.event_data import DATASET_FILE, EventData, save_events
from edgenn.datasets.event_streams import (
    ADC2021_COMPOSITION_PERCENT,
    ADC2021_COMPOSITION_SOURCE,
    DEFAULT_EVENT_STREAM,
    EVENT_STREAMS,
    MAX_PROCESSES_PER_STREAM,
    composition_group,
    event_stream,
)
from edgenn.datasets.events_pythia import GENERATOR_VERSION, PILEUP_VERSION, EventShardSpec, generate_event_shard
from edgenn.datasets.jets_pythia import PYTHIA_SEED_MAX, library_versions
from edgenn.datasets.shard_scheduler import ShardJob, ShardProgress, ShardScheduler
from edgenn.errors import InvalidInputError
from edgenn.io import atomic_dir
from edgenn.manifest import sha256_file
from edgenn.records.dataset import DatasetArtifact
from edgenn.seeding import rng

_SHARDS_PER_PROCESS = 20_000
_SEED_STRIDE = MAX_PROCESSES_PER_STREAM * _SHARDS_PER_PROCESS
MAX_SEED = (PYTHIA_SEED_MAX - _SEED_STRIDE) // _SEED_STRIDE + 1


class EventGenConfig(BaseModel):
    """Settings of ``edgenn data generate events``; everything except ``workers`` determines the output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    events_per_process: int = Field(1000, ge=1)
    # A registered event_streams entry: processes, object reconstruction and preselection.
    stream: Literal[tuple(EVENT_STREAMS)] = DEFAULT_EVENT_STREAM  # type: ignore[valid-type]
    # Overrides per process: resolving a 1e-5 false-positive rate needs >= 1e5 background test events, and the
    # processes' shares of the mixture differ by orders of magnitude.
    process_events: dict[str, int] = Field(default_factory=dict)
    processes: tuple[str, ...] = ()  # empty: every process of the stream
    seed: int = Field(1, ge=1, le=MAX_SEED)
    fast: bool = False  # MPI off: 2-3x faster
    qcd_pt_hat_min: float = Field(100.0, gt=0, description="QCD p-hat-T floor in GeV (the HT path needs hard QCD)")
    lepton_pt_min: float = Field(23.0, ge=0, description="single e/mu trigger threshold in GeV")
    ht_min: float = Field(350.0, ge=0, description="jet HT trigger threshold in GeV")
    events_per_shard: int = Field(500, ge=1, le=100_000)
    # Mean number of overlaid minimum-bias interactions per event (ADC2021's files say PU 20); 0: no pileup.
    pileup_mu: float = Field(0.0, ge=0, le=200, description="mean pileup (Poisson) overlaid on every event")
    # None: the stream's cap per process (adc2021 caps its QCD slices, whose filter efficiency is ~1e-5, so that the
    # default command ends in minutes; ask for QCD statistics explicitly), else 200.
    max_shards_per_process: int | None = Field(None, ge=1, le=_SHARDS_PER_PROCESS,
                                        description="stop a low-efficiency process after this many shards")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)

    @model_validator(mode="after")
    def _known(self) -> EventGenConfig:
        stream = EVENT_STREAMS[self.stream]
        known = stream.process_names
        for field, names in (("processes", self.processes), ("process_events", tuple(self.process_events))):
            unknown = [p for p in names if p not in known]
            if unknown:  # name the field: the CLI reaches both through different options
                raise ValueError(f"{field}: unknown process(es) {unknown} for stream {self.stream!r}; known "
                                 f"processes: {', '.join(known)}")
        chosen = self.processes or known
        if not any(p in stream.background for p in chosen):
            raise ValueError(f"needs at least one background process ({', '.join(stream.background)})")
        bad = {p: n for p, n in self.process_events.items() if not isinstance(n, int) or n < 1}
        if bad:
            raise ValueError(f"event counts must be positive integers, got {bad}")
        # Canonical order, so that the same set of processes always describes the same dataset.
        object.__setattr__(self, "processes", tuple(p for p in known if p in chosen))
        object.__setattr__(self, "process_events", {p: self.process_events[p] for p in known
                                                     if p in self.process_events})
        return self

    def target(self, process: str) -> int:
        """Preselected events wanted for ``process``."""
        return self.process_events.get(process, self.events_per_process)


def pythia_seed(seed: int, process: str, shard_index: int, stream: str = DEFAULT_EVENT_STREAM) -> int:
    """Unique per (seed, process, shard) within a stream and within Pythia's 1..900000000."""
    if not 0 <= shard_index < _SHARDS_PER_PROCESS:
        raise InvalidInputError(f"process {process!r} needs more than {_SHARDS_PER_PROCESS} shards.",
                                fix="raise events_per_shard so that fewer shards are needed.")
    slot = event_stream(stream).process_names.index(process)
    return (seed - 1) * _SEED_STRIDE + slot * _SHARDS_PER_PROCESS + shard_index + 1


def shard_spec(config: EventGenConfig, process: str, shard_index: int) -> EventShardSpec:
    return EventShardSpec(process=process, shard_index=shard_index,
                          pythia_seed=pythia_seed(config.seed, process, shard_index, config.stream),
                          num_events=config.events_per_shard, fast=config.fast,
                          qcd_pt_hat_min=config.qcd_pt_hat_min, lepton_pt_min=config.lepton_pt_min,
                          ht_min=config.ht_min, stream=config.stream, pileup_mu=config.pileup_mu)


def shard_cache_key(spec: EventShardSpec, versions: dict[str, str]) -> str:
    fields = dataclasses.asdict(spec)
    payload = {"generator": GENERATOR_VERSION, "spec": fields, "settings": spec.settings(), "versions": versions}
    if spec.pileup_mu:
        payload["pileup"] = PILEUP_VERSION
    else:  # shards without pileup keep the keys they had before the option existed
        del fields["pileup_mu"], fields["pileup_pool_events"]
    return cache_key(payload)


def _run_event_shard(spec: EventShardSpec, cache_dir: str, key: str) -> tuple[dict[str, np.ndarray], dict]:
    result = generate_event_shard(spec)
    arrays = {"objects": result.objects}
    if result.regions is not None:
        arrays["regions"] = result.regions
    meta = {"spec": dataclasses.asdict(spec), "num_events": result.num_events, "sigma_gen_pb": result.sigma_gen_pb,
            "sigma_err_pb": result.sigma_err_pb, "seconds": result.seconds}
    ShardCache(Path(cache_dir)).put(key, arrays, meta)
    return arrays, meta


def event_job(config: EventGenConfig, versions: dict[str, str]) -> ShardJob:
    return ShardJob(classes=config.processes, target=config.events_per_process,
                    events_per_shard=config.events_per_shard, workers=config.workers,
                    spec=lambda process, index: shard_spec(config, process, index),
                    key=lambda spec: shard_cache_key(spec, versions), run=_run_event_shard, count_array="objects",
                    default_yield=0.3, unit="events", max_shards=config.max_shards_per_process or 200,
                    class_max_shards=() if config.max_shards_per_process else tuple(
                        (p, n) for p, n in event_stream(config.stream).max_shards.items()
                        if p in config.processes and p not in config.process_events),
                    class_targets=tuple((p, config.target(p)) for p in config.processes))


def generate_events(config: EventGenConfig, out_dir: Path, *, progress: bool = True,
                    cache_dir: Path | None = None) -> Path:
    """Generate the trigger-event dataset into ``out_dir`` (``events.h5`` + ``manifest.json``); returns the HDF5 path.

    Workers are spawned processes, so a script calling this must do so under ``if __name__ == "__main__":``.

    Args:
        config: what to generate (``EventGenConfig(events_per_process=..., processes=[...])``).
        out_dir: output directory, replaced atomically.
        progress: rich progress bar (preselected events per process) on stderr.
        cache_dir: shard cache; default ``$EDGENN_CACHE_DIR/events`` or ``~/.cache/edgenn/events``.

    Raises:
        InvalidInputError: unwritable output, or no background event passed the preselection.
        ExternalToolError: Pythia rejected a setting or failed to initialise, or a worker process died.
    """
    start = time.perf_counter()
    cache = ShardCache(Path(cache_dir) if cache_dir is not None else default_cache_dir("events"))
    versions = library_versions()
    job = event_job(config, versions)
    with ShardProgress(job, enabled=progress) as bar, ShardScheduler(job, cache, bar) as scheduler:
        states = scheduler.run()
    data = _assemble(config, states, versions)
    wall = time.perf_counter() - start
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as staging:
        save_events(staging / DATASET_FILE, data)
        DatasetArtifact("events", config.model_dump(mode="json"), data.counts(), data.num_events,
                        sha256_file(staging / DATASET_FILE), data.meta["versions"], {
                            "processes": data.meta["processes"],
                            "mixture_fractions": data.mixture_fractions(),
                            "background": background_summary(data),
                            "wall_seconds": round(wall, 3),
                            "shards_generated": scheduler.shards_generated,
                            "shards_from_cache": scheduler.shards_from_cache,
                            "cache_dir": str(cache.directory)}).save(staging, seconds=wall)
    return out_dir / DATASET_FILE


def _assemble(config: EventGenConfig, states: dict[str, Any], versions: dict[str, str]) -> EventData:
    objects, process, weights, regions = [], [], [], []
    info: dict[str, Any] = {}
    stream = event_stream(config.stream)
    for code, name in enumerate(config.processes):
        state = states[name]
        num_shards, total = 0, 0
        target = config.target(name)
        while num_shards in state.shards and total < target:
            total += state.rows(num_shards)
            num_shards += 1
        metas = [state.shards[i][1] for i in range(num_shards)]
        generated = sum(int(m["num_events"]) for m in metas)
        # Pythia's sigmaGen of each shard is an independent estimate from its own events: average by events.
        sigma = sum(m["sigma_gen_pb"] * m["num_events"] for m in metas) / generated
        sigma_err = np.sqrt(sum((m["sigma_err_pb"] * m["num_events"]) ** 2 for m in metas)) / generated
        efficiency = total / generated
        kept = min(total, target)
        obj = (np.concatenate([state.shards[i][0]["objects"] for i in range(num_shards)])[:kept] if kept
               else np.zeros((0, 19, 3), np.float32))
        objects.append(obj)
        if stream.calo_regions:
            regions.append(np.concatenate([state.shards[i][0]["regions"] for i in range(num_shards)])[:kept] if kept
                           else np.zeros((0, *REGION_SHAPE), np.float32))
        process.append(np.full(kept, code, dtype=np.int64))
        weights.append(np.full(kept, sigma * efficiency / kept if kept else 0.0))
        info[name] = {
            "background": name in stream.background,
            "sigma_gen_pb": sigma, "sigma_err_pb": float(sigma_err),
            "events_generated": generated, "events_selected": total, "events_kept": kept,
            "efficiency": efficiency, "accepted_sigma_pb": sigma * efficiency,
            "shards": num_shards, "target": target, "reached_target": total >= target,
            "pythia_seeds": [pythia_seed(config.seed, name, i, config.stream) for i in range(num_shards)],
            "settings": shard_spec(config, name, 0).settings(),
        }
    background = tuple(p for p in config.processes if p in stream.background)
    if not any(info[b]["events_kept"] for b in background):
        raise InvalidInputError("no background event passed the trigger preselection.",
                                fix="raise --events-per-process or lower the thresholds (--ht-min, --lepton-pt-min).")
    all_objects = np.concatenate(objects)
    order = rng(config.seed, "datasets.events.shuffle").permutation(all_objects.shape[0])
    meta = {"generator": GENERATOR_VERSION, "config": config.model_dump(mode="json", exclude={"workers"}),
            "versions": {**versions, "edgenn": __version__}, "processes": info,
            "stream": config.stream,
            "preselection": _preselection(config, stream)}
    return EventData(objects=all_objects[order], process=np.concatenate(process)[order],
                     weights=np.concatenate(weights)[order], process_names=config.processes,
                     background_names=background, meta=meta,
                     regions=np.concatenate(regions)[order] if stream.calo_regions else None)


def _preselection(config: EventGenConfig, stream) -> str:  # noqa: ANN001 - an event_streams.EventStream
    if not stream.preselected:
        return "none (zero bias: every generated event kept)"
    if stream.ht_path:
        return f"e/mu pT > {config.lepton_pt_min} GeV or jet HT > {config.ht_min} GeV"
    return f"isolated e/mu pT > {config.lepton_pt_min} GeV"


def background_summary(data: EventData) -> dict[str, Any]:
    """Background composition by ADC2021 group (% of the accepted cross-section) beside ADC2021's published one, and
    the effective number of background events (sum w)^2 / sum w^2: the weighted QCD slices can make it far smaller
    than the raw count, and it is what sets the statistical precision of a background rate such as FPR 1e-5.

    A process with no selected event contributes 0 to the composition, which says only that its share is small:
    ``composition_upper_percent`` gives, for each group holding such a process, the group's share with those
    processes at their 95 % CL upper efficiency (3 / events generated, the zero-count Poisson bound)."""
    w = data.weights[data.is_background()]
    total = float(w.sum())
    info = data.meta.get("processes", {})
    groups: dict[str, float] = {}
    bound: dict[str, float] = {}
    for name, sigma in data.accepted_cross_sections_pb().items():
        if name in data.background_names:
            group = composition_group(name)
            groups[group] = groups.get(group, 0.0) + sigma
            record = info.get(name, {})
            if record.get("events_selected") == 0 and record.get("events_generated"):
                bound[group] = bound.get(group, 0.0) + 3.0 * record["sigma_gen_pb"] / record["events_generated"]
    upper = {}
    for group, extra in bound.items():
        with_bound = groups[group] + extra
        upper[group] = round(100.0 * with_bound / (total + extra), 3)
    return {
        "composition_percent": {g: round(100.0 * s / total, 3) if total > 0 else 0.0 for g, s in groups.items()},
        "composition_upper_percent": upper,
        "adc2021_composition_percent": ADC2021_COMPOSITION_PERCENT,
        "adc2021_source": ADC2021_COMPOSITION_SOURCE,
        "events": int(w.size),
        "effective_events": round(total**2 / float((w**2).sum()), 1) if w.size else 0.0,
    }
