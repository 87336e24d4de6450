"""Calorimeter-region images (``datasets.calo_regions``) and the zero_bias stream, on real Pythia events.

The images are checked against an independent sum over the same events' particles (Pythia rerun with the shard's
seed), pileup must only add energy, zero bias must keep every event, and a dataset without images must be refused
with the command that makes one."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from edgenn.datasets.calo_regions import REGION_ETA_EDGES, REGION_SHAPE, region_indices
from edgenn.datasets.event_streams import event_stream
from edgenn.datasets.events_pythia import EventShardSpec, generate_event_shard
from edgenn.errors import InvalidInputError

SPEC = EventShardSpec(process="minbias", shard_index=0, pythia_seed=4242, num_events=40, fast=False,
                      qcd_pt_hat_min=100.0, lepton_pt_min=23.0, ht_min=350.0, stream="zero_bias", pileup_mu=0.0,
                      pileup_pool_events=40)


@pytest.fixture(scope="module")
def shards():
    """The same 40 minimum-bias crossings without and with pileup (mean 4, from a 40-event pool)."""
    return generate_event_shard(SPEC), generate_event_shard(dataclasses.replace(SPEC, pileup_mu=4.0))


def test_region_grid_is_the_cms_calorimeter_trigger_granularity():
    edges = np.asarray(REGION_ETA_EDGES)
    assert REGION_SHAPE == (18, 14) and edges[0] == -3.0 and edges[-1] == 3.0
    assert np.allclose(edges, -edges[::-1]), "eta regions are symmetric about 0"
    assert np.allclose(np.diff(edges)[5:9], 0.348), "barrel regions are 4 towers of 0.087"
    inside, i_phi, i_eta = region_indices(np.array([0.1, -0.1, 2.9, -2.9, 3.1, 1.75]),
                                          np.array([0.01, -0.01, np.pi, 2 * np.pi + 0.01, 0.0, 5 * np.pi / 9 + 0.01]))
    assert inside.tolist() == [True, True, True, True, False, True]
    assert i_eta[[0, 1, 2, 3, 5]].tolist() == [7, 6, 13, 0, 12]
    assert i_phi[[0, 1, 2, 3, 5]].tolist() == [0, 17, 9, 0, 5]


def test_zero_bias_keeps_every_event_and_images_sum_the_particles(shards):
    import awkward as ak
    import vector

    from edgenn.datasets.jets_pythia import make_pythia, quiet_stdout

    plain, _ = shards
    assert not event_stream("zero_bias").preselected and event_stream("zero_bias").calo_regions
    assert plain.objects.shape[0] == plain.regions.shape[0] == SPEC.num_events  # a random trigger keeps all
    assert plain.regions.shape[1:] == REGION_SHAPE and (plain.regions >= 0).all()
    vector.register_awkward()
    with quiet_stdout():  # the same events again, summed particle by particle with vector's own Et and eta
        pythia, _ = make_pythia(SPEC.settings())
        prt = pythia.nextBatch(SPEC.num_events).prt
    final = prt[prt.status > 0]
    aid = abs(final.id)
    p = final.p[(aid != 12) & (aid != 13) & (aid != 14) & (aid != 16)]
    expected = ak.to_numpy(ak.sum(ak.where(abs(p.eta) < 3.0, p.Et, 0.0), axis=1))
    assert np.allclose(plain.regions.sum(axis=(1, 2)), expected, rtol=1e-4, atol=1e-3)
    assert expected.mean() > 1.0, "minimum-bias crossings deposit energy"


def test_pileup_only_adds_energy_to_the_same_crossings(shards):
    plain, piled = shards
    assert piled.regions.shape == plain.regions.shape
    assert (piled.regions >= plain.regions - 1e-3).all()
    assert piled.regions.sum() > 1.5 * plain.regions.sum(), "mean 4 extra interactions should show"


def test_dataset_without_images_is_refused_naming_the_stream(shards, tmp_path):
    from edgenn.config.recipe import Recipe
    from edgenn.datasets.event_data import EventData, load_events, save_events
    from edgenn.training.anomaly import prepare_events

    plain, _ = shards
    n = len(plain.objects)
    with_images = EventData(plain.objects, np.zeros(n), ("minbias",), ("minbias",), np.ones(n),
                            {"stream": "zero_bias"}, regions=plain.regions)
    back = load_events(save_events(tmp_path / "zb.h5", with_images))
    assert np.array_equal(back.region_images()[..., 0], plain.regions)
    assert np.array_equal(back.subset([3, 1]).regions, plain.regions[[3, 1]])
    without = tmp_path / "plain" / "events.h5"
    without.parent.mkdir()
    save_events(without, EventData(plain.objects, np.zeros(n), ("minbias",), ("minbias",), np.ones(n),
                                   {"stream": "adc2021"}))
    recipe = Recipe(name="r", data={"kind": "events", "path": str(without.parent)},
                    model={"family": "calo_autoencoder"})
    with pytest.raises(InvalidInputError, match="no calorimeter-region images") as err:
        prepare_events(recipe)
    assert "--stream zero_bias" in err.value.fix and "adc2021" in str(err.value)
