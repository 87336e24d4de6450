"""Jet-sample definitions: the registry, the hard-process window, and the physics each definition promises.

Real Pythia samples, kept small (MPI off where the property does not depend on the underlying event).
"""

from __future__ import annotations

import awkward as ak
import numpy as np
import pytest
import vector

from edgenn.datasets import FEATURE_NAMES, JetGenConfig
from edgenn.datasets.generate import shard_spec
from edgenn.datasets.jet_definitions import DEFAULT_JET_DEFINITION, JET_DEFINITIONS, jet_definition
from edgenn.datasets.jet_features import compute_jet_features
from edgenn.datasets.jets_pythia import generate_shard, make_pythia, quiet_stdout
from edgenn.errors import ConfigError, InvalidInputError

vector.register_awkward()


def test_default_is_the_hls4ml_recipe_and_legacy_keeps_its_name():
    assert DEFAULT_JET_DEFINITION == "hls4ml" == JetGenConfig().definition
    assert set(JET_DEFINITIONS) >= {"hls4ml", "legacy"}
    legacy = shard_spec(JetGenConfig(definition="legacy"), "W", 0).settings()
    assert "WeakDoubleBoson:ffbar2WW = on" in legacy and "PhaseSpace:pTHatMin = 950.0" in legacy
    default = shard_spec(JetGenConfig(), "q", 0).settings()
    assert "PhaseSpace:pTHatMin = 995.0" in default and "PhaseSpace:pTHatMax = 1005.0" in default
    assert not any(s.startswith("PartonLevel:MPI") for s in default)  # underlying event on unless --fast


def test_unknown_definition_is_refused_with_the_known_names():
    with pytest.raises(InvalidInputError, match="hls4ml"):
        jet_definition("pythia-default")
    with pytest.raises(ConfigError, match="definition"):
        JetGenConfig.build(definition="pythia-default")
    with pytest.raises(ConfigError, match="pt_hat_max"):
        JetGenConfig.build(pt_hat_min=1000.0, pt_hat_max=900.0)


def test_boson_window_veto_keeps_only_bosons_inside_the_window():
    spec = shard_spec(JetGenConfig(fast=True), "W", 0)
    boson, low, high = spec.boson_window()
    assert (boson, low, high) == (24, 995.0, 1005.0)
    with quiet_stdout():
        pythia, hook = make_pythia(spec.settings() + ["HadronLevel:all = off", "PartonLevel:all = off"],
                                   spec.boson_window())
        pts = []
        for _ in range(30):
            assert pythia.next()
            process = pythia.process
            pts.append(max(process[i].pT() for i in range(process.size()) if process[i].idAbs() == 24))
    assert hook is not None
    assert min(pts) >= low and max(pts) <= high


def _process_level_ids(spec, events: int) -> list[int]:
    with quiet_stdout():
        pythia, _hook = make_pythia(spec.settings() + ["HadronLevel:all = off", "PartonLevel:all = off"],
                                    spec.boson_window())
        ids = []
        for _ in range(events):
            assert pythia.next()
            ids += [pythia.process[i].idAbs() for i in range(pythia.process.size())]
    return ids


def test_z_no_b_variant_decays_z_to_light_and_charm_quarks_only():
    # gg -> H2 -> ZZ has no incoming b, so a b quark in the hard process can only come from a Z decay.
    default = _process_level_ids(shard_spec(JetGenConfig(fast=True), "Z", 0), 40)
    no_b = _process_level_ids(shard_spec(JetGenConfig(fast=True, definition="hls4ml-z-no-b"), "Z", 0), 40)
    assert default.count(5) >= 4  # BR(Z -> b b-bar) / BR(Z -> hadrons) = 0.22: ~17 expected in 80 Z decays
    assert no_b.count(5) == 0 and no_b.count(23) == 80
    assert shard_spec(JetGenConfig(definition="hls4ml-z-no-b"), "W", 0).settings() == \
        shard_spec(JetGenConfig(), "W", 0).settings()


@pytest.fixture(scope="module")
def boson_jets():
    """W and Z jets of both definitions from one small shard each (MPI off: grooming is what is tested)."""
    out = {}
    for definition in ("hls4ml", "legacy"):
        for cls in ("W", "Z"):
            spec = shard_spec(JetGenConfig(definition=definition, fast=True, events_per_shard=120), cls, 0)
            out[definition, cls] = generate_shard(spec).features[:, FEATURE_NAMES.index("j_mass_mmdt")]
    return out


