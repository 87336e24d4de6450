"""The jet dataset stage: shards -> worker processes -> shard cache -> balanced, shuffled ``jets.h5`` + manifest.

Contract of ``generate_jets``: the output depends only on the config (not on ``workers``, timing or which shards were
cached). Each class draws shards 0, 1, 2, ... with seeds from ``pythia_seed``; the dataset uses, per class, the
shortest prefix of shards that holds ``jets_per_class`` jets, truncated to exactly that many, then one permutation
drawn from the root seed. Shards finishing out of order therefore never change the result.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import edgenn.filenames as filenames
from edgenn._version import __version__
from edgenn.datasets.cache import ShardCache, cache_key, default_cache_dir
from edgenn.datasets.detector_response import DEFAULT_DETECTOR
from edgenn.datasets.jet_data import CLASS_NAMES, CONSTITUENT_NAMES, FEATURE_NAMES, JetData, save_jets
from edgenn.datasets.jet_definitions import DEFAULT_JET_DEFINITION, JET_DEFINITIONS
from edgenn.datasets.jets_pythia import (
    GENERATOR_VERSION,
    PYTHIA_SEED_MAX,
    ShardSpec,
    generate_shard_group,
    library_versions,
)
from edgenn.datasets.shard_scheduler import ClassState, ShardJob, ShardProgress, ShardScheduler
from edgenn.errors import ConfigError, InvalidInputError
from edgenn.io import atomic_dir, ensure_writable_parent
from edgenn.manifest import sha256_file
from edgenn.records.dataset import DatasetArtifact
from edgenn.seeding import rng

log = logging.getLogger(__name__)

ClassName = Literal["q", "g", "W", "Z", "t"]

# Pythia seed = (seed - 1) * _SEED_STRIDE + class_index * _SHARDS_PER_CLASS + shard_index + 1. With these widths every
# (seed, class, shard) gets its own Pythia seed and the largest one is exactly PYTHIA_SEED_MAX.
_SHARDS_PER_CLASS = 20_000
_SEED_STRIDE = len(CLASS_NAMES) * _SHARDS_PER_CLASS
MAX_SEED = (PYTHIA_SEED_MAX - _SEED_STRIDE) // _SEED_STRIDE + 1

_DEFAULT_YIELD = 1.5  # accepted jets per event before the first shard of a class reports (measured 1.6-1.8)
DATASET_FILE = filenames.JETS


class JetGenConfig(BaseModel):
    """Settings of ``edgenn data generate jets``; everything except ``workers`` determines the output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jets_per_class: int = Field(2000, ge=1)
    classes: tuple[ClassName, ...] = CLASS_NAMES
    seed: int = Field(1, ge=1, le=MAX_SEED)
    fast: bool = False  # MPI off: 3-5x faster generation, slightly lower multiplicity
    # Constituents measured by a simple tracker + calorimeter (detector_response, Delphes CMS card values); off: the
    # generator-level particles, as in the public hls4ml dataset.
    detector: bool = False
    # A registered jet_definitions entry: processes, hard-process pT window and feature conventions.
    definition: Literal[tuple(JET_DEFINITIONS)] = DEFAULT_JET_DEFINITION  # type: ignore[valid-type]
    # Hard-process pT window in GeV; None takes the definition's (hls4ml 995-1005, legacy >= 950).
    pt_hat_min: float | None = Field(None, gt=0)
    pt_hat_max: float | None = Field(None, gt=0)
    pt_min: float = Field(800.0, ge=0)
    pt_max: float = Field(1600.0, gt=0)
    eta_max: float = Field(2.0, gt=0)
    jet_r: float = Field(0.8, gt=0, le=2.0)
    events_per_shard: int = Field(500, ge=1, le=100_000)
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)

    @field_validator("classes")
    @classmethod
    def _canonical_classes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("must name at least one class")
        if len(set(value)) != len(value):
            raise ValueError(f"contains duplicates: {value}")
        # Canonical order, so that ("Z", "W") and ("W", "Z") describe the same dataset and label numbering.
        return tuple(c for c in CLASS_NAMES if c in value)

    @model_validator(mode="after")
    def _pt_window(self) -> JetGenConfig:
        if self.pt_min >= self.pt_max:
            raise ValueError(f"pt_min ({self.pt_min}) must be below pt_max ({self.pt_max})")
        low, high = self.hard_pt_window()
        if high is not None and low >= high:
            raise ValueError(f"pt_hat_min ({low}) must be below pt_hat_max ({high})")
        return self

    def hard_pt_window(self) -> tuple[float, float | None]:
        """The hard-process pT window in GeV: the explicit fields, else the definition's."""
        default = JET_DEFINITIONS[self.definition].pt_window
        return (self.pt_hat_min if self.pt_hat_min is not None else default[0],
                self.pt_hat_max if self.pt_hat_max is not None else default[1])

    @classmethod
    def build(cls, **kwargs: Any) -> JetGenConfig:
        """Construct from keyword arguments, reporting every problem at once as a ConfigError."""
        try:
            return cls(**kwargs)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "jets"
                problems.append(f"data.jets.{field}: {err['msg']} (got {err.get('input')!r}).")
            raise ConfigError(problems) from None


