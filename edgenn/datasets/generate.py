"""The jet dataset stage: shards -> worker processes -> shard cache -> balanced, shuffled ``jets.h5`` + manifest.

Contract of ``generate_jets``: the output depends only on the config (not on ``workers``, timing or which shards were
cached). Each class draws shards 0, 1, 2, ... with seeds from ``pythia_seed``; the dataset uses, per class, the
shortest prefix of shards that holds ``jets_per_class`` jets, truncated to exactly that many, then one permutation
drawn from the root seed. Shards finishing out of order therefore never change the result.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from edgenn.datasets.cache import ShardCache, cache_key, default_cache_dir
from edgenn.datasets.jet_data import CLASS_NAMES, CONSTITUENT_NAMES, FEATURE_NAMES, JetData, save_jets
from edgenn.datasets.jets_pythia import (
    GENERATOR_VERSION,
    PYTHIA_SEED_MAX,
    ShardResult,
    ShardSpec,
    generate_shard,
    library_versions,
)
from edgenn.errors import ConfigError, ExternalToolError, InvalidInputError
from edgenn.io import MANIFEST_NAME, atomic_dir, atomic_write_json
from edgenn.seeding import rng

log = logging.getLogger(__name__)

ClassName = Literal["q", "g", "W", "Z", "t"]

# Pythia seed = (seed - 1) * _SEED_STRIDE + class_index * _SHARDS_PER_CLASS + shard_index + 1. With these widths every
# (seed, class, shard) gets its own Pythia seed and the largest one is exactly PYTHIA_SEED_MAX.
_SHARDS_PER_CLASS = 20_000
_SEED_STRIDE = len(CLASS_NAMES) * _SHARDS_PER_CLASS
MAX_SEED = (PYTHIA_SEED_MAX - _SEED_STRIDE) // _SEED_STRIDE + 1

_DEFAULT_YIELD = 1.5  # accepted jets per event before the first shard of a class reports (measured 1.6-1.8)
DATASET_FILE = "jets.h5"


class JetGenConfig(BaseModel):
    """Settings of ``edgenn data generate jets``; everything except ``workers`` determines the output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jets_per_class: int = Field(2000, ge=1)
    classes: tuple[ClassName, ...] = CLASS_NAMES
    seed: int = Field(1, ge=1, le=MAX_SEED)
    fast: bool = False  # MPI off: 3-5x faster generation, slightly lower multiplicity
    pt_hat_min: float = Field(950.0, gt=0)
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
        return self

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
    return ShardSpec(cls=cls, shard_index=shard_index, pythia_seed=pythia_seed(config.seed, cls, shard_index),
                     num_events=config.events_per_shard, fast=config.fast, pt_hat_min=config.pt_hat_min,
                     pt_min=config.pt_min, pt_max=config.pt_max, eta_max=config.eta_max, jet_r=config.jet_r)


def shard_cache_key(spec: ShardSpec, versions: dict[str, str]) -> str:
    return cache_key({"generator": GENERATOR_VERSION, "spec": dataclasses.asdict(spec), "settings": spec.settings(),
                      "features": FEATURE_NAMES, "constituents": CONSTITUENT_NAMES, "versions": versions})


@dataclasses.dataclass
class _ClassState:
    shards: dict[int, tuple[np.ndarray, np.ndarray, int]] = dataclasses.field(default_factory=dict)
    next_index: int = 0
    in_flight: int = 0
    events: int = 0
    jets: int = 0

    def prefix_jets(self) -> int:
        """Jets in the contiguous run of finished shards 0..k: only those may be used (see module docstring)."""
        total, i = 0, 0
        while i in self.shards:
            total += self.shards[i][0].shape[0]
            i += 1
        return total

    def yield_per_event(self) -> float:
        return self.jets / self.events if self.events else _DEFAULT_YIELD


def _worker_init() -> None:
    import warnings

    # Workers never produce machine output; FastJet's banner goes to fd 1, so close it off for the whole process.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    warnings.filterwarnings("ignore", message="dcut and exclusive jets", category=UserWarning)


def _run_shard(spec: ShardSpec, cache_dir: str, key: str) -> ShardResult:
    result = generate_shard(spec)
    ShardCache(Path(cache_dir)).put(
        key, {"features": result.features, "constituents": result.constituents},
        {"spec": dataclasses.asdict(spec), "num_events": result.num_events, "seconds": result.seconds})
    return result


