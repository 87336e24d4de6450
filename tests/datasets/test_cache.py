"""ShardCache and the cache-directory rule."""

from __future__ import annotations

import numpy as np

from edgenn.datasets.cache import ShardCache, cache_key, default_cache_dir


def test_default_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EDGENN_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir("jets") == tmp_path / "c" / "jets"
    monkeypatch.delenv("EDGENN_CACHE_DIR")
    assert default_cache_dir("jets").parts[-3:] == (".cache", "edgenn", "jets")


def test_key_depends_on_content_not_order():
    assert cache_key({"a": 1, "b": [1, 2]}) == cache_key({"b": [1, 2], "a": 1})
    assert cache_key({"a": 1}) != cache_key({"a": 2})


def test_round_trip_and_corrupt_entry(tmp_path):
    cache = ShardCache(tmp_path)
    key = cache_key({"shard": 0})
    assert cache.get(key) is None
    features = np.arange(12, dtype=np.float32).reshape(3, 4)
    cache.put(key, {"features": features}, {"num_events": 7})
    arrays, meta = cache.get(key)
    np.testing.assert_array_equal(arrays["features"], features)
    assert meta == {"num_events": 7}
    cache.path(key).write_bytes(b"truncated")
    assert cache.get(key) is None  # unreadable entries count as absent and get regenerated
