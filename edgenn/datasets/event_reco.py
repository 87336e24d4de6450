"""Reconstructed L1-like objects for the ADC2021 stream: isolated leptons, overlap-removed jets, smeared objects, MET.

A parametrised stand-in for Delphes (the ADC2021 events went through Delphes): no detector geometry, only the
selections and resolutions that change which events pass the lepton filter and how the objects look.
- Leptons: final-state e / mu in the acceptance of ``event_layout`` count only if isolated: the scalar pT sum of
  the other visible final-state particles within dR < ISOLATION_DR, over the lepton pT, is below ISOLATION_MAX.
  This is what removes the heavy-flavour leptons inside jets, which otherwise fill the lepton slots of QCD events.
- Jets: anti-kT R = 0.4 of the visible particles minus the isolated leptons; jets within OVERLAP_DR of an isolated
  lepton are dropped (its photon radiation would otherwise make a second object).
- Resolution: Gaussian pT smearing per object type (``RESOLUTION``), the acceptance cuts applied after it; MET is
  the generator-level visible MET plus a Gaussian of sigma = a sqrt(sum ET) per component.
All random numbers come from the ``rng`` passed in (seeded from the shard's Pythia seed), in a fixed order.
"""

from __future__ import annotations

import numpy as np

from edgenn.datasets.event_layout import (
    ELECTRON_ETA_MAX,
    ELECTRON_PT_MIN,
    ISOLATION_DR,
    ISOLATION_MAX,
    JET_ETA_MAX,
    JET_PT_MIN,
    JET_R,
    MET_ETA_MAX,
    MUON_ETA_MAX,
    MUON_PT_MIN,
    NUM_ELECTRONS,
    NUM_JETS,
    NUM_MUONS,
    NUM_OBJECTS,
    OVERLAP_DR,
    RESOLUTION,
    fill_rows,
)


def _smear(pt, kind: str, rng: np.random.Generator):  # noqa: ANN001, ANN202 - jagged awkward array
    """pT x (1 + sigma N(0, 1)), sigma = a (+) b / sqrt(pT) (+) c pT; clipped at 0 (a fluctuation, not a sign flip)."""
    import awkward as ak

    a, b, c = RESOLUTION[kind]
    flat = ak.to_numpy(ak.flatten(pt)).astype(np.float64)
    sigma = np.sqrt(a**2 + b**2 / np.maximum(flat, 1e-9) + (c * flat) ** 2)
    smeared = np.clip(flat * (1.0 + sigma * rng.standard_normal(flat.size)), 0.0, None)
    return ak.unflatten(smeared, ak.num(pt))


def _vectors(pt, eta, phi):  # noqa: ANN001, ANN202
    import awkward as ak

    return ak.zip({"pt": pt, "eta": eta, "phi": phi, "mass": ak.zeros_like(pt)}, with_name="Momentum4D")


def isolated_mask(candidates, visible):  # noqa: ANN001, ANN202 - awkward Momentum4D arrays
    """Boolean per candidate: relative isolation below the threshold of its flavour (``candidates.pid``)."""
    import awkward as ak

    pairs = ak.cartesian({"lep": candidates, "part": visible}, nested=True)
    near = pairs.lep.deltaR(pairs.part) < ISOLATION_DR
    cone = ak.sum(ak.where(near, pairs.part.pt, 0.0), axis=2) - candidates.pt  # the lepton itself is at dR = 0
    limit = ak.where(candidates.pid == 11, ISOLATION_MAX[11], ISOLATION_MAX[13])
    return cone < limit * candidates.pt


def reco_objects(prt, rng: np.random.Generator) -> np.ndarray:  # noqa: ANN001 - Pythia.nextBatch particle records
    """(n_events, 19, 3) float32 reconstructed objects (see module docstring)."""
    import awkward as ak
    import fastjet

    n = len(prt)
    out = np.zeros((n, NUM_OBJECTS, 3), dtype=np.float32)
    final = prt[prt.status > 0]
    faid = abs(final.id)
    visible = final[(faid != 12) & (faid != 14) & (faid != 16)]
    p = visible.p
    index = ak.local_index(visible.id)
    aid = abs(visible.id)
    lepton_like = ((aid == 11) & (p.pt > ELECTRON_PT_MIN) & (abs(p.eta) < ELECTRON_ETA_MAX)) | (
        (aid == 13) & (p.pt > MUON_PT_MIN) & (abs(p.eta) < MUON_ETA_MAX))
    cand = ak.zip({"pt": p.pt, "eta": p.eta, "phi": p.phi, "mass": ak.zeros_like(p.pt), "pid": aid,
                   "index": index}, with_name="Momentum4D")[lepton_like]
    everything = _vectors(p.pt, p.eta, p.phi)
    iso = cand[isolated_mask(cand, everything)]

    for pid, first, count, pt_min, kind in ((11, 1, NUM_ELECTRONS, ELECTRON_PT_MIN, "electron"),
                                            (13, 1 + NUM_ELECTRONS, NUM_MUONS, MUON_PT_MIN, "muon")):
        lep = iso[iso.pid == pid]
        lep = _vectors(_smear(lep.pt, kind, rng), lep.eta, lep.phi)
        fill_rows(out, first, count, lep[lep.pt > pt_min])

    # Jets from everything but the isolated leptons, then overlap removal against them.
    same = ak.cartesian({"particle": index, "lepton": iso.index}, nested=True)
    taken = ak.fill_none(ak.any(same.particle == same.lepton, axis=2), False)
    rest = p[~taken]
    parts = ak.zip({"px": rest.px, "py": rest.py, "pz": rest.pz, "E": rest.e}, with_name="Momentum4D")
    cluster = fastjet.ClusterSequence(parts, fastjet.JetDefinition(fastjet.antikt_algorithm, JET_R))
    raw = cluster.inclusive_jets(min_pt=0.5 * JET_PT_MIN)  # loose: smearing may lift a jet over the threshold
    raw = ak.zip({"px": raw.px, "py": raw.py, "pz": raw.pz, "E": raw.E}, with_name="Momentum4D")
    jets = _vectors(_smear(raw.pt, "jet", rng), raw.eta, raw.phi)
    pairs = ak.cartesian({"jet": jets, "lep": iso}, nested=True)
    clear = ak.fill_none(ak.min(pairs.jet.deltaR(pairs.lep), axis=2), 99.0) > OVERLAP_DR
    jets = jets[clear & (jets.pt > JET_PT_MIN) & (abs(jets.eta) < JET_ETA_MAX)]
    fill_rows(out, 1 + NUM_ELECTRONS + NUM_MUONS, NUM_JETS, jets)

    central = abs(p.eta) < MET_ETA_MAX
    mex = -ak.to_numpy(ak.sum(p.px[central], axis=1)).astype(np.float64)
    mey = -ak.to_numpy(ak.sum(p.py[central], axis=1)).astype(np.float64)
    sum_et = ak.to_numpy(ak.sum(p.pt[central], axis=1)).astype(np.float64)
    sigma = RESOLUTION["met"] * np.sqrt(sum_et)
    mex = mex + sigma * rng.standard_normal(n)
    mey = mey + sigma * rng.standard_normal(n)
    out[:, 0, 0] = np.hypot(mex, mey)
    out[:, 0, 2] = np.arctan2(mey, mex)
    if n and not np.isfinite(out).all():  # e.g. a pathological eta of a zero-pT object; never expected
        out = np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
    return out
