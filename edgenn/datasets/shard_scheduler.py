"""The shard scheduler every dataset stage runs on: per class, shards 0, 1, 2, ... go to spawned worker processes
(or come from the shard cache) until the contiguous prefix of finished shards holds the class's target rows.

It knows nothing of what a shard holds: a ``ShardJob`` says how to name, key and run one (``generate`` builds the jet
job, ``events_generate`` the trigger-event job). Only the contiguous prefix counts, so shards finishing out of order
never change which rows a stage uses.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np

from edgenn.datasets.cache import ShardCache
from edgenn.errors import ExternalToolError


def worker_init() -> None:
    # Workers never produce machine output. generate_shard already diverts FastJet's banner; closing fd 1 for the
    # whole worker also covers anything the libraries print at import or teardown.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    # Ctrl-C reaches the whole process group; the parent alone decides (it terminates workers on interrupt), so a
    # worker never dies mid-shard with a KeyboardInterrupt traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclasses.dataclass(frozen=True)
class ShardJob:
    """What ``ShardScheduler`` needs to know about one kind of dataset (jets in ``generate``, trigger events in
    ``events_generate``): per class, shards 0, 1, 2, ... are generated (or read from the cache) until the contiguous
    prefix of finished shards holds ``target`` rows of the array named ``count_array``.

    ``run(spec, cache_dir, key) -> (arrays, meta)`` executes in a spawned worker, so it must be a module-level
    function; it stores its result in the cache itself and ``meta["num_events"]`` must give the generated events.
    """

    classes: tuple[str, ...]
    target: int
    events_per_shard: int
    workers: int
    spec: Callable[[str, int], Any]
    key: Callable[[Any], str]
    run: Callable[[Any, str, str], tuple[dict[str, np.ndarray], dict[str, Any]]]
    count_array: str
    default_yield: float  # rows per event before the first shard of a class reports
    unit: str  # what a row is, for the progress bar ("jets", "events")
    max_shards: int | None = None  # stop a class after this many shards even if short (None: never)
    class_max_shards: tuple[tuple[str, int], ...] = ()  # per-class overrides of ``max_shards``
    # Per-class targets overriding ``target`` (the event stage needs ~1e5 QCD events but far fewer of the rest).
    class_targets: tuple[tuple[str, int], ...] = ()

    def target_for(self, cls: str) -> int:
        return dict(self.class_targets).get(cls, self.target)

    def max_shards_for(self, cls: str) -> int | None:
        return dict(self.class_max_shards).get(cls, self.max_shards)


@dataclasses.dataclass
class ClassState:
    """Finished shards of one class: ``shards[index] = (arrays, meta)``; ``rows_done`` counts rows of the count array."""

    count_array: str
    default_yield: float
    shards: dict[int, tuple[dict[str, np.ndarray], dict[str, Any]]] = dataclasses.field(default_factory=dict)
    next_index: int = 0
    in_flight: int = 0
    events: int = 0
    rows_done: int = 0

    def record(self, index: int, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.shards[index] = (arrays, meta)
        self.events += int(meta["num_events"])
        self.rows_done += arrays[self.count_array].shape[0]

    def rows(self, index: int) -> int:
        return self.shards[index][0][self.count_array].shape[0]

    def prefix_rows(self) -> int:
        """Rows in the contiguous run of finished shards 0..k: only those may be used (see module docstring)."""
        total, i = 0, 0
        while i in self.shards:
            total += self.rows(i)
            i += 1
        return total

    def prefix_shards(self) -> int:
        i = 0
        while i in self.shards:
            i += 1
        return i

    def expected_rows(self, events_per_shard: int) -> float:
        """Finished rows plus what the shards in flight should bring at the yield seen so far."""
        per_event = self.rows_done / self.events if self.events else self.default_yield
        return self.rows_done + self.in_flight * events_per_shard * per_event


class ShardScheduler:
    """Feeds shards to a lazily started process pool (or takes them from the cache) until every class has enough.

    At most two shards per worker are in flight: one running and one queued, so that no worker idles while the
    main process collects results. A fully cached run never starts a worker. A class that reaches
    ``job.max_shards_for(cls)`` stops short (its state then holds fewer rows than ``job.target_for(cls)``).
    """

    def __init__(self, job: ShardJob, cache: ShardCache, bar: ShardProgress, executor: Any | None = None) -> None:
        self.job, self.cache, self.bar = job, cache, bar
        self.executor = executor  # replaces the local process pool (e.g. Ray tasks); shut down on exit like it
        self.states = {c: ClassState(job.count_array, job.default_yield) for c in job.classes}
        self.pending: dict[Future, tuple[str, int]] = {}
        self.pool: Any | None = None
        self.max_in_flight = 2 * job.workers
        self.shards_generated = 0
        self.shards_from_cache = 0

    def __enter__(self) -> ShardScheduler:
        return self

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        if self.pool is not None and exc_type is not None:
            # Interrupted or failed: running shards would only delay the exit. Killed workers leave no cache entry
            # (entries are renamed into place whole), so nothing half-written remains.
            for process in list(getattr(self.pool, "_processes", {}).values()):  # no public API before Python 3.14
                process.terminate()
        if self.pool is not None:
            # Shards still running were planned but are not needed; they finish into the cache for a later run.
            self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self) -> dict[str, ClassState]:
        while self._short():
            self._plan()
            if not self.pending:
                continue  # everything planned came from the cache; re-check the counts
            done, _ = wait(self.pending, return_when=FIRST_COMPLETED)
            for future in done:
                cls, index = self.pending.pop(future)
                arrays, meta = _result(future)
                state = self.states[cls]
                state.in_flight -= 1
                state.record(index, arrays, meta)
                self.shards_generated += 1
                self.bar.update(cls, state.rows_done)
        return self.states

    def _short(self) -> list[str]:
        job = self.job
        return [c for c in job.classes if self.states[c].prefix_rows() < job.target_for(c)
                and (job.max_shards_for(c) is None or self.states[c].prefix_shards() < job.max_shards_for(c))]

    def _plan(self) -> None:
        """Plan one more shard per class in turn while the expected yield of a class falls short."""
        job = self.job
        while len(self.pending) < self.max_in_flight:
            # A class with shards in flight whose prefix is short only because they finish out of order waits.
            plan = [c for c in self._short() if (self.states[c].in_flight == 0
                    or self.states[c].expected_rows(job.events_per_shard) < job.target_for(c))
                    and (job.max_shards_for(c) is None or self.states[c].next_index < job.max_shards_for(c))]
            if not plan:
                return
            # Neediest class first (expected share of its target): with targets far above one round of shards, a
            # fixed class order gave every freed slot to the first class and starved the others.
            plan.sort(key=lambda c: self.states[c].expected_rows(job.events_per_shard) / job.target_for(c))
            for cls in plan:
                if len(self.pending) >= self.max_in_flight:
                    return
                state = self.states[cls]
                spec = job.spec(cls, state.next_index)
                index = state.next_index
                state.next_index += 1
                key = job.key(spec)
                cached = self.cache.get(key)
                if cached is not None:
                    arrays, meta = cached
                    state.record(index, arrays, meta)
                    self.shards_from_cache += 1
                    self.bar.update(cls, state.rows_done)
                else:
                    self.pending[self._submit(spec, key)] = (cls, index)
                    state.in_flight += 1

    def _submit(self, spec: Any, key: str) -> Future:
        if self.pool is None:
            self.pool = self.executor or ProcessPoolExecutor(max_workers=self.job.workers, initializer=worker_init,
                                                             mp_context=multiprocessing.get_context("spawn"))
        return self.pool.submit(self.job.run, spec, str(self.cache.directory), key)


def _result(future: Future) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise ExternalToolError(
            "a data-generation worker process died before finishing its shard (crash, out of memory, or a script "
            "that starts generation at import time).",
            fix="call generate_jets / generate_events under `if __name__ == '__main__':` in scripts (workers are spawned, so they "
                "re-import the main module), or lower --workers if memory is short.") from exc


class ShardProgress:
    """A rich progress bar with one row per class (rows collected / rows needed) on stderr; a no-op when disabled."""

    def __init__(self, job: ShardJob, *, enabled: bool) -> None:
        self._progress = None
        self._tasks: dict[str, Any] = {}
        self._totals = {c: job.target_for(c) for c in job.classes}
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            width = max(len(c) for c in job.classes)
            self._progress = Progress(TextColumn(f"{job.unit} {{task.description:>{width}}}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True))
            self._tasks = {c: self._progress.add_task(c, total=self._totals[c]) for c in job.classes}

    def __enter__(self) -> ShardProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, cls: str, rows: int) -> None:
        if self._progress is not None:
            self._progress.update(self._tasks[cls], completed=min(rows, self._totals[cls]))

