"""Reader for the public hls4ml LHC jet dataset (Zenodo 3602260: ``jetImage_*_{30,50,100,150}p_*.h5``) into ``JetData``.

Layout of those files: ``jets`` (N, 59) float with column names in ``jetFeatureNames`` (bytes; 53 features such as
j_ptfrac, j_pt, j_eta, j_mass, j_tau1_b1, ..., the 16 HLF names, then the one-hot labels j_g, j_q, j_w, j_z, j_t,
j_undef); ``jetConstituentList`` (N, C, 16) with names in ``particleFeatureNames`` (j1_px ... j1_costhetarel; the name
list carries one more entry, j1_pdgid, than there are columns); ``jetImage`` (N, 100, 100), not read here (images are
rebuilt from constituents so that public and generated data share one definition).

Mapping: labels to edgenn's class order (q, g, W, Z, t); features by name (j_tau21_b1 derived from tau2/tau1 when
absent); constituents sorted by pT, cut or zero-padded to 50, with rel_pt = j1_ptrel, deta = j1_etarel,
dphi = j1_phirel, log_pt = log(j1_pt), log_e = log(j1_e), rel_e = j1_e / E_jet (E_jet from j_pt, j_eta, j_mass) and
delta_r = sqrt(deta^2 + dphi^2), the same definitions as generated data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from edgenn.datasets.jet_data import (
    CLASS_NAMES,
    CONSTITUENT_NAMES,
    EXTRA_FEATURES,
    HLF16,
    NUM_CONSTITUENTS,
    JetData,
)
from edgenn.errors import InvalidInputError, MissingArtifactError

log = logging.getLogger(__name__)

# Our class order -> the label column of the public files.
_LABEL_COLUMNS = {"q": "j_q", "g": "j_g", "W": "j_w", "Z": "j_z", "t": "j_t"}
_PARTICLE_COLUMNS = ("j1_pt", "j1_ptrel", "j1_etarel", "j1_phirel", "j1_e")
_FIX = "pass the jetImage_*.h5 files of the hls4ml LHC jet dataset (Zenodo record 3602260)."


def read_hls4ml_jets(paths: Path | str | Sequence[Path | str]) -> JetData:
    """Read one or more public hls4ml jet files and concatenate them into one ``JetData``.

    Jets whose label is not exactly one of q, g, W, Z, t (j_undef or no label set) are dropped; the number dropped is
    in ``meta["dropped_unlabelled"]``.

    Raises:
        MissingArtifactError: a path does not exist.
        InvalidInputError: a file is not HDF5 or lacks the datasets/columns described in the module docstring.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise InvalidInputError("read_hls4ml_jets: no files given.", fix=_FIX)
    parts = [_read_one(p) for p in paths]
    features = np.concatenate([p[0] for p in parts])
    constituents = np.concatenate([p[1] for p in parts])
    labels = np.concatenate([p[2] for p in parts])
    dropped = sum(p[3] for p in parts)
    meta = {
        "source": ", ".join(str(p) for p in paths) if len(paths) <= 3 else f"{paths[0]} and {len(paths) - 1} more",
        "origin": "hls4ml-lhc-jet-dataset",
        "files": [str(p) for p in paths],
        "dropped_unlabelled": dropped,
    }
    return JetData(features=features, feature_names=HLF16 + EXTRA_FEATURES, constituents=constituents,
                   constituent_names=CONSTITUENT_NAMES, labels=labels, class_names=CLASS_NAMES, meta=meta)


def _names(raw: np.ndarray) -> list[str]:
    return [n.decode() if isinstance(n, bytes) else str(n) for n in np.asarray(raw).ravel()]


