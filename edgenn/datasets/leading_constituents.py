"""High-level features recomputed from only the leading constituents that a set or graph model is given.

A stored jet's 16 high-level features come from all its particles (about 73 at generator level), while a constituent
model reads the leading N of the 50 stored ones. Recomputing the features from those same N particles, with the jet
taken as their sum, shows how much of the feature MLP's lead is information the constituent model never receives and
how much is left to the architecture (BENCHMARKS.md, "Why the constituent models do not beat the HLF MLP here").

The stored columns fix each particle's four-momentum up to one azimuthal rotation per jet, which no feature depends
on: pT = exp(log_pt), eta = j_eta + deta, phi = dphi, E = exp(log_e).
"""

from __future__ import annotations

import numpy as np

from edgenn.datasets.jet_data import FEATURE_NAMES, NUM_CONSTITUENTS, JetData
from edgenn.errors import InvalidInputError

_NEEDED = ("rel_pt", "deta", "dphi", "log_pt", "log_e")
_CHUNK = 2000  # jets per FastJet call: bounds the awkward arrays' memory at 50 particles per jet


def constituent_momenta(data: JetData) -> tuple[np.ndarray, np.ndarray]:
    """((N, C, 4) px, py, pz, E float64 of the stored constituents, (N, C) bool mask of the real ones)."""
    names = list(data.constituent_names)
    missing = [n for n in _NEEDED if n not in names]
    if missing or "j_eta" not in data.feature_names:
        raise InvalidInputError(f"rebuilding constituent momenta needs constituent columns {list(_NEEDED)} and the "
                                f"feature j_eta; the dataset lacks {missing or ['j_eta']}.",
                                fix="use a dataset made by `edgenn data generate jets`.")
    col = {n: data.constituents[..., names.index(n)].astype(np.float64) for n in _NEEDED}
    real = col["rel_pt"] > 0  # padding rows are all zero; a real particle has pT > 0
    pt = np.where(real, np.exp(col["log_pt"]), 0.0)
    eta = data.features[:, list(data.feature_names).index("j_eta"), None].astype(np.float64) + col["deta"]
    energy = np.where(real, np.exp(col["log_e"]), 0.0)
    p4 = np.stack([pt * np.cos(col["dphi"]), pt * np.sin(col["dphi"]), pt * np.sinh(eta), energy], axis=-1)
    return p4, real


def leading_features(data: JetData, num: int) -> np.ndarray:
    """(N, len(FEATURE_NAMES)) float64: every jet's features computed from its ``num`` leading stored constituents."""
    import awkward as ak

    from edgenn.datasets.jet_features import compute_jet_features
    from edgenn.datasets.jets_pythia import quiet_stdout

    if not 1 <= num <= data.constituents.shape[1]:
        raise InvalidInputError(f"num must be between 1 and the {data.constituents.shape[1]} stored constituents "
                                f"(got {num}).", fix=f"pick 1 <= num <= {NUM_CONSTITUENTS}.")
    p4, real = constituent_momenta(data)
    p4, real = p4[:, :num], real[:, :num]
    out = np.zeros((len(p4), len(FEATURE_NAMES)))
    for start in range(0, len(p4), _CHUNK):
        block, mask = p4[start:start + _CHUNK], real[start:start + _CHUNK]
        counts = mask.sum(axis=1)
        flat = block[mask]
        cons = ak.zip({k: ak.unflatten(flat[:, i], counts) for i, k in enumerate(("px", "py", "pz", "E"))},
                      with_name="Momentum4D")
        total = block.sum(axis=1)  # padding rows are zero, so the sum is the jet of these particles
        jets = ak.zip({k: total[:, i] for i, k in enumerate(("px", "py", "pz", "E"))}, with_name="Momentum4D")
        with quiet_stdout():  # FastJet's banner on first use
            out[start:start + _CHUNK] = compute_jet_features(jets, cons)[0]
    return out


def with_leading_features(data: JetData, num: int) -> JetData:
    """``data`` with its features replaced by ``leading_features(data, num)`` (constituents and labels unchanged)."""
    import dataclasses

    meta = {**data.meta, "features_from_leading_constituents": num}
    return dataclasses.replace(data, features=leading_features(data, num).astype(np.float32), meta=meta)
