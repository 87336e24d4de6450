"""Event streams: the registry, and the reconstruction the adc2021 stream promises (isolated leptons, overlap removal,
resolution), on hand-built particle records whose answer is known and on a small real Pythia sample."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import vector

from edgenn.datasets.event_layout import NUM_ELECTRONS, NUM_MUONS
from edgenn.datasets.event_reco import reco_objects
from edgenn.datasets.event_streams import (
    DEFAULT_EVENT_STREAM,
    EVENT_STREAMS,
    MAX_PROCESSES_PER_STREAM,
    event_stream,
)
from edgenn.datasets.events_generate import EventGenConfig, shard_spec
from edgenn.datasets.events_pythia import generate_event_shard
from edgenn.datasets.jets_pythia import quiet_stdout
from edgenn.errors import ConfigError, InvalidInputError

vector.register_awkward()
JETS = slice(1 + NUM_ELECTRONS + NUM_MUONS, None)


def test_default_stream_is_adc2021_with_its_four_signals_and_legacy_keeps_its_name():
    assert DEFAULT_EVENT_STREAM == "adc2021" == EventGenConfig().stream
    adc = event_stream("adc2021")
    assert set(adc.signals) == {"ato4l", "lq_btau", "h0_tautau", "hplus_taunu"}
    assert {"wlnu", "zll", "ttbar"} <= set(adc.background) and any(p.startswith("qcd") for p in adc.background)
    assert "42:oneChannel = 1 1.0 0 5 15" in adc.signals["lq_btau"]  # b tau, not c tau
    legacy = event_stream("ht_legacy")
    assert set(legacy.signals) == {"a_tautau", "hplus_taunu", "lq_ctau", "h2_zz4l"} and legacy.ht_path
    assert all(len(s.processes) <= MAX_PROCESSES_PER_STREAM for s in EVENT_STREAMS.values())
    assert EventGenConfig().processes == adc.process_names


def test_unknown_stream_and_processes_of_another_stream_are_refused():
    with pytest.raises(InvalidInputError, match="adc2021"):
        event_stream("delphes")
    with pytest.raises(ConfigError, match="stream"):
        _build(stream="delphes")
    with pytest.raises(ConfigError, match="h2_zz4l"):
        _build(processes=("wlnu", "h2_zz4l"))  # an ht_legacy process in the adc2021 stream


def _build(**kwargs):
    from edgenn.config.load import validate

    return validate(EventGenConfig, kwargs, source="edgenn data generate events")


def _record(particles):
    """One-event Pythia-like record from (pdg id, pT, eta, phi) final-state particles."""
    ids, pt, eta, phi = (np.array(v, dtype=np.float64) for v in zip(*particles))
    p = {"px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pt * np.sinh(eta), "e": pt * np.cosh(eta)}
    mom = ak.zip({k: ak.Array([v.tolist()]) for k, v in p.items()}, with_name="Momentum4D")
    return ak.zip({"id": ak.Array([ids.astype(int).tolist()]), "status": ak.Array([[1] * len(ids)]), "p": mom},
                  depth_limit=2)


def _objects(particles, seed=1):
    with quiet_stdout():  # FastJet's banner
        return reco_objects(_record(particles), np.random.default_rng(seed))[0]


def test_lepton_inside_a_jet_is_not_isolated_and_an_isolated_one_is_kept():
    hadrons = [(211, 20.0, 0.05, 0.05), (-211, 25.0, -0.05, 0.0), (111, 15.0, 0.0, -0.08)]  # 60 GeV in the cone
    objects = _objects([(13, 30.0, 0.0, 0.0), *hadrons, (-13, 40.0, 1.0, 2.5)])
    muons = objects[1 + NUM_ELECTRONS:1 + NUM_ELECTRONS + NUM_MUONS]
    assert (muons[:, 0] > 0).sum() == 1  # only the isolated muon
    assert muons[0, 1] == pytest.approx(1.0) and muons[0, 2] == pytest.approx(2.5)
    assert muons[0, 0] == pytest.approx(40.0, rel=0.1)  # smeared by ~1 %
    jets = objects[JETS]
    assert (jets[:, 0] > 0).sum() == 1  # the hadrons and the non-isolated muon make one jet
    assert jets[0, 0] == pytest.approx(90.0, rel=0.4)


def test_isolated_electron_is_not_a_jet_and_its_photon_is_overlap_removed():
    objects = _objects([(11, 200.0, 0.3, 1.0), (22, 20.0, 0.3, 1.2)])  # relative isolation 0.1 < 0.12
    assert objects[1, 0] == pytest.approx(200.0, rel=0.1)
    assert not objects[JETS, 0].any()  # the 20 GeV photon jet sits at dR 0.2 < 0.4 of the electron
    far = _objects([(11, 200.0, 0.3, 1.0), (22, 40.0, -1.5, -1.0)])
    assert (far[JETS, 0] > 0).sum() == 1


def test_resolution_is_seeded_and_met_is_smeared():
    particles = [(211, 50.0, 0.0, 0.0), (211, 50.0, 0.1, np.pi)]  # balanced: generator MET 0
    a, b, c = _objects(particles, 1), _objects(particles, 1), _objects(particles, 2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert 0 < a[0, 0] < 30  # sigma = 0.5 sqrt(100 GeV) = 5 GeV per component


def test_real_w_sample_passes_the_isolated_lepton_filter():
    spec = shard_spec(EventGenConfig(fast=True, events_per_shard=120), "wlnu", 0)
    result = generate_event_shard(spec)
    objects = result.objects
    assert 0.15 < objects.shape[0] / result.num_events < 0.6  # W -> e/mu nu in acceptance (tau -> l rarely)
    leptons = objects[:, 1:1 + NUM_ELECTRONS + NUM_MUONS, 0]
    assert (leptons.max(axis=1) > 23.0).all()
    assert np.median(objects[:, 0, 0]) > 20.0  # the neutrino's MET


def test_qcd_slices_are_capped_by_default_but_not_when_asked_for():
    from edgenn.datasets.events_generate import event_job

    default = event_job(EventGenConfig(), {})
    assert default.max_shards_for("qcd_pt50") == 4 and default.max_shards_for("wlnu") == 200
    asked = event_job(EventGenConfig(process_events={"qcd_pt50": 1000}), {})
    assert asked.max_shards_for("qcd_pt50") == 200 and asked.max_shards_for("qcd_pt20") == 4
    explicit = event_job(EventGenConfig(max_shards_per_process=7), {})
    assert explicit.max_shards_for("qcd_pt50") == explicit.max_shards_for("wlnu") == 7
