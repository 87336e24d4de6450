"""Standardizer: features over all rows; zero-padded constituents over real particles with padding kept at zero."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgenn.standardize import Standardizer, real_particles
from edgenn.errors import InvalidInputError


def padded_constituents(rng: np.random.Generator, num_jets: int = 200, num_particles: int = 8) -> np.ndarray:
    """(jets, particles, 3): log_pt-like column on 0..7, two angle-like columns within +-0.8, random multiplicity."""
    x = np.zeros((num_jets, num_particles, 3), np.float32)
    for j in range(num_jets):
        k = rng.integers(1, num_particles + 1)
        x[j, :k, 0] = rng.uniform(0.1, 7.0, k)
        x[j, :k, 1:] = rng.uniform(-0.8, 0.8, (k, 2))
    return x


def test_constituent_statistics_come_from_real_particles_only():
    x = padded_constituents(np.random.default_rng(0))
    real = x[real_particles(x)]
    assert len(real) < x.shape[0] * x.shape[1]  # the fixture does pad
    s = Standardizer.fit_real_particles(x, ("log_pt", "deta", "dphi"))
    np.testing.assert_allclose(s.mean, real.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(s.scale, real.std(axis=0), rtol=1e-6)
    z = s.apply(x)
    assert np.all(z[~real_particles(x)] == 0.0)  # padding stays exactly zero
    zr = z[real_particles(x)]
    np.testing.assert_allclose(zr.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(zr.std(axis=0), 1.0, atol=1e-5)
    # the padded-inclusive fit (what Standardizer.fit would do) gives other statistics
    assert not np.allclose(Standardizer.fit(x, ("a", "b", "c")).mean, s.mean)


def test_standardisation_commutes_with_shuffling_particles():
    rng = np.random.default_rng(1)
    x = padded_constituents(rng)
    s = Standardizer.fit_real_particles(x, ("log_pt", "deta", "dphi"))
    perm = rng.permutation(x.shape[1])
    assert np.array_equal(s.apply(x[:, perm]), s.apply(x)[:, perm])


def test_invert_undoes_apply_and_keeps_padding():
    x = padded_constituents(np.random.default_rng(2))
    s = Standardizer.fit_real_particles(x, ("log_pt", "deta", "dphi"))
    back = s.invert(s.apply(x))
    assert np.all(back[~real_particles(x)] == 0.0)
    np.testing.assert_allclose(back, x, atol=1e-5)


def test_round_trip_through_json_and_old_files_load_as_feature_standardisers(tmp_path):
    x = padded_constituents(np.random.default_rng(3))
    s = Standardizer.fit_real_particles(x, ("log_pt", "deta", "dphi"))
    s.save(tmp_path / "standardizer.json")
    loaded = Standardizer.load(tmp_path / "standardizer.json")
    assert loaded.zero_padded and loaded.feature_names == s.feature_names
    assert np.array_equal(loaded.apply(x), s.apply(x))
    (tmp_path / "old.json").write_text(json.dumps({"feature_names": ["a"], "mean": [1.0], "scale": [2.0]}))
    old = Standardizer.load(tmp_path / "old.json")
    assert not old.zero_padded
    assert old.apply(np.array([[0.0]], np.float32))[0, 0] == -0.5  # zeros are data for features


def test_no_real_particles_is_a_user_error():
    with pytest.raises(InvalidInputError, match="no real particles"):
        Standardizer.fit_real_particles(np.zeros((4, 3, 2), np.float32), ("a", "b"))


def trigger_objects(rng: np.random.Generator, n: int = 1000) -> np.ndarray:
    """(n, 3 objects x (pT, eta, phi)) flattened: a MET slot, two electron slots, the second filled in 1 event only."""
    x = np.zeros((n, 3, 3), np.float32)
    x[:, 0, 0], x[:, 0, 2] = rng.exponential(30, n), rng.uniform(-np.pi, np.pi, n)  # MET: eta stays 0
    x[:, 1] = np.c_[rng.exponential(20, n) + 5, rng.normal(0, 1.5, n), rng.uniform(-np.pi, np.pi, n)]
    x[0, 2] = (12.0, 0.3, 1.0)  # the rarely filled slot
    return x.reshape(n, 9)


def test_trigger_objects_share_statistics_per_type_and_keep_absent_objects_zero(tmp_path):
    rng = np.random.default_rng(1)
    x = trigger_objects(rng)
    names = tuple(f"{o}_{f}" for o in ("met", "e0", "e1") for f in ("pt", "eta", "phi"))
    s = Standardizer.fit_objects(x, names, (1, 2, 2))
    electrons = x.reshape(-1, 3, 3)[:, 1:].reshape(-1, 3)
    electrons = electrons[real_particles(electrons)]
    # both electron slots get the pooled electron statistics, not the second slot's one-event spread
    np.testing.assert_allclose(s.mean[3:6], electrons.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(s.mean[6:9], s.mean[3:6])
    np.testing.assert_allclose(s.scale[6:9], s.scale[3:6])
    assert s.scale[1] == 1.0 and s.mean[1] == 0.0  # MET eta is constant 0: left alone
    # a test event with a second electron stays a few sigma away (per-slot statistics gave it an inf/huge value)
    event = np.zeros((1, 9), np.float32)
    event[0, :6] = x[1, :6]
    event[0, 6:] = (60.0, -1.0, 2.0)
    out = s.apply(event)
    assert np.abs(out).max() < 10 and (out[0, 6:] != 0).all()
    # absent objects stay exactly zero; the round trip and the saved file preserve the layout
    assert (s.apply(x)[1:, 6:] == 0).all()
    np.testing.assert_allclose(s.invert(s.apply(x)), x, rtol=1e-4, atol=1e-3)
    s.save(tmp_path / "s.json")
    loaded = Standardizer.load(tmp_path / "s.json")
    assert loaded.object_width == 3 and loaded.zero_padded
    np.testing.assert_array_equal(loaded.apply(x), s.apply(x))


def test_trigger_objects_with_a_wrong_row_width_are_refused():
    with pytest.raises(InvalidInputError, match=r"not \(N, 3 objects x features\)"):
        Standardizer.fit_objects(np.zeros((4, 10)), tuple("abcdefghij"), (1, 2, 2))


def test_uncentred_features_keep_absent_objects_below_real_ones():
    x = trigger_objects(np.random.default_rng(2))
    names = tuple(f"{o}_{f}" for o in ("met", "e0", "e1") for f in ("pt", "eta", "phi"))
    s = Standardizer.fit_objects(x, names, (1, 2, 2), centre=(False, True, True))
    assert (s.mean[[0, 3, 6]] == 0).all() and (s.mean[[4, 7]] != 0).all()  # pT only scaled, eta/phi centred
    out = s.apply(x).reshape(-1, 3, 3)
    assert (out[:, 1, 0] > 0).all()  # every real electron's pT is above the 0 of an absent one
    np.testing.assert_allclose(s.invert(s.apply(x)), x, rtol=1e-4, atol=1e-3)