def pythia_seed(seed: int, cls: str, shard_index: int) -> int:
    """The Pythia seed of one shard; unique per (seed, class, shard) and within Pythia's 1..900000000."""
    if not 1 <= seed <= MAX_SEED:
        raise InvalidInputError(f"seed must be in [1, {MAX_SEED}] (got {seed}).", fix="choose a smaller --seed.")
    if not 0 <= shard_index < _SHARDS_PER_CLASS:
        raise InvalidInputError(
            f"class {cls!r} needs more than {_SHARDS_PER_CLASS} shards.",
            fix="raise events_per_shard so that fewer shards are needed.")
    return (seed - 1) * _SEED_STRIDE + CLASS_NAMES.index(cls) * _SHARDS_PER_CLASS + shard_index + 1


def shard_spec(config: JetGenConfig, cls: str, shard_index: int) -> ShardSpec:
    low, high = config.hard_pt_window()
    return ShardSpec(cls=cls, shard_index=shard_index, pythia_seed=pythia_seed(config.seed, cls, shard_index),
                     num_events=config.events_per_shard, fast=config.fast, pt_hat_min=low, pt_hat_max=high,
                     pt_min=config.pt_min, pt_max=config.pt_max, eta_max=config.eta_max, jet_r=config.jet_r,
                     definition=config.definition, detector=config.detector)


def shard_cache_key(spec: ShardSpec, versions: dict[str, str]) -> str:
    fields = dataclasses.asdict(spec)
    # Generator-level shards keep the keys they had before the detector option existed; measured ones are keyed by
    # every response parameter, so a changed resolution never reuses a shard.
    detector = fields.pop("detector")
    payload = {"generator": GENERATOR_VERSION, "spec": fields, "settings": spec.settings(),
               "features": FEATURE_NAMES, "constituents": CONSTITUENT_NAMES, "versions": versions}
    if detector:
        payload["detector"] = dataclasses.asdict(DEFAULT_DETECTOR)
    return cache_key(payload)


def run_shard_group(specs: Sequence[ShardSpec], cache_dir: str,
                    keys: Sequence[str]) -> list[tuple[dict[str, np.ndarray], dict[str, Any]]]:
    """Make the shards of ``specs`` from one Pythia run (``jets_pythia.generate_shard_group``: specs that differ
    only after generation) and cache each under its key, as ``generate_jets`` caches a shard it makes itself."""
    cache, out = ShardCache(Path(cache_dir)), []
    for spec, key, result in zip(specs, keys, generate_shard_group(specs), strict=True):
        arrays = {"features": result.features, "constituents": result.constituents}
        meta = {"spec": dataclasses.asdict(spec), "num_events": result.num_events, "seconds": result.seconds}
        cache.put(key, arrays, meta)
        out.append((arrays, meta))
    return out


