"""Pileup overlay: Poisson counts, particles appended whole, cache keys, and its effect on a real W shard."""

from __future__ import annotations

import dataclasses
import awkward as ak
import numpy as np
import pytest
import vector

from edgenn.config.load import validate
from edgenn.datasets.event_layout import NUM_ELECTRONS, NUM_MUONS
from edgenn.datasets.events_generate import EventGenConfig, shard_cache_key, shard_spec
from edgenn.datasets.events_pythia import generate_event_shard
from edgenn.datasets.jets_pythia import PYTHIA_SEED_MAX, library_versions
from edgenn.datasets.pileup import charged_hadron_subtracted, overlay, pool_seed
from edgenn.errors import ConfigError

vector.register_awkward()
JETS = slice(1 + NUM_ELECTRONS + NUM_MUONS, None)


def _records(sizes, pid):
    n = int(sum(sizes))
    flat = ak.zip({"id": np.full(n, pid, np.int32), "status": np.ones(n, np.int32),
                   "p": ak.zip({"px": np.arange(n, dtype=float) + 1.0, "py": np.zeros(n), "pz": np.zeros(n),
                                "e": np.arange(n, dtype=float) + 1.0}, with_name="Momentum4D")})
    return ak.unflatten(flat, sizes)


def test_overlay_appends_a_poisson_number_of_whole_pool_events():
    hard = _records([3] * 4000, 11)
    pool = _records([1, 2, 3, 4, 5], 211)
    merged, counts = overlay(hard, pool, 6.0, np.random.default_rng(0))
    assert abs(counts.mean() - 6.0) < 0.15 and abs(counts.var() - 6.0) < 0.6  # Poisson: mean = variance
    added = ak.to_numpy(ak.num(merged.id)) - 3
    assert (added >= counts).all() and (added <= 5 * counts).all()  # whole events of 1-5 particles each
    assert ak.all(merged.id[:, :3] == 11) and ak.all(merged.id[:, 3:] == 211)  # the hard event comes first, intact
    assert merged.p.pt[0, 0] == 1.0  # the vector behaviour survives the merge
    again, _ = overlay(hard, pool, 6.0, np.random.default_rng(0))
    assert ak.all(ak.num(again.id) == ak.num(merged.id))


def test_charged_pileup_inside_the_tracker_is_subtracted():
    pt, eta = np.array([5.0, 5.0, 5.0, 5.0]), np.array([0.0, 3.0, 0.0, -1.0])
    pid = np.array([211, -211, 22, 2112], np.int32)  # pi+ central, pi- forward, photon, neutron
    p = ak.zip({"px": pt, "py": np.zeros(4), "pz": pt * np.sinh(eta), "e": pt * np.cosh(eta)}, with_name="Momentum4D")
    pool = ak.unflatten(ak.zip({"id": pid, "status": np.ones(4, np.int32), "p": p}), [4])
    kept = charged_hadron_subtracted(pool, {211: 1.0, -211: -1.0, 22: 0.0, 2112: 0.0}.__getitem__)
    assert ak.to_list(kept.id) == [[-211, 22, 2112]]


def test_pool_seed_is_one_to_one_and_in_range():
    seeds = {pool_seed(s, PYTHIA_SEED_MAX) for s in (1, 2, 12345, PYTHIA_SEED_MAX)}
    assert len(seeds) == 4 and min(seeds) >= 1 and max(seeds) <= PYTHIA_SEED_MAX


def test_pileup_is_off_by_default_keyed_when_on_and_validated():
    assert EventGenConfig().pileup_mu == 0.0
    versions = library_versions()
    keys = {mu: shard_cache_key(shard_spec(EventGenConfig(pileup_mu=mu), "wlnu", 0), versions) for mu in (0, 20, 40)}
    assert len(set(keys.values())) == 3
    with pytest.raises(ConfigError, match="pileup_mu"):
        validate(EventGenConfig, {"pileup_mu": -1.0}, source="edgenn data generate events")


def test_pileup_adds_jets_and_soft_energy_to_real_w_events():
    base = EventGenConfig(fast=True, events_per_shard=60)
    plain = generate_event_shard(shard_spec(base, "wlnu", 0))
    spec = shard_spec(base.model_copy(update={"pileup_mu": 20.0}), "wlnu", 0)
    piled = generate_event_shard(dataclasses.replace(spec, pileup_pool_events=100))
    assert plain.num_events == piled.num_events == 60
    assert piled.objects.shape[0] >= 5  # leptons still pass (isolation now includes pileup)
    jets = {name: (r.objects[:, JETS, 0] > 0).sum(axis=1).mean() for name, r in (("plain", plain), ("pu", piled))}
    ht = {name: r.objects[:, JETS, 0].sum(axis=1).mean() for name, r in (("plain", plain), ("pu", piled))}
    assert jets["pu"] > jets["plain"] + 0.5, jets
    assert ht["pu"] > ht["plain"], ht
