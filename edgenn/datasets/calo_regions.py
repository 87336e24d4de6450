"""Calorimeter-region images of trigger events: transverse energy summed in the 18 x 14 regions of the CMS calorimeter
trigger, built once per event when a stream that declares them (``EventStream.calo_regions``) writes its shards.

Geometry (``REGION_ETA_EDGES``, ``NUM_PHI_REGIONS``): a region is 4 x 4 trigger towers. In phi, 72 towers of 5 degrees
make 18 regions of 20 degrees (0.349 rad); edgenn starts region 0 at phi = 0 (CMS numbers towers from an origin of its
own; a fixed rotation in phi changes nothing in a phi-symmetric simulation). In eta, towers 1-20 on each side are 0.087
wide (up to |eta| 1.740) and towers 21-28 widen to |eta| 3.0 (the last one merges HCAL towers 28 and 29, 2.650-3.0),
so the 7 regions per side have the edges 0, 0.348, 0.696, 1.044, 1.392, 1.740, 2.172, 3.0: 14 regions over |eta| < 3,
the barrel and endcap calorimeters without the forward HF, which is what CICADA reads (docs/cicada.md, with sources).

Content: each visible final-state particle with |eta| < 3 except muons (minimum ionising: about 2 GeV in the
calorimeter whatever their momentum, and not what a region sum measures) adds its transverse energy E / cosh(eta) to
its region. Pileup reaches the image unsubtracted: the calorimeter cannot tell which vertex a deposit came from
(charged-hadron subtraction is a tracker-based correction of the reconstructed objects only). Generator-level energies,
no calorimeter resolution, threshold or ET quantization (edgenn's choice; the firmware's input quantizer rounds).

Array layout: (n_events, 18, 14) float32, axis 1 = phi region, axis 2 = eta region from -3 to +3, GeV.
"""

from __future__ import annotations

import numpy as np

NUM_PHI_REGIONS = 18
_ETA_EDGES_ONE_SIDE = (0.0, 0.348, 0.696, 1.044, 1.392, 1.740, 2.172, 3.0)
REGION_ETA_EDGES: tuple[float, ...] = tuple(-e for e in reversed(_ETA_EDGES_ONE_SIDE[1:])) + _ETA_EDGES_ONE_SIDE
NUM_ETA_REGIONS = len(REGION_ETA_EDGES) - 1
REGION_SHAPE = (NUM_PHI_REGIONS, NUM_ETA_REGIONS)
REGION_ETA_MAX = REGION_ETA_EDGES[-1]
REGION_FEATURE = "region_et"
_INVISIBLE_OR_MIP = (12, 13, 14, 16)  # neutrinos and muons leave no region energy


def region_indices(eta: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inside, phi index, eta index) of particles at (eta, phi); ``inside`` is |eta| < 3 (indices valid there)."""
    eta = np.asarray(eta, np.float64)
    inside = np.abs(eta) < REGION_ETA_MAX
    i_eta = np.clip(np.searchsorted(REGION_ETA_EDGES, eta, side="right") - 1, 0, NUM_ETA_REGIONS - 1)
    width = 2 * np.pi / NUM_PHI_REGIONS
    i_phi = np.floor(np.mod(np.asarray(phi, np.float64), 2 * np.pi) / width).astype(np.int64) % NUM_PHI_REGIONS
    return inside, i_phi, i_eta


def region_images(prt) -> np.ndarray:  # noqa: ANN001 - awkward particle records (final state or full Pythia record)
    """(n_events, 18, 14) float32 region ET (GeV) from each event's particles (see the module docstring)."""
    import awkward as ak

    final = prt[prt.status > 0]
    counts = ak.to_numpy(ak.num(final.id))
    keep = ~np.isin(np.abs(ak.to_numpy(ak.flatten(final.id))), _INVISIBLE_OR_MIP)
    p = final.p
    px, py, pz, energy = (ak.to_numpy(ak.flatten(c)).astype(np.float64)[keep] for c in (p.px, p.py, p.pz, p.e))
    pt = np.hypot(px, py)
    # a particle along the beam (pT = 0) has infinite |eta|: outside every region
    eta = np.arcsinh(np.divide(pz, pt, out=np.full_like(pz, np.inf), where=pt > 0))
    et = energy / np.cosh(np.where(np.isfinite(eta), eta, 0.0))
    inside, i_phi, i_eta = region_indices(eta, np.arctan2(py, px))
    event = np.repeat(np.arange(len(counts)), counts)[keep]
    out = np.zeros((len(counts), *REGION_SHAPE), np.float64)
    np.add.at(out, (event[inside], i_phi[inside], i_eta[inside]), et[inside])
    return out.astype(np.float32)