def _read_one(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    import h5py

    if not path.is_file():
        raise MissingArtifactError(f"{path}: hls4ml jet file not found.", fix=_FIX)
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise InvalidInputError(f"{path}: not an HDF5 file ({exc}).", fix=_FIX) from exc
    with h5:
        missing = [k for k in ("jets", "jetFeatureNames", "jetConstituentList", "particleFeatureNames") if k not in h5]
        if missing:
            raise InvalidInputError(f"{path}: not an hls4ml jet file (missing datasets {missing}).", fix=_FIX)
        jets = np.asarray(h5["jets"][()], dtype=np.float64)
        jet_names = _names(h5["jetFeatureNames"][()])
        particles = np.asarray(h5["jetConstituentList"][()], dtype=np.float64)
        particle_names = _names(h5["particleFeatureNames"][()])

    if jets.ndim != 2 or jets.shape[1] != len(jet_names):
        raise InvalidInputError(f"{path}: jets has shape {jets.shape} but jetFeatureNames has {len(jet_names)} names.",
                                fix=_FIX)
    if particles.ndim != 3 or particles.shape[0] != jets.shape[0]:
        raise InvalidInputError(f"{path}: jetConstituentList has shape {particles.shape}, expected "
                                f"({jets.shape[0]}, C, P).", fix=_FIX)
    # The public files list j1_pdgid in particleFeatureNames although the column is not stored.
    if len(particle_names) == particles.shape[2] + 1 and "j1_pdgid" in particle_names:
        particle_names.remove("j1_pdgid")
    if len(particle_names) != particles.shape[2]:
        raise InvalidInputError(f"{path}: jetConstituentList has {particles.shape[2]} columns but "
                                f"particleFeatureNames has {len(particle_names)} names.", fix=_FIX)

    jcol = {n: i for i, n in enumerate(jet_names)}
    needed = list(HLF16) + [n for n in EXTRA_FEATURES if n not in ("j_tau21_b1", "j_tau32_b1")]
    needed += list(_LABEL_COLUMNS.values())
    absent = [n for n in needed if n not in jcol]
    pabsent = [n for n in _PARTICLE_COLUMNS if n not in particle_names]
    if absent or pabsent:
        raise InvalidInputError(f"{path}: missing jet columns {absent} / particle columns {pabsent}.", fix=_FIX)

    onehot = jets[:, [jcol[_LABEL_COLUMNS[c]] for c in CLASS_NAMES]]
    good = (np.count_nonzero(onehot == 1, axis=1) == 1) & (np.count_nonzero(onehot, axis=1) == 1)
    dropped = int(np.count_nonzero(~good))
    if dropped:
        log.warning("%s: dropping %d jets without exactly one q/g/W/Z/t label", path, dropped)
    jets, particles, labels = jets[good], particles[good], np.argmax(onehot[good], axis=1)

    def col(name: str) -> np.ndarray:
        return jets[:, jcol[name]]

    tau1, tau2, tau3 = col("j_tau1_b1"), col("j_tau2_b1"), col("j_tau3_b1")
    derived = {
        "j_tau21_b1": _safe_ratio(tau2, tau1),
        "j_tau32_b1": col("j_tau32_b1") if "j_tau32_b1" in jcol else _safe_ratio(tau3, tau2),
    }
    features = np.stack([derived[n] if n in derived else col(n) for n in HLF16 + EXTRA_FEATURES], axis=1)

    jet_energy = np.sqrt(col("j_mass") ** 2 + (col("j_pt") * np.cosh(col("j_eta"))) ** 2)
    return features, _constituents(particles, particle_names, jet_energy), labels, dropped


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _constituents(particles: np.ndarray, names: list[str], jet_energy: np.ndarray) -> np.ndarray:
    """(N, 50, len(CONSTITUENT_NAMES)) float32 in edgenn's per-particle definitions; padding rows are all zero."""
    pcol = {n: i for i, n in enumerate(names)}
    # Sort by pT (descending, stable) before cutting to 50: the public files are sorted, but nothing guarantees it.
    order = np.argsort(-particles[:, :, pcol["j1_pt"]], axis=1, kind="stable")[:, :NUM_CONSTITUENTS]
    top = np.take_along_axis(particles, order[:, :, None], axis=1)
    pt, energy = top[:, :, pcol["j1_pt"]], top[:, :, pcol["j1_e"]]
    real = pt > 0
    deta, dphi = top[:, :, pcol["j1_etarel"]], top[:, :, pcol["j1_phirel"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        cols = {
            "rel_pt": top[:, :, pcol["j1_ptrel"]],
            "deta": deta,
            "dphi": dphi,
            "log_pt": np.log(np.where(real, pt, 1.0)),
            "log_e": np.log(np.where(real & (energy > 0), energy, 1.0)),
            "rel_e": energy / jet_energy[:, None],
            "delta_r": np.sqrt(deta**2 + dphi**2),
        }
    out = np.zeros((particles.shape[0], NUM_CONSTITUENTS, len(CONSTITUENT_NAMES)), dtype=np.float32)
    n = top.shape[1]
    for k, name in enumerate(CONSTITUENT_NAMES):
        out[:, :n, k] = np.where(real, cols[name], 0.0)
    return out
