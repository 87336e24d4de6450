"""The optional jet detector response: tracker smearing, calorimeter towers, thresholds, seeding, and its place in the
jet shard (keyed in the cache, measured constituents on a real Pythia shard)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edgenn.datasets import FEATURE_NAMES, JetGenConfig
from edgenn.datasets.detector_response import DEFAULT_DETECTOR, apply_detector
from edgenn.datasets.generate import shard_cache_key, shard_spec
from edgenn.datasets.jets_pythia import generate_shard, library_versions

DET = DEFAULT_DETECTOR


def _particles(rows):
    """rows of (event, pid, charge, pt, eta, phi, mass) -> apply_detector's flat arguments."""
    a = np.array(rows, dtype=np.float64)
    event, pid, charge, pt, eta, phi, mass = a.T
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    e = np.sqrt(px**2 + py**2 + pz**2 + mass**2)
    return event.astype(np.int64), pid.astype(np.int64), charge, px, py, pz, e


def _kinematics(out):
    pt = np.hypot(out["px"], out["py"])
    return pt, np.arcsinh(out["pz"] / pt), np.arctan2(out["py"], out["px"])


def test_tracks_keep_direction_and_get_the_cards_pt_resolution():
    n = 20_000
    rows = [(i, 211, 1.0, 100.0, 1.0, 0.3, 0.1396) for i in range(n)]
    out = apply_detector(*_particles(rows), np.random.default_rng(0))
    pt, eta, phi = _kinematics(out)
    assert pt.size == n
    np.testing.assert_allclose(eta, 1.0, atol=1e-9)
    np.testing.assert_allclose(phi, 0.3, atol=1e-9)
    expected = math.hypot(0.015, 2.5e-4 * 100.0)  # the card's 0.5 < |eta| <= 1.5 band
    assert abs(np.std(pt / 100.0) / expected - 1.0) < 0.05
    assert abs(np.mean(pt) / 100.0 - 1.0) < 3 * expected / math.sqrt(n)


def test_neutrals_in_one_tower_merge_and_sit_at_its_centre():
    rows = [(0, 22, 0.0, 50.0, 0.01, 0.01, 0.0), (0, 22, 0.0, 30.0, 0.05, 0.05, 0.0),  # same 0.087 x 5 deg tower
            (0, 22, 0.0, 40.0, 1.0, 2.0, 0.0)]  # far away
    out = apply_detector(*_particles(rows), np.random.default_rng(1))
    pt, eta, phi = _kinematics(out)
    assert pt.size == 2
    # Tower centres lie on the grid: eta = (i + 1/2) deta, phi = -pi + (j + 1/2) dphi.
    for value, origin, step in ((eta, 0.0, DET.tower_deta), (phi, -math.pi, DET.tower_dphi)):
        k = (value - origin) / step - 0.5
        np.testing.assert_allclose(k, np.round(k), atol=1e-6)
    merged = np.argmin(np.abs(eta))
    energy = out["E"][merged]
    true_e = 50.0 * math.cosh(0.01) + 30.0 * math.cosh(0.05)
    sigma = math.sqrt(0.11**2 / true_e + (0.40 / true_e) ** 2 + 0.008**2)
    assert abs(energy / true_e - 1.0) < 5 * sigma


def test_acceptance_muons_and_thresholds():
    rows = [(0, 13, -1.0, 20.0, 3.0, 0.0, 0.1057),   # muon outside the tracker: no track, no tower
            (0, 211, 1.0, 20.0, 3.0, 1.0, 0.1396),   # charged outside the tracker: a hadronic tower
            (0, 130, 0.0, 0.3, 0.0, -1.0, 0.4976),   # soft K_L: below the 1 GeV hadronic threshold
            (0, 22, 0.0, 10.0, 6.0, 0.0, 0.0),        # beyond the calorimeter
            (1, 211, 1.0, 5.0, 0.2, 0.0, 0.1396)]    # a track in the second event
    out = apply_detector(*_particles(rows), np.random.default_rng(2))
    assert out["event"].tolist() == [0, 1]
    pt, eta, _ = _kinematics(out)
    assert abs(eta[0] - 3.0) < DET.tower_deta and abs(eta[1] - 0.2) < 1e-9


def test_same_seed_same_response_other_seed_differs():
    rows = [(i // 3, 22 if i % 2 else 211, 0.0 if i % 2 else 1.0, 5.0 + i, 0.1 * (i % 7), 0.2 * i, 0.0)
            for i in range(30)]
    a, b = (apply_detector(*_particles(rows), np.random.default_rng(5)) for _ in range(2))
    c = apply_detector(*_particles(rows), np.random.default_rng(6))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["E"], c["E"])


def test_detector_is_part_of_the_cache_key_and_off_by_default():
    config = JetGenConfig(fast=True)
    assert config.detector is False
    versions = library_versions()
    off = shard_cache_key(shard_spec(config, "W", 0), versions)
    on = shard_cache_key(shard_spec(JetGenConfig(fast=True, detector=True), "W", 0), versions)
    assert off != on


@pytest.fixture(scope="module")
def w_shards():
    out = {}
    for detector in (False, True):
        spec = shard_spec(JetGenConfig(fast=True, detector=detector, events_per_shard=40), "W", 0)
        out[detector] = generate_shard(spec)
    return out


def test_measured_w_jets_have_fewer_constituents_and_keep_their_mass(w_shards):
    truth, measured = w_shards[False], w_shards[True]
    assert measured.features.shape[0] >= 40 and np.isfinite(measured.features).all()
    mult = FEATURE_NAMES.index("j_multiplicity")
    # Photons from pi0 decays share towers: fewer, merged constituents.
    assert measured.features[:, mult].mean() < 0.9 * truth.features[:, mult].mean()
    mass = measured.features[:, FEATURE_NAMES.index("j_mass_mmdt")]
    assert abs(np.median(mass) - 80.4) < 10.0