@pytest.mark.parametrize("cls,mass", [("W", 80.4), ("Z", 91.2)])
def test_longitudinal_bosons_groom_to_the_boson_mass(boson_jets, cls, mass):
    m = boson_jets["hls4ml", cls]
    assert m.size >= 150  # two contained bosons per event in the window
    inside = np.abs(m - mass) < 15.0
    assert inside.mean() > 0.65, f"{cls}: only {inside.mean():.2f} of groomed masses within 15 GeV of {mass}"
    assert abs(np.median(m[inside]) - mass) < 5.0
    # Asymmetric (transverse) decays groom to one prong; the heavy-scalar bosons rarely do.
    assert (m < 30.0).mean() < 0.12
    assert (m < 30.0).mean() < (boson_jets["legacy", cls] < 30.0).mean()


def _jet(particles):
    pt, eta, phi = (np.array(v, dtype=np.float64) for v in zip(*particles))
    comps = {"px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pt * np.sinh(eta), "E": pt * np.cosh(eta)}
    cons = ak.zip({k: ak.Array([v.tolist()]) for k, v in comps.items()}, with_name="Momentum4D")
    jets = ak.zip({k: ak.Array([float(v.sum())]) for k, v in comps.items()}, with_name="Momentum4D")
    return jets, cons


def test_zlogz_uses_energy_fractions_for_hls4ml_and_pt_fractions_for_legacy():
    particles = [(500.0, 0.0, 0.0), (300.0, 0.5, 0.1), (200.0, -0.4, -0.2)]
    energy = np.array([p * np.cosh(e) for p, e, _ in particles])
    pt = np.array([p for p, _, _ in particles])
    with quiet_stdout():
        f_e = compute_jet_features(*_jet(particles), zlogz="energy")[0][0]
        f_pt = compute_jet_features(*_jet(particles), zlogz="pt")[0][0]
    i = FEATURE_NAMES.index("j_zlogz")
    z_e, z_pt = energy / energy.sum(), pt / pt.sum()
    assert f_e[i] == pytest.approx(np.sum(z_e * np.log(z_e)))
    assert f_pt[i] == pytest.approx(np.sum(z_pt * np.log(z_pt)))
    assert f_e[i] != pytest.approx(f_pt[i])
    with pytest.raises(InvalidInputError):
        compute_jet_features(*_jet(particles), zlogz="mass")


def test_d2_columns_follow_fjcontrib_definitions_in_closed_form():
    # Three hard prongs survive mMDT, so every ECF is a closed-form sum over pairs and the triple.
    particles = [(500.0, 0.0, 0.0), (300.0, 0.3, 0.1), (200.0, -0.2, 0.25)]
    with quiet_stdout():
        f = dict(zip(FEATURE_NAMES, compute_jet_features(*_jet(particles))[0][0]))
    pt = np.array([p for p, _, _ in particles])
    z = pt / pt.sum()
    eta, phi = np.array([p[1] for p in particles]), np.array([p[2] for p in particles])
    # fjcontrib's pt_R measure uses rapidity; the particles are massless, so rapidity = pseudorapidity.
    theta = {(i, j): np.hypot(eta[i] - eta[j], phi[i] - phi[j]) for i in range(3) for j in range(i + 1, 3)}

    def e2(beta):
        return sum(z[i] * z[j] * theta[i, j] ** beta for i, j in theta)

    def e3(beta):
        return z.prod() * (theta[0, 1] * theta[0, 2] * theta[1, 2]) ** beta

    assert f["j_d2_b1_mmdt"] == pytest.approx(e3(1) / e2(1) ** 3)
    assert f["j_d2_b2_mmdt"] == pytest.approx(e3(2) / e2(2) ** 3)
    # EnergyCorrelatorGeneralizedD2(alpha, beta) = e3(alpha) / e2(beta)^(3 alpha / beta), as fjcontrib defines it:
    # at (1, 1) it coincides with D2(beta = 1), as in the public ntuples; (1, 2) differs.
    assert f["j_d2_a1_b1_mmdt"] == pytest.approx(e3(1) / e2(1) ** 3)
    assert f["j_d2_a1_b2_mmdt"] == pytest.approx(e3(1) / e2(2) ** 1.5)
    assert f["j_c2_b1_mmdt"] == pytest.approx(e3(1) / e2(1) ** 2)
    # M2 = 1e3 / 1e2 and N2 = 2e3 / (1e2)^2: 1e3 keeps the smallest pairwise angle of the triple, 2e3 the two smallest.
    angles = sorted(theta.values())
    assert f["j_m2_b1_mmdt"] == pytest.approx(z.prod() * angles[0] / e2(1))
    assert f["j_n2_b2_mmdt"] == pytest.approx(z.prod() * (angles[0] * angles[1]) ** 2 / e2(2) ** 2)
