"""Where trials run: in this process, in local worker processes, or on Ray actors; one interface for all.

``run_batch(jobs)`` runs a batch concurrently and returns the results in job order. The driver (``driver.py``) is
the only one that touches the Optuna study, so workers need no access to its storage: on a Ray cluster they only
need the dataset path and the output directory (a shared filesystem for more than one node).

Why Optuna workers as Ray actors rather than Ray Tune + OptunaSearch: the study in SQLite stays the single record
of the scan, so interrupting and resuming, the trials table and the Pareto front work the same with and without Ray;
an actor keeps its prepared dataset for all its trials (Tune would restart a trainable per trial); and one code path
serves one machine and many, with ``ray.init()`` the only Ray-specific step.

Worker processes are spawned (not forked: TensorFlow does not survive a fork) and each sets its TensorFlow thread
count to ``cores // workers``, so N workers do not oversubscribe the cores; a trial's weights depend on that count.
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from typing import Any

from edgenn.scan.trial import TrialJob, TrialWorker

_WORKER: TrialWorker | None = None  # one per spawned worker process; built by _init_process


def local_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    return max(1, (cores or local_cores()) // max(1, workers))


def _init_process(threads: int) -> None:
    global _WORKER
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    _WORKER = TrialWorker(threads)


def _run_in_process(job: TrialJob) -> dict[str, Any]:
    assert _WORKER is not None, "worker process was not initialised"
    return _WORKER.run(job)


class InProcessExecutor:
    """One worker: run in this process (easier to debug, no process start-up)."""

    def __init__(self, threads: int | None = None) -> None:
        self.workers = 1
        self._worker = TrialWorker(threads)

    def run_batch(self, jobs: list[TrialJob]) -> list[dict[str, Any]]:
        return [self._worker.run(job) for job in jobs]

    def close(self) -> None:
        pass


class ProcessExecutor:
    """``workers`` spawned processes, each preparing its data once and running trials until closed."""

    def __init__(self, workers: int, threads: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_init_process, initargs=(threads,))

    def run_batch(self, jobs: list[TrialJob]) -> list[dict[str, Any]]:
        from concurrent.futures.process import BrokenProcessPool

        from edgenn.errors import ExternalToolError

        try:
            return list(self._pool.map(_run_in_process, jobs))
        except BrokenProcessPool as exc:
            raise ExternalToolError("a scan worker process died (out of memory or killed).",
                                    fix="re-run the same command to resume; lower --workers if memory is short.") from exc

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def connect_ray(address: str) -> bool:
    """``ray.init`` for ``address`` ('local' starts a local cluster); returns whether this call started Ray."""
    from edgenn.errors import ExternalToolError, InvalidInputError

    try:
        import ray
    except ImportError as exc:
        raise ExternalToolError("--ray-address needs Ray, which is not installed.",
                                fix='pip install "edgenn[scan]" (or pip install "ray[tune]").') from exc
    if ray.is_initialized():
        return False
    env = {"env_vars": {"TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")}}
    try:
        if address == "local":
            ray.init(include_dashboard=False, log_to_driver=False, runtime_env=env)
        else:
            ray.init(address=address, log_to_driver=False, runtime_env=env)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise InvalidInputError(f"--ray-address {address}: cannot connect to a Ray cluster ({exc}).",
                                fix="use 'local' for a local cluster, 'auto' inside a cluster, or ray://HOST:10001.") \
            from None
    return True


class RayExecutor:
    """``workers`` Ray actors (default: one per CPU of the cluster), each a ``TrialWorker`` with 1 thread per CPU."""

    def __init__(self, address: str, workers: int | None = None, cpus_per_worker: int = 1) -> None:
        import ray
        from ray.util import ActorPool

        self._started = connect_ray(address)
        self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)) // cpus_per_worker)
        actor = ray.remote(num_cpus=cpus_per_worker)(TrialWorker)
        self._actors = [actor.remote(cpus_per_worker) for _ in range(self.workers)]
        self._pool = ActorPool(self._actors)

    def run_batch(self, jobs: list[TrialJob]) -> list[dict[str, Any]]:
        return list(self._pool.map(lambda a, job: a.run.remote(job), jobs))

    def close(self) -> None:
        import ray

        for a in self._actors:
            ray.kill(a)
        if self._started:
            ray.shutdown()


def make_executor(workers: int | None = None, ray_address: str | None = None):
    """Ray actors when ``ray_address`` is given, else local processes (one per core by default)."""
    if ray_address:
        return RayExecutor(ray_address, workers)
    workers = workers or local_cores()
    if workers == 1:
        return InProcessExecutor(threads_per_worker(1))
    return ProcessExecutor(workers, threads_per_worker(workers))


def _call(fn, *args):
    """Ray task body: ``fn`` travels pickled by reference, so any importable callable works (builtins too)."""
    return fn(*args)


class RayTaskExecutor:
    """The part of ``concurrent.futures.Executor`` that ``edgenn.datasets.generate`` uses, as Ray tasks."""

    def __init__(self, address: str) -> None:
        import ray

        self._started = connect_ray(address)
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._call = ray.remote(num_cpus=1)(_call)

    def submit(self, fn, *args) -> Future:
        return self._call.remote(fn, *args).future()

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        import ray

        if self._started:
            ray.shutdown()
