"""The ADC2021 object layout shared by every event stream: slot counts, acceptances, resolutions, row filling."""

from __future__ import annotations

import numpy as np

NUM_ELECTRONS, NUM_MUONS, NUM_JETS = 4, 4, 10
NUM_OBJECTS = 1 + NUM_ELECTRONS + NUM_MUONS + NUM_JETS
OBJECT_FEATURES: tuple[str, ...] = ("pt", "eta", "phi")
OBJECT_TYPES: tuple[int, ...] = (1,) * 1 + (2,) * NUM_ELECTRONS + (3,) * NUM_MUONS + (4,) * NUM_JETS  # ADC2021 codes

ELECTRON_PT_MIN, ELECTRON_ETA_MAX = 3.0, 3.0
MUON_PT_MIN, MUON_ETA_MAX = 3.0, 2.1
JET_R, JET_PT_MIN, JET_ETA_MAX = 0.4, 15.0, 4.0
MET_ETA_MAX = 4.9

ISOLATION_DR = 0.3
ISOLATION_MAX = {11: 0.12, 13: 0.25}  # relative isolation thresholds (Delphes CMS card)
OVERLAP_DR = 0.4
# Gaussian resolutions (sigma of pT / pT; MET: sigma of each component = a * sqrt(sum ET)), CMS-like orders of
# magnitude chosen by edgenn: electrons 2 % (+) 10 %/sqrt(pT), muons 1 % (+) 0.01 % x pT (curvature), jets
# 5 % (+) 100 %/sqrt(pT), MET 0.5 sqrt(sum ET / GeV) GeV.
RESOLUTION = {"electron": (0.02, 0.10, 0.0), "muon": (0.01, 0.0, 1e-4), "jet": (0.05, 1.0, 0.0), "met": 0.5}


def fill_rows(out: np.ndarray, first: int, count: int, vectors) -> None:  # noqa: ANN001 - awkward Momentum arrays
    """Write the ``count`` leading (by pT) objects of each event into rows first..first+count-1, zero padded."""
    import awkward as ak

    order = ak.argsort(vectors.pt, axis=1, ascending=False)
    lead = vectors[order][:, :count]
    for col, values in enumerate((lead.pt, lead.eta, lead.phi)):
        padded = ak.fill_none(ak.pad_none(values, count, axis=1, clip=True), 0.0)
        out[:, first:first + count, col] = ak.to_numpy(padded).astype(np.float32)
