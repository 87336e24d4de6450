"""High-level features and constituent arrays for clustered jets, computed with fjcontrib through fastjet's awkward API.

Input: one record per jet (px, py, pz, E) and its constituents (jagged, px, py, pz, E). Output: numpy arrays whose
columns follow ``jet_data.FEATURE_NAMES`` and ``jet_data.CONSTITUENT_NAMES``.

fjcontrib substructure is only reachable as exclusive-jet methods of a ClusterSequence, so each jet's constituents
are reclustered as their own "event" with C/A, R = 2.0 (large enough that no constituent is beam-merged); one
exclusive jet is then the whole jet. Energy correlators follow the hls4ml convention: computed on the mMDT-groomed
jet (beta = 0, z_cut = 0.1, R0 = 0.8), with the pt_R measure, as fjcontrib's EnergyCorrelatorDoubleRatio / D2 /
GeneralizedD2 / Mseries / Nseries classes define them (docs/jet_definitions.md gives each formula and its source).
Ratios whose denominator vanishes (a jet groomed down to one particle, which
happens to ~10 % of W/Z jets) are set to 0 instead of NaN, so the arrays stay finite.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

from typing import Literal

import numpy as np

from edgenn.datasets.jet_data import CONSTITUENT_NAMES, FEATURE_NAMES, NUM_CONSTITUENTS
from edgenn.errors import InvalidInputError

JET_R = 0.8
_RECLUSTER_R = 2.0


@contextlib.contextmanager
def quiet_fastjet_warnings() -> Iterator[None]:
    """Ignore fastjet's generic 'exclusive jets ... with care' UserWarning (we only take C/A exclusive jets).

    Scoped with ``catch_warnings`` so the caller's warning filters are left as they were.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="dcut and exclusive jets", category=UserWarning)
        yield


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _momentum(arr):  # noqa: ANN001, ANN202 - awkward arrays
    import awkward as ak

    return ak.zip({"px": arr.px, "py": arr.py, "pz": arr.pz, "E": arr.E}, with_name="Momentum4D")


