"""prepare(): constituents are standardised on the training split's real particles; padding stays zero; a saved
standardiser is reused as is and must match the input kind."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.config.recipe import DataSpec
from edgenn.datasets import load_jets
from edgenn.standardize import real_particles
from edgenn.errors import InvalidInputError
from edgenn.training.inputs import prepare

FEATURES = ["rel_pt", "deta", "dphi", "log_pt", "delta_r"]


def test_constituents_are_standardised_over_real_training_particles(tiny_jets):
    from edgenn.datasets.jet_data import NUM_CONSTITUENTS

    # all stored slots: with the faithful 1 TeV jets every jet fills 16 slots, but not all of them fill every slot
    spec = DataSpec(path=tiny_jets, num_constituents=NUM_CONSTITUENTS, constituent_features=FEATURES,
                    val_fraction=0.2, test_fraction=0.3)
    data = prepare(spec, "constituents", seed=3)
    s = data.standardizer
    assert s is not None and s.zero_padded and s.feature_names == tuple(FEATURES)
    train = data.train.x
    real = real_particles(train)
    assert (~real).any()  # some jets have fewer particles than slots
    np.testing.assert_allclose(train[real].mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(train[real].std(axis=0), 1.0, atol=1e-4)
    # padding positions of the raw data are exactly zero after preparation, in every split
    raw = load_jets(tiny_jets / "jets.h5")
    cols = [raw.constituent_names.index(n) for n in FEATURES]
    raw_x = raw.constituents[:, :NUM_CONSTITUENTS][..., cols]
    num_padded_raw = int((~real_particles(raw_x)).sum())
    num_padded = sum(int((~real_particles(split.x)).sum()) for split in (data.train, data.val, data.test))
    assert num_padded == num_padded_raw
    assert all(np.all(split.x[~real_particles(split.x)] == 0.0) for split in (data.train, data.val, data.test))


def test_saved_standardiser_is_reused_and_checked(tiny_jets):
    spec = DataSpec(path=tiny_jets, num_constituents=8, constituent_features=FEATURES)
    first = prepare(spec, "constituents", seed=1)
    again = prepare(spec, "constituents", seed=1, standardizer=first.standardizer)
    assert np.array_equal(first.test.x, again.test.x)
    features = prepare(DataSpec(path=tiny_jets), "features", seed=1)
    with pytest.raises(InvalidInputError, match="standardizer.json is for features"):
        prepare(spec, "constituents", seed=1, standardizer=features.standardizer)


def test_images_are_left_unscaled(tiny_jets):
    data = prepare(DataSpec(path=tiny_jets, image_size=8), "images", seed=1)
    assert data.standardizer is None
    assert data.train.x.min() >= 0.0 and data.train.x.max() <= 1.0 + 1e-6
