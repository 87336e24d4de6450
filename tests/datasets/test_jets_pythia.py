"""One Pythia run shared by several shard specs: each result equals the shard made alone, and only specs that could
have made the same events may share a run. Real Pythia, one small top shard with MPI off (containment fails often
enough for top jets that sample labels keep jets truth matching drops)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from edgenn.datasets import FEATURE_NAMES, JetGenConfig
from edgenn.datasets.jet_data import CONSTITUENT_NAMES
from edgenn.datasets.generate import shard_spec
from edgenn.datasets.jets_pythia import generate_shard, generate_shard_group
from edgenn.errors import InvalidInputError


def _spec(cls: str = "t", **fields):  # noqa: ANN202 - ShardSpec
    return shard_spec(JetGenConfig(fast=True, events_per_shard=80, **fields), cls, 0)


@pytest.fixture(scope="module")
def group():
    specs = (_spec(), _spec(definition="hls4ml-sample-labels"), _spec(detector=True), _spec(definition="hls4ml-z-no-b"),
             _spec(definition="hls4ml-sample-labels", pt_min=150.0, pt_max=3200.0, eta_max=2.7),
             _spec(definition="hls4ml-particle-pt1"))
    return specs, generate_shard_group(specs)


def test_each_shard_of_a_shared_run_equals_the_shard_made_alone(group):
    specs, results = group
    alone = generate_shard(specs[0])
    assert alone.features.shape[0] > 50
    for result in (results[0], results[3]):  # z-no-b changes only the Z sample, so its top shard is the default's
        np.testing.assert_array_equal(result.features, alone.features)
        np.testing.assert_array_equal(result.constituents, alone.constituents)
    measured = generate_shard(specs[2])
    np.testing.assert_array_equal(results[2].features, measured.features)
    assert [r.spec for r in results] == list(specs)


def test_sample_labels_keep_the_truth_matched_jets_and_the_unmatched_ones(group):
    _specs, (truth, sample, _det, _zb, wide, _pt1) = group
    assert sample.features.shape[0] > truth.features.shape[0]
    rows = {row.tobytes() for row in sample.features}
    assert all(row.tobytes() in rows for row in truth.features)
    # A wider jet window keeps every jet of the narrower one, and jets outside it.
    wide_rows = {row.tobytes() for row in wide.features}
    assert rows < wide_rows
    pt = wide.features[:, FEATURE_NAMES.index("j_pt")]
    assert pt.min() > 150.0 and (pt < 800.0).any()


def test_specs_with_different_pythia_runs_cannot_share_one():
    with pytest.raises(InvalidInputError, match="cannot share"):
        generate_shard_group((_spec("W"), _spec("Z")))
    with pytest.raises(InvalidInputError, match="cannot share"):
        generate_shard_group((_spec(), dataclasses.replace(_spec(), pythia_seed=7)))
    with pytest.raises(InvalidInputError, match="cannot share"):
        generate_shard_group((_spec("Z"), _spec("Z", definition="hls4ml-z-no-b")))


def test_a_particle_threshold_clusters_only_harder_particles(group):
    _specs, (default, *_others, pt1) = group
    pt = pt1.features[:, FEATURE_NAMES.index("j_pt")]
    rel_pt = pt1.constituents[:, :, CONSTITUENT_NAMES.index("rel_pt")]
    present = rel_pt > 0
    assert (rel_pt * pt[:, None])[present].min() > 1.0
    mult = FEATURE_NAMES.index("j_multiplicity")
    assert pt1.features[:, mult].mean() < 0.85 * default.features[:, mult].mean()
