"""The jet stage end to end on a tiny dataset: layout, balance, cache reuse, determinism, config validation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgenn.datasets import CONSTITUENT_NAMES, FEATURE_NAMES, JetGenConfig, generate_jets, load_jets
from edgenn.datasets.generate import MAX_SEED, pythia_seed
from edgenn.datasets.jets_pythia import PYTHIA_SEED_MAX
from edgenn.errors import ConfigError, InvalidInputError

TINY = {"jets_per_class": 30, "classes": ("W", "q"), "fast": True, "events_per_shard": 15}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("jets")
    out = {}
    out["a"] = generate_jets(JetGenConfig(seed=3, workers=2, **TINY), root / "a", progress=False,
                             cache_dir=root / "cache_a")
    out["a_mtimes"] = {p.name: p.stat().st_mtime_ns for p in (root / "cache_a").iterdir()}
    # Same config, own cache, one worker: must not depend on parallelism or cache.
    out["b"] = generate_jets(JetGenConfig(seed=3, workers=1, **TINY), root / "b", progress=False,
                             cache_dir=root / "cache_b")
    out["c"] = generate_jets(JetGenConfig(seed=4, workers=2, **TINY), root / "c", progress=False,
                             cache_dir=root / "cache_c")
    # Rerun of "a" into a new directory, same cache: everything must come from the cache.
    out["a2"] = generate_jets(JetGenConfig(seed=3, workers=2, **TINY), root / "a2", progress=True,
                              cache_dir=root / "cache_a")
    out["cache_a"] = root / "cache_a"
    return out


def _manifest(path):
    return json.loads((path.parent / "manifest.json").read_text())


def test_layout_shapes_names_and_balance(runs):
    path = runs["a"]
    assert path.name == "jets.h5" and (path.parent / "manifest.json").is_file()
    data = load_jets(path)
    assert data.features.shape == (60, len(FEATURE_NAMES))
    assert data.constituents.shape == (60, 50, len(CONSTITUENT_NAMES))
    assert data.class_names == ("q", "W")  # canonical order whatever order the config listed
    assert data.class_counts() == {"q": 30, "W": 30}
    assert data.meta["versions"]["pythia8mc"] and data.meta["versions"]["fastjet"]
    assert data.meta["classes"]["W"]["jets_before_truncation"] >= 30
    assert any("PartonLevel:MPI = off" == s for s in data.meta["classes"]["W"]["settings"])
    manifest = _manifest(path)
    assert manifest["counts"] == {"q": 30, "W": 30} and manifest["jets_per_second"] > 0
    assert len(manifest["dataset_sha256"]) == 64
    assert manifest["shards_generated"] >= 2 and manifest["shards_from_cache"] == 0
    # rel_pt of the leading constituent is in (0, 1]; the jets are in the requested window
    assert np.all((data.constituents[:, 0, 0] > 0) & (data.constituents[:, 0, 0] <= 1.0))
    pt = data.select_features(["j_pt"])[:, 0]
    assert np.all((pt > 800) & (pt < 1600))


def test_second_run_reuses_the_cache(runs):
    manifest = _manifest(runs["a2"])
    assert manifest["shards_generated"] == 0
    assert manifest["shards_from_cache"] == _manifest(runs["a"])["shards_generated"]
    mtimes = {p.name: p.stat().st_mtime_ns for p in runs["cache_a"].iterdir()}
    assert mtimes == runs["a_mtimes"]  # no shard file was rewritten
    np.testing.assert_array_equal(load_jets(runs["a2"]).features, load_jets(runs["a"]).features)


def test_same_seed_is_byte_identical_and_other_seed_differs(runs):
    a, b, c = (load_jets(runs[k]) for k in "abc")
    assert a.features.tobytes() == b.features.tobytes()
    assert a.constituents.tobytes() == b.constituents.tobytes()
    np.testing.assert_array_equal(a.labels, b.labels)
    assert _manifest(runs["a"])["dataset_sha256"] == _manifest(runs["b"])["dataset_sha256"]
    assert a.features.shape == c.features.shape
    assert a.features.tobytes() != c.features.tobytes()


def test_pythia_seeds_are_unique_and_in_range():
    seeds = {pythia_seed(s, cls, i) for s in (1, 2, MAX_SEED) for cls in "qgWZt" for i in (0, 1, 19_999)}
    assert len(seeds) == 3 * 5 * 3
    assert min(seeds) >= 1 and max(seeds) == PYTHIA_SEED_MAX
    with pytest.raises(InvalidInputError, match="more than 20000 shards"):
        pythia_seed(1, "q", 20_000)


def test_config_rejects_bad_values_naming_each_field():
    with pytest.raises(ConfigError) as info:
        JetGenConfig.build(jets_per_class=0, seed=MAX_SEED + 1, classes=("W", "H"), colour="red")
    text = str(info.value)
    for field in ("jets_per_class", "seed", "classes", "colour"):
        assert f"data.jets.{field}" in text
    with pytest.raises(ConfigError, match="pt_min"):
        JetGenConfig.build(pt_min=1700.0)
    assert JetGenConfig.build(classes=("Z", "W")).classes == ("W", "Z")


def test_fastjet_banner_stays_out_of_stdout(tmp_path, capfd):
    config = JetGenConfig(jets_per_class=5, classes=("Z",), fast=True, events_per_shard=10, workers=1)
    path = generate_jets(config, tmp_path / "z", progress=True, cache_dir=tmp_path / "cache")
    captured = capfd.readouterr()
    assert captured.out == ""  # progress goes to stderr, FastJet's banner nowhere
    assert "FastJet" not in captured.err
    assert load_jets(path).class_counts() == {"Z": 5}
