"""Jet features on hand-built jets whose values are known in closed form."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import vector

from edgenn.datasets import CONSTITUENT_NAMES, FEATURE_NAMES
from edgenn.datasets.jet_features import compute_jet_features
from edgenn.datasets.jets_pythia import quiet_stdout

vector.register_awkward()


def _jet(particles):
    """One jet from (pT, eta, phi) massless particles: (jets, constituents) awkward arrays."""
    pt, eta, phi = (np.array(v, dtype=np.float64) for v in zip(*particles))
    comps = {"px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pt * np.sinh(eta), "E": pt * np.cosh(eta)}
    cons = ak.zip({k: ak.Array([v.tolist()]) for k, v in comps.items()}, with_name="Momentum4D")
    jets = ak.zip({k: ak.Array([float(v.sum())]) for k, v in comps.items()}, with_name="Momentum4D")
    return jets, cons


def _features(particles):
    with quiet_stdout():  # FastJet's banner
        features, constituents = compute_jet_features(*_jet(particles))
    return dict(zip(FEATURE_NAMES, features[0])), constituents[0]


def test_two_prong_jet_matches_closed_form():
    f, cons = _features([(600.0, 0.0, 0.0), (400.0, 0.2, 0.1)])
    z1, z2, dr = 0.6, 0.4, np.hypot(0.2, 0.1)
    mass = np.sqrt(2 * 600 * 400 * (np.cosh(0.2) - np.cos(0.1)))
    assert f["j_multiplicity"] == 2
    # zlogz takes energy fractions by default (the hls4ml ntuples' definition); the ECFs take pT fractions.
    e1, e2 = 600.0, 400.0 * np.cosh(0.2)
    ze1, ze2 = e1 / (e1 + e2), e2 / (e1 + e2)
    assert f["j_zlogz"] == pytest.approx(ze1 * np.log(ze1) + ze2 * np.log(ze2))
    assert f["j_c1_b0_mmdt"] == pytest.approx(z1 * z2)
    assert f["j_c1_b1_mmdt"] == pytest.approx(z1 * z2 * dr)
    assert f["j_c1_b2_mmdt"] == pytest.approx(z1 * z2 * dr**2)
    assert f["j_mass_mmdt"] == pytest.approx(mass) and f["j_mass"] == pytest.approx(mass)
    # three-point correlators vanish with two particles; the ratios must be 0, not NaN
    assert f["j_d2_b1_mmdt"] == 0 and f["j_n2_b2_mmdt"] == 0 and f["j_tau21_b1"] == 0
    assert cons.shape == (50, len(CONSTITUENT_NAMES))
    assert cons[0, 0] > cons[1, 0] > 0 and not cons[2:].any()  # sorted by pT, zero padded


def test_soft_wide_particle_is_groomed_by_mmdt():
    f, cons = _features([(600.0, 0.0, 0.0), (400.0, 0.2, 0.1), (5.0, -0.4, -0.4)])
    two_prong = np.sqrt(2 * 600 * 400 * (np.cosh(0.2) - np.cos(0.1)))
    assert f["j_multiplicity"] == 3
    assert f["j_mass_mmdt"] == pytest.approx(two_prong, rel=1e-9)
    assert f["j_mass"] > f["j_mass_mmdt"] + 1.0
    names = list(CONSTITUENT_NAMES)
    deta, dphi, dr = cons[2, names.index("deta")], cons[2, names.index("dphi")], cons[2, names.index("delta_r")]
    assert dr == pytest.approx(np.hypot(deta, dphi), rel=1e-6)
    assert cons[:, names.index("rel_pt")].sum() == pytest.approx(1005.0 / f["j_pt"], rel=1e-6)


def test_dphi_is_wrapped_across_pi():
    f, cons = _features([(600.0, 0.0, np.pi - 0.05), (400.0, 0.0, -np.pi + 0.05)])
    dphi = cons[:2, CONSTITUENT_NAMES.index("dphi")]
    assert np.all(np.abs(dphi) < 0.1)