def generate_jets(config: JetGenConfig, out_dir: Path, *, progress: bool = True,
                  cache_dir: Path | None = None) -> Path:
    """Generate the jet dataset into ``out_dir`` (``jets.h5`` + ``manifest.json``) and return the HDF5 path.

    Args:
        config: what to generate; ``JetGenConfig.build(**kwargs)`` makes one from keywords.
        out_dir: output directory, replaced atomically (a half-written directory is never left behind).
        progress: show a rich progress bar (jets per class) on stderr.
        cache_dir: shard cache; default ``$EDGENN_CACHE_DIR/jets`` or ``~/.cache/edgenn/jets``.

    Raises:
        InvalidInputError: unwritable output, or a class that would need more than 20000 shards.
        ExternalToolError: Pythia rejected a setting or failed to initialise.
    """
    start = time.perf_counter()
    cache = ShardCache(Path(cache_dir) if cache_dir is not None else default_cache_dir("jets"))
    versions = library_versions()
    states = {c: _ClassState() for c in config.classes}
    stats = {"shards_generated": 0, "shards_from_cache": 0}
    bar = _Progress(config, enabled=progress)
    pool: ProcessPoolExecutor | None = None
    pending: dict[Future, tuple[str, int]] = {}
    max_in_flight = 2 * config.workers  # a queued shard per worker keeps both busy while the main process collects

    def submit(spec: ShardSpec, key: str) -> Future:
        nonlocal pool
        if pool is None:  # started lazily: a fully cached run never spawns a worker
            pool = ProcessPoolExecutor(max_workers=config.workers, initializer=_worker_init,
                                       mp_context=multiprocessing.get_context("spawn"))
        return pool.submit(_run_shard, spec, str(cache.directory), key)
    try:
        with bar:
            while True:
                short = [c for c in config.classes if states[c].prefix_jets() < config.jets_per_class]
                if not short:
                    break
                _plan(config, states, short, cache, versions, stats, bar, pending, submit, max_in_flight)
                if not pending:
                    continue  # everything planned came from the cache; re-check the counts
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    cls, index = pending.pop(future)
                    result = _result(future)
                    state = states[cls]
                    state.in_flight -= 1
                    _record(state, index, result.features, result.constituents, result.num_events)
                    stats["shards_generated"] += 1
                    bar.update(cls, state.jets)
    finally:
        if pool is not None:
            # Shards still running were planned but are not needed; they finish into the cache for a later run.
            pool.shutdown(wait=True, cancel_futures=True)

    data = _assemble(config, states, versions)
    wall = time.perf_counter() - start
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as staging:
        save_jets(staging / DATASET_FILE, data)
        counts = data.class_counts()
        atomic_write_json(staging / MANIFEST_NAME, {
            "stage": "data.generate.jets",
            "schema_version": 1,
            "config": config.model_dump(mode="json"),
            "versions": data.meta["versions"],
            "counts": counts,
            "num_jets": data.num_jets,
            "dataset": DATASET_FILE,
            "wall_seconds": round(wall, 3),
            "jets_per_second": round(data.num_jets / wall, 2) if wall > 0 else None,
            "shards_generated": stats["shards_generated"],
            "shards_from_cache": stats["shards_from_cache"],
            "cache_dir": str(cache.directory),
        })
    log.info("wrote %d jets to %s in %.1f s (%d shards generated, %d from cache)", data.num_jets, out_dir, wall,
             stats["shards_generated"], stats["shards_from_cache"])
    return out_dir / DATASET_FILE


def _plan(config: JetGenConfig, states: dict[str, _ClassState], short: list[str], cache: ShardCache,
          versions: dict[str, str], stats: dict[str, int], bar: _Progress, pending: dict[Future, tuple[str, int]],
          submit: Any, max_in_flight: int) -> None:
    """Take cached shards and submit new ones, one class at a time in turn, until the expected yield suffices."""
    while len(pending) < max_in_flight:
        plan = _round_robin(short, states, config)
        if not plan:
            return
        for cls in plan:
            if len(pending) >= max_in_flight:
                return
            state = states[cls]
            spec = shard_spec(config, cls, state.next_index)
            state.next_index += 1
            key = shard_cache_key(spec, versions)
            cached = cache.get(key)
            if cached is not None:
                arrays, meta = cached
                _record(state, spec.shard_index, arrays["features"], arrays["constituents"], int(meta["num_events"]))
                stats["shards_from_cache"] += 1
                bar.update(cls, state.jets)
            else:
                pending[submit(spec, key)] = (cls, spec.shard_index)
                state.in_flight += 1
        short = [c for c in short if states[c].prefix_jets() < config.jets_per_class]