def compute_jet_features(jets, constituents, *, zlogz: Literal["energy", "pt"] = "energy",  # noqa: ANN001
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Return (features (N, len(FEATURE_NAMES)) float64, constituents (N, 50, len(CONSTITUENT_NAMES)) float32).

    ``zlogz`` picks the fraction z_i in j_zlogz = sum z_i log z_i over the ungroomed constituents: ``energy``
    (E_i / E_jet, as the public hls4ml ntuples were made) or ``pt`` (pT_i / sum pT, edgenn's legacy definition).
    FastJet prints its banner to stdout on first use; wrap calls in ``jets_pythia.quiet_stdout`` if stdout matters.
    """
    import vector

    if zlogz not in ("energy", "pt"):
        raise InvalidInputError(f"zlogz must be 'energy' or 'pt' (got {zlogz!r}).")
    vector.register_awkward()
    with quiet_fastjet_warnings():
        return _compute(jets, constituents, zlogz)


def _compute(jets, constituents, zlogz_fraction: str) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    import awkward as ak
    import fastjet

    n = len(jets)
    if n == 0:
        return (np.zeros((0, len(FEATURE_NAMES))),
                np.zeros((0, NUM_CONSTITUENTS, len(CONSTITUENT_NAMES)), dtype=np.float32))
    jets = _momentum(jets)
    cons = _momentum(constituents)
    ca = fastjet.JetDefinition(fastjet.cambridge_algorithm, _RECLUSTER_R)

    cs = fastjet.ClusterSequence(cons, ca)
    tau = ak.to_numpy(cs.njettiness(njets=[1, 2, 3], beta=1.0, R0=JET_R))
    # mMDT is the slowest call (~1.7 ms per jet): compute it once and reuse its constituents for every ECF.
    mmdt = cs.exclusive_jets_softdrop_grooming(njets=1, beta=0.0, symmetry_cut=0.1, R0=JET_R)
    csg = fastjet.ClusterSequence(_momentum(mmdt.constituents), ca)

    def ecf(npoint: int, angles: int, beta: float) -> np.ndarray:
        return ak.to_numpy(csg.exclusive_jets_energy_correlator(
            njets=1, func="generalized", npoint=npoint, angles=angles, beta=beta)).astype(np.float64)

    e2 = {b: ecf(2, -1, b) for b in (0.0, 1.0, 2.0)}
    e3 = {b: ecf(3, -1, b) for b in (1.0, 2.0)}
    e3_1 = {b: ecf(3, 1, b) for b in (1.0, 2.0)}  # 1e3: only the smallest pairwise angle
    e3_2 = {b: ecf(3, 2, b) for b in (1.0, 2.0)}  # 2e3: the two smallest angles

    share = cons.E if zlogz_fraction == "energy" else np.hypot(cons.px, cons.py)
    z = share / ak.sum(share, axis=1)  # the E-scheme jet energy is the sum of its constituents' energies
    zlogz = ak.to_numpy(ak.sum(z * np.log(z), axis=1))

    tau1, tau2, tau3 = tau[:, 0], tau[:, 1], tau[:, 2]
    cols = {
        "j_zlogz": zlogz,
        "j_c1_b0_mmdt": e2[0.0], "j_c1_b1_mmdt": e2[1.0], "j_c1_b2_mmdt": e2[2.0],
        "j_c2_b1_mmdt": _ratio(e3[1.0], e2[1.0] ** 2), "j_c2_b2_mmdt": _ratio(e3[2.0], e2[2.0] ** 2),
        "j_d2_b1_mmdt": _ratio(e3[1.0], e2[1.0] ** 3), "j_d2_b2_mmdt": _ratio(e3[2.0], e2[2.0] ** 3),
        # fjcontrib's EnergyCorrelatorGeneralizedD2(alpha, beta) = ECFG(-1, 3, alpha) / ECFG(-1, 2, beta)^(3 alpha /
        # beta), which the public ntuple code calls with (1, 1) and (1, 2). With alpha = beta = 1 that is the same
        # formula as EnergyCorrelatorD2(1) = e3 / e2^3: the two columns are equal by definition, not by a bug here.
        "j_d2_a1_b1_mmdt": _ratio(e3[1.0], e2[1.0] ** 3), "j_d2_a1_b2_mmdt": _ratio(e3[1.0], e2[2.0] ** 1.5),
        "j_m2_b1_mmdt": _ratio(e3_1[1.0], e2[1.0]), "j_m2_b2_mmdt": _ratio(e3_1[2.0], e2[2.0]),
        "j_n2_b1_mmdt": _ratio(e3_2[1.0], e2[1.0] ** 2), "j_n2_b2_mmdt": _ratio(e3_2[2.0], e2[2.0] ** 2),
        "j_mass_mmdt": ak.to_numpy(mmdt.msoftdrop),
        "j_multiplicity": ak.to_numpy(ak.num(cons, axis=1)).astype(np.float64),
        "j_pt": ak.to_numpy(jets.pt), "j_eta": ak.to_numpy(jets.eta), "j_mass": ak.to_numpy(jets.mass),
        "j_tau1_b1": tau1, "j_tau2_b1": tau2, "j_tau3_b1": tau3,
        "j_tau21_b1": _ratio(tau2, tau1), "j_tau32_b1": _ratio(tau3, tau2),
    }
    features = np.stack([np.asarray(cols[name], dtype=np.float64) for name in FEATURE_NAMES], axis=1)
    return features, constituent_array(jets, cons)


def constituent_array(jets, cons, num: int = NUM_CONSTITUENTS) -> np.ndarray:  # noqa: ANN001 - awkward arrays
    """Top ``num`` constituents by pT, zero-padded: (N, num, len(CONSTITUENT_NAMES)) float32."""
    import awkward as ak

    order = ak.argsort(cons.pt, axis=1, ascending=False)
    top = cons[order][:, :num]
    pt, eta, phi, energy = top.pt, top.eta, top.phi, top.E
    jet_pt = jets.pt
    deta = eta - jets.eta
    dphi = (phi - jets.phi + np.pi) % (2 * np.pi) - np.pi  # wrapped into [-pi, pi)
    cols = {
        "rel_pt": pt / jet_pt,
        "deta": deta,
        "dphi": dphi,
        "log_pt": np.log(pt),
        "log_e": np.log(energy),
        "rel_e": energy / jets.E,
        "delta_r": np.sqrt(deta**2 + dphi**2),
    }
    out = np.zeros((len(jets), num, len(CONSTITUENT_NAMES)), dtype=np.float32)
    for k, name in enumerate(CONSTITUENT_NAMES):
        padded = ak.fill_none(ak.pad_none(cols[name], num, axis=1, clip=True), 0.0)
        out[:, :, k] = ak.to_numpy(padded)
    return out
