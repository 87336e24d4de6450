"""A simple, optional detector response for generated jets: a tracker for charged particles and a calorimeter of
eta-phi towers for everything else, so that jet constituents look measured instead of generator-exact.

Off by default (``edgenn data generate jets --detector`` or ``JetGenConfig(detector=True)`` turns it on); the public
hls4ml jet dataset's features are generator-level, so the default definition keeps them so. What it does, per event:

- Tracker: charged final-state particles with |eta| <= ``tracker_eta_max`` and pT > ``track_pt_min`` become tracks
  with their direction and mass kept and pT smeared by sigma(pT)/pT = a (+) b pT, (a, b) per |eta| band
  (``track_resolution``).
- Calorimeter: every other visible particle within |eta| < ``calo_eta_max`` (muons excepted: they leave a track or
  nothing) deposits its energy in a tower of ``tower_deta`` x ``tower_dphi``. Photons and electrons fill an
  electromagnetic tower, hadrons a hadronic one, each smeared as a whole with sigma(E)/E = S / sqrt(E) (+) N / E
  (+) C and dropped below its energy threshold; a tower becomes a massless particle at the tower centre.

Every parameter comes from the Delphes CMS card (delphes/delphes ``cards/delphes_card_CMS.tcl``): the charged-hadron
momentum smearing (based on arXiv:1405.6569), the ECAL barrel energy formula (arXiv:1502.02701, without its eta
shape), the HCAL formula for |eta| <= 3, the 5-degree HCAL towers (0.087 in eta, 2 pi / 72 in phi) and the ECAL / HCAL
``EnergyMin`` thresholds. Simplifications, on purpose: one tower grid for both calorimeters (the card's ECAL is
finer), no tracking or identification efficiency, no magnetic-field bending, no particle-flow merging. Random
numbers come from the generator passed in (seeded from the shard's Pythia seed), drawn in a fixed order.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class DetectorResponse:
    """Parameters of the response (energies and momenta in GeV); the defaults are the Delphes CMS card's."""

    tracker_eta_max: float = 2.5
    track_pt_min: float = 0.1
    # (|eta| upper edge, a, b): sigma(pT)/pT = sqrt(a^2 + (b pT)^2), Delphes CMS ChargedHadronMomentumSmearing
    track_resolution: tuple[tuple[float, float, float], ...] = ((0.5, 0.01, 1.5e-4), (1.5, 0.015, 2.5e-4),
                                                                (2.5, 0.025, 5.5e-4))
    calo_eta_max: float = 5.0
    tower_deta: float = 0.087
    tower_dphi: float = 2.0 * math.pi / 72.0
    # (S, N, C): sigma(E)/E = sqrt(S^2/E + N^2/E^2 + C^2); ECAL barrel and HCAL (|eta| <= 3) of the card
    em_resolution: tuple[float, float, float] = (0.11, 0.40, 0.008)
    hadron_resolution: tuple[float, float, float] = (1.50, 0.0, 0.050)
    em_energy_min: float = 0.5
    hadron_energy_min: float = 1.0


DEFAULT_DETECTOR = DetectorResponse()
_EM_IDS = (11, 22)
_MUON = 13


def _track_sigma(pt: np.ndarray, abs_eta: np.ndarray, det: DetectorResponse) -> np.ndarray:
    sigma = np.zeros_like(pt)
    lower = 0.0
    for upper, a, b in det.track_resolution:
        band = (abs_eta >= lower) & (abs_eta <= upper)
        sigma[band] = np.sqrt(a**2 + (b * pt[band]) ** 2)
        lower = upper
    return sigma


def _calo_sigma(energy: np.ndarray, snc: tuple[float, float, float]) -> np.ndarray:
    s, n, c = snc
    e = np.maximum(energy, 1e-9)
    return np.sqrt(s**2 / e + (n / e) ** 2 + c**2)