def _result(future: Future) -> ShardResult:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise ExternalToolError(
            "a jet-generation worker process died before finishing its shard (crash, out of memory, or a script "
            "that starts generation at import time).",
            fix="call generate_jets under `if __name__ == '__main__':` in scripts (workers are spawned, so they "
                "re-import the main module), or lower --workers if memory is short.") from exc


def _round_robin(short: list[str], states: dict[str, _ClassState], config: JetGenConfig) -> list[str]:
    """Classes to plan one more shard for: those whose finished plus in-flight shards are not expected to suffice."""
    plan = []
    for cls in short:
        state = states[cls]
        expected = state.jets + state.in_flight * config.events_per_shard * state.yield_per_event()
        # Shards finishing out of order can make the prefix short although enough jets exist: the loop then waits.
        if expected < config.jets_per_class or state.in_flight == 0:
            plan.append(cls)
    return plan


def _record(state: _ClassState, index: int, features: np.ndarray, constituents: np.ndarray, events: int) -> None:
    state.shards[index] = (features, constituents, events)
    state.events += events
    state.jets += features.shape[0]


def _assemble(config: JetGenConfig, states: dict[str, _ClassState], versions: dict[str, str]) -> JetData:
    feats, cons, labels = [], [], []
    used: dict[str, Any] = {}
    for label, cls in enumerate(config.classes):
        state = states[cls]
        num_shards, total = 0, 0
        while total < config.jets_per_class:
            total += state.shards[num_shards][0].shape[0]
            num_shards += 1
        f = np.concatenate([state.shards[i][0] for i in range(num_shards)])[: config.jets_per_class]
        c = np.concatenate([state.shards[i][1] for i in range(num_shards)])[: config.jets_per_class]
        feats.append(f)
        cons.append(c)
        labels.append(np.full(f.shape[0], label, dtype=np.int64))
        used[cls] = {
            "shards": num_shards,
            "events": int(sum(state.shards[i][2] for i in range(num_shards))),
            "jets_before_truncation": total,
            "pythia_seeds": [pythia_seed(config.seed, cls, i) for i in range(num_shards)],
            "settings": shard_spec(config, cls, 0).settings(),  # shard 0; other shards differ only in Random:seed
        }
    order = rng(config.seed, "datasets.jets.shuffle").permutation(sum(f.shape[0] for f in feats))
    meta = {
        "generator": GENERATOR_VERSION,
        "config": config.model_dump(mode="json", exclude={"workers"}),
        "versions": {**versions, "edgenn": _edgenn_version()},
        "classes": used,
        "counts": {cls: int(config.jets_per_class) for cls in config.classes},
    }
    return JetData(features=np.concatenate(feats)[order], feature_names=FEATURE_NAMES,
                   constituents=np.concatenate(cons)[order], constituent_names=CONSTITUENT_NAMES,
                   labels=np.concatenate(labels)[order], class_names=tuple(config.classes), meta=meta)


def _edgenn_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("edgenn")
    except PackageNotFoundError:
        import edgenn

        return str(getattr(edgenn, "__version__", "0+unknown"))


class _Progress:
    """A rich progress bar with one row per class (jets collected / jets needed) on stderr; a no-op when disabled."""

    def __init__(self, config: JetGenConfig, *, enabled: bool) -> None:
        self._progress = None
        self._tasks: dict[str, Any] = {}
        self._total = config.jets_per_class
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("jets {task.description:>2}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), console=Console(stderr=True))
            self._tasks = {c: self._progress.add_task(c, total=self._total) for c in config.classes}

    def __enter__(self) -> _Progress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, cls: str, jets: int) -> None:
        if self._progress is not None:
            self._progress.update(self._tasks[cls], completed=min(jets, self._total))


def estimated_shards(config: JetGenConfig) -> int:
    """Rough number of shards per class, for planning and messages."""
    return math.ceil(config.jets_per_class / (config.events_per_shard * _DEFAULT_YIELD))