def _run_shard(spec: ShardSpec, cache_dir: str, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    return run_shard_group((spec,), cache_dir, (key,))[0]


def jet_job(config: JetGenConfig, versions: dict[str, str]) -> ShardJob:
    return ShardJob(classes=tuple(config.classes), target=config.jets_per_class,
                    events_per_shard=config.events_per_shard, workers=config.workers,
                    spec=lambda cls, index: shard_spec(config, cls, index),
                    key=lambda spec: shard_cache_key(spec, versions), run=_run_shard, count_array="features",
                    default_yield=_DEFAULT_YIELD, unit="jets")


def generate_jets(config: JetGenConfig, out_dir: Path, *, progress: bool = True,
                  cache_dir: Path | None = None, executor: Any | None = None) -> Path:
    """Generate the jet dataset into ``out_dir`` (``jets.h5`` + ``manifest.json``) and return the HDF5 path.

    Workers are spawned processes, so a script calling this must do so under ``if __name__ == "__main__":``.

    Args:
        config: what to generate; ``JetGenConfig.build(**kwargs)`` makes one from keywords.
        out_dir: output directory, replaced atomically (a half-written directory is never left behind).
        progress: show a rich progress bar (jets per class) on stderr.
        cache_dir: shard cache; default ``$EDGENN_CACHE_DIR/jets`` or ``~/.cache/edgenn/jets``.
        executor: run shards here instead of local spawned processes: any object with ``submit(fn, *args) ->
            concurrent.futures.Future``, ``shutdown(wait, cancel_futures)`` and ``workers`` (e.g.
            ``edgenn.scan.RayTaskExecutor``); it is shut down at the end and ``config.workers`` is ignored.

    Raises:
        InvalidInputError: unwritable output, or a class that would need more than 20000 shards.
        ExternalToolError: Pythia rejected a setting or failed to initialise, or a worker process died.

    Example:
        >>> generate_jets(JetGenConfig(jets_per_class=1000, fast=True), Path("data/jets"))  # doctest: +SKIP
        PosixPath('data/jets/jets.h5')
    """
    start = time.perf_counter()
    ensure_writable_parent(Path(out_dir))  # before minutes of generation, not after
    cache = ShardCache(Path(cache_dir) if cache_dir is not None else default_cache_dir("jets"))
    versions = library_versions()
    if executor is not None:  # shards in flight follow the executor's size, not the local core count
        config = config.model_copy(update={"workers": max(1, int(executor.workers))})
    job = jet_job(config, versions)
    with ShardProgress(job, enabled=progress) as bar, ShardScheduler(job, cache, bar, executor) as scheduler:
        states = scheduler.run()
    data = _assemble(config, states, versions)
    wall = time.perf_counter() - start
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as staging:
        save_jets(staging / DATASET_FILE, data)
        # jets.h5 is byte-identical for identical configs (no HDF5 timestamps), so its hash identifies the data.
        DatasetArtifact("jets", config.model_dump(mode="json"), data.class_counts(), data.num_jets,
                        sha256_file(staging / DATASET_FILE), data.meta["versions"], {
                            "wall_seconds": round(wall, 3),
                            "jets_per_second": round(data.num_jets / wall, 2) if wall > 0 else None,
                            "shards_generated": scheduler.shards_generated,
                            "shards_from_cache": scheduler.shards_from_cache,
                            "cache_dir": str(cache.directory)}).save(staging, seconds=wall)
    log.info("wrote %d jets to %s in %.1f s (%d shards generated, %d from cache)", data.num_jets, out_dir, wall,
             scheduler.shards_generated, scheduler.shards_from_cache)
    return out_dir / DATASET_FILE


def _assemble(config: JetGenConfig, states: dict[str, ClassState], versions: dict[str, str]) -> JetData:
    feats, cons, labels = [], [], []
    used: dict[str, Any] = {}
    for label, cls in enumerate(config.classes):
        state = states[cls]
        num_shards, total = 0, 0
        while total < config.jets_per_class:
            total += state.rows(num_shards)
            num_shards += 1
        f = np.concatenate([state.shards[i][0]["features"] for i in range(num_shards)])[: config.jets_per_class]
        c = np.concatenate([state.shards[i][0]["constituents"] for i in range(num_shards)])[: config.jets_per_class]
        feats.append(f)
        cons.append(c)
        labels.append(np.full(f.shape[0], label, dtype=np.int64))
        used[cls] = {
            "shards": num_shards,
            "events": int(sum(int(state.shards[i][1]["num_events"]) for i in range(num_shards))),
            "jets_before_truncation": total,
            "pythia_seeds": [pythia_seed(config.seed, cls, i) for i in range(num_shards)],
            "settings": shard_spec(config, cls, 0).settings(),  # shard 0; other shards differ only in Random:seed
        }
    order = rng(config.seed, "datasets.jets.shuffle").permutation(sum(f.shape[0] for f in feats))
    meta = {
        "generator": GENERATOR_VERSION,
        "config": config.model_dump(mode="json", exclude={"workers"}),
        "versions": {**versions, "edgenn": __version__},
        "classes": used,
        "counts": {cls: int(config.jets_per_class) for cls in config.classes},
    }
    return JetData(features=np.concatenate(feats)[order], feature_names=FEATURE_NAMES,
                   constituents=np.concatenate(cons)[order], constituent_names=CONSTITUENT_NAMES,
                   labels=np.concatenate(labels)[order], class_names=tuple(config.classes), meta=meta)