def apply_detector(event: np.ndarray, pid: np.ndarray, charge: np.ndarray, px: np.ndarray, py: np.ndarray,
                   pz: np.ndarray, energy: np.ndarray, rng: np.random.Generator,
                   det: DetectorResponse = DEFAULT_DETECTOR) -> dict[str, np.ndarray]:
    """Measured particles from flat arrays of visible final-state particles (``event`` = index of each particle's
    event, non-decreasing); returns flat ``event``, ``px``, ``py``, ``pz``, ``E`` sorted by event, tracks before
    towers within an event."""
    pt = np.hypot(px, py)
    p = np.sqrt(pt**2 + pz**2)
    eta = np.arcsinh(np.divide(pz, pt, out=np.zeros_like(pz), where=pt > 0))
    phi = np.arctan2(py, px)
    abs_eta, abs_id = np.abs(eta), np.abs(pid)
    is_track = (charge != 0) & (abs_eta <= det.tracker_eta_max) & (pt > det.track_pt_min)

    t_pt = pt[is_track] * np.clip(1.0 + _track_sigma(pt[is_track], abs_eta[is_track], det)
                                  * rng.standard_normal(int(is_track.sum())), 0.0, None)
    scale = np.divide(t_pt, pt[is_track], out=np.zeros_like(t_pt), where=pt[is_track] > 0)
    t_px, t_py, t_pz = px[is_track] * scale, py[is_track] * scale, pz[is_track] * scale
    mass2 = np.maximum(energy[is_track] ** 2 - p[is_track] ** 2, 0.0)
    t_e = np.sqrt(t_px**2 + t_py**2 + t_pz**2 + mass2)

    in_calo = ~is_track & (abs_eta < det.calo_eta_max) & (abs_id != _MUON) & (pt > 0)
    em = np.isin(abs_id, _EM_IDS)
    # Tower edges at multiples of tower_deta (eta = 0 is an edge, as on the card) and of tower_dphi from -pi.
    half = int(math.ceil(det.calo_eta_max / det.tower_deta))
    num_eta = 2 * half
    num_phi = int(round(2.0 * math.pi / det.tower_dphi))
    ieta = np.clip(np.floor(eta / det.tower_deta).astype(np.int64) + half, 0, num_eta - 1)
    iphi = ((phi + math.pi) / det.tower_dphi).astype(np.int64) % num_phi
    cell = ((event * num_eta + ieta) * num_phi + iphi) * 2 + em.astype(np.int64)
    towers, inverse = np.unique(cell[in_calo], return_inverse=True)
    tower_e = np.bincount(inverse, weights=energy[in_calo], minlength=towers.size)
    tower_em = (towers % 2).astype(bool)
    sigma = np.where(tower_em, _calo_sigma(tower_e, det.em_resolution), _calo_sigma(tower_e, det.hadron_resolution))
    tower_e = np.clip(tower_e * (1.0 + sigma * rng.standard_normal(towers.size)), 0.0, None)
    keep = tower_e > np.where(tower_em, det.em_energy_min, det.hadron_energy_min)
    towers, tower_e = towers[keep], tower_e[keep]
    c_iphi = (towers // 2) % num_phi
    c_ieta = (towers // 2 // num_phi) % num_eta
    c_event = towers // 2 // num_phi // num_eta
    c_eta = (c_ieta - half + 0.5) * det.tower_deta
    c_phi = -math.pi + (c_iphi + 0.5) * det.tower_dphi
    c_pt = tower_e / np.cosh(c_eta)

    out_event = np.concatenate([event[is_track], c_event])
    order = np.argsort(out_event, kind="stable")
    return {"event": out_event[order],
            "px": np.concatenate([t_px, c_pt * np.cos(c_phi)])[order],
            "py": np.concatenate([t_py, c_pt * np.sin(c_phi)])[order],
            "pz": np.concatenate([t_pz, c_pt * np.sinh(c_eta)])[order],
            "E": np.concatenate([t_e, tower_e])[order]}


def charges(pid: np.ndarray, charge_of) -> np.ndarray:  # noqa: ANN001 - callable PDG id -> charge
    """Electric charge of each particle of a flat PDG-id array, asking ``charge_of`` once per species."""
    species = np.unique(pid)
    return np.array([charge_of(int(s)) for s in species], dtype=np.float64)[np.searchsorted(species, pid)]


def measured_particles(visible, charge_of, rng: np.random.Generator,  # noqa: ANN001 - awkward, callable
                       det: DetectorResponse = DEFAULT_DETECTOR):  # noqa: ANN201 - awkward Momentum4D
    """Jagged (events x particles) Momentum4D (px, py, pz, E) of the measured particles of ``visible`` (Pythia's
    visible final-state records, ``.id`` and ``.p``); ``charge_of(pdg_id) -> charge`` gives each species' charge."""
    import awkward as ak

    counts = ak.to_numpy(ak.num(visible.id))
    pid = ak.to_numpy(ak.flatten(visible.id)).astype(np.int64)
    charge = charges(pid, charge_of)
    flat = {k: ak.to_numpy(ak.flatten(getattr(visible.p, k))).astype(np.float64) for k in ("px", "py", "pz", "e")}
    event = np.repeat(np.arange(counts.size), counts)
    out = apply_detector(event, pid, charge, flat["px"], flat["py"], flat["pz"], flat["e"], rng, det)
    num = np.bincount(out["event"], minlength=counts.size)
    return ak.zip({k: ak.unflatten(out[k], num) for k in ("px", "py", "pz", "E")}, with_name="Momentum4D")
