"""The shard scheduler shares workers fairly between classes when every target is far away."""

from __future__ import annotations

from concurrent.futures import Future

import numpy as np

from edgenn.datasets.cache import ShardCache
from edgenn.datasets.shard_scheduler import ShardJob, ShardProgress, ShardScheduler


def _shard(spec, cache_dir, key):
    """Ten rows per shard, stored like a real shard so that a rerun would find it."""
    arrays = {"features": np.zeros((10, 2), np.float32)}
    meta = {"num_events": 10}
    ShardCache(cache_dir).put(key, arrays, meta)
    return arrays, meta


class InlineExecutor:
    """Runs each shard at submit time and remembers the order in which classes were served."""

    workers = 1

    def __init__(self):
        self.order = []

    def submit(self, fn, spec, cache_dir, key):
        self.order.append(spec[0])
        future = Future()
        future.set_result(fn(spec, cache_dir, key))
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        pass


def test_far_targets_are_served_round_robin(tmp_path):
    executor = InlineExecutor()
    job = ShardJob(classes=("a", "b", "c"), target=10_000, events_per_shard=10, workers=1,
                   spec=lambda cls, index: (cls, index), key=lambda spec: f"{spec[0]}-{spec[1]}", run=_shard,
                   count_array="features", default_yield=1.0, unit="rows", max_shards=4)
    with ShardProgress(job, enabled=False) as bar, ShardScheduler(job, ShardCache(tmp_path), bar, executor) as s:
        states = s.run()
    assert [states[c].prefix_shards() for c in "abc"] == [4, 4, 4]
    # Before the fix the first class took every freed slot: a, b, a, a, a, ...
    for n in range(3, len(executor.order) + 1, 3):
        served = executor.order[:n]
        assert {served.count(c) for c in "abc"} == {n // 3}, executor.order
