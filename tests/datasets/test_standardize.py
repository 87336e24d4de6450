"""Standardizer: features over all rows; zero-padded constituents over real particles with padding kept at zero."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgenn.datasets.standardize import Standardizer, real_particles
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
