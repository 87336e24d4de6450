"""read_hls4ml_jets on small files written in the layout of the public hls4ml jet dataset (Zenodo 3602260)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from edgenn.datasets import CONSTITUENT_NAMES, HLF16, read_hls4ml_jets
from edgenn.errors import InvalidInputError, MissingArtifactError

JET_FEATURES = (
    "j_ptfrac", "j_pt", "j_eta", "j_mass", "j_tau1_b1", "j_tau2_b1", "j_tau3_b1", "j_tau1_b2", "j_tau2_b2",
    "j_tau3_b2", "j_tau32_b1", "j_tau32_b2", "j_zlogz", "j_c1_b0", "j_c1_b1", "j_c1_b2", "j_c2_b1", "j_c2_b2",
    "j_d2_b1", "j_d2_b2", "j_d2_a1_b1", "j_d2_a1_b2", "j_m2_b1", "j_m2_b2", "j_n2_b1", "j_n2_b2",
    "j_tau1_b1_mmdt", "j_tau2_b1_mmdt", "j_tau3_b1_mmdt", "j_tau1_b2_mmdt", "j_tau2_b2_mmdt", "j_tau3_b2_mmdt",
    "j_tau32_b1_mmdt", "j_tau32_b2_mmdt", "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt",
    "j_c2_b2_mmdt", "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt",
    "j_m2_b2_mmdt", "j_n2_b1_mmdt", "j_n2_b2_mmdt", "j_mass_trim", "j_mass_mmdt", "j_mass_prun", "j_mass_sdb2",
    "j_mass_sdm1", "j_multiplicity",
)
LABELS = ("j_g", "j_q", "j_w", "j_z", "j_t", "j_undef")
PARTICLES = ("j1_px", "j1_py", "j1_pz", "j1_e", "j1_erel", "j1_pt", "j1_ptrel", "j1_eta", "j1_etarel", "j1_etarot",
             "j1_phi", "j1_phirel", "j1_phirot", "j1_deltaR", "j1_costheta", "j1_costhetarel")


def _write(path, label_columns, num_constituents, multiplicities, *, shuffle=False, seed=0):
    """A file like jetImage_*_<C>p_*.h5: jets (N, 59) float64, jetConstituentList (N, C, 16), name datasets."""
    rng = np.random.default_rng(seed)
    n = len(label_columns)
    jets = np.zeros((n, len(JET_FEATURES) + len(LABELS)))
    jets[:, : len(JET_FEATURES)] = rng.uniform(0.1, 2.0, size=(n, len(JET_FEATURES)))
    jets[:, JET_FEATURES.index("j_pt")] = rng.uniform(900, 1100, size=n)
    jets[:, JET_FEATURES.index("j_eta")] = rng.uniform(-1, 1, size=n)
    jets[:, JET_FEATURES.index("j_mass")] = rng.uniform(10, 200, size=n)
    for i, col in enumerate(label_columns):
        jets[i, len(JET_FEATURES) + LABELS.index(col)] = 1
    cons = np.zeros((n, num_constituents, len(PARTICLES)))
    for i, k in enumerate(multiplicities):
        pt = np.sort(rng.uniform(1, 300, size=k))[::-1]
        cols = {"j1_pt": pt, "j1_ptrel": pt / jets[i, 1], "j1_etarel": rng.normal(0, 0.2, k),
                "j1_phirel": rng.normal(0, 0.2, k), "j1_e": pt * rng.uniform(1.0, 2.0, k)}
        order = rng.permutation(k) if shuffle else np.arange(k)
        for name, values in cols.items():
            cons[i, :k, PARTICLES.index(name)] = values[order]
    with h5py.File(path, "w") as h5:
        h5["jets"] = jets
        h5["jetFeatureNames"] = np.array([s.encode() for s in JET_FEATURES + LABELS])
        h5["jetConstituentList"] = cons
        # The public files list one name more than there are columns: j1_pdgid, last.
        h5["particleFeatureNames"] = np.array([s.encode() for s in PARTICLES + ("j1_pdgid",)])
        h5["jetImage"] = np.zeros((n, 100, 100))
    return jets, cons


@pytest.fixture
def files(tmp_path):
    a = tmp_path / "jetImage_0_30p_0_4.h5"
    b = tmp_path / "jetImage_1_60p_0_4.h5"
    ja, ca = _write(a, ["j_g", "j_q", "j_t", "j_undef"], 30, [30, 5, 12, 3], seed=1)
    jb, cb = _write(b, ["j_w", "j_z", "j_q", "j_t"], 60, [60, 55, 1, 20], shuffle=True, seed=2)
    return (a, ja, ca), (b, jb, cb)


def test_labels_features_and_unlabelled_rows(files):
    (a, ja, _), (b, jb, _) = files
    data = read_hls4ml_jets([a, b])
    assert data.class_names == ("q", "g", "W", "Z", "t")
    # file a: g, q, t, (undef dropped); file b: W, Z, q, t
    assert data.labels.tolist() == [1, 0, 4, 2, 3, 0, 4]
    assert data.meta["dropped_unlabelled"] == 1
    kept = np.concatenate([ja[:3], jb])
    for name in HLF16 + ("j_pt", "j_mass", "j_tau32_b1"):
        np.testing.assert_allclose(data.select_features([name])[:, 0], kept[:, JET_FEATURES.index(name)],
                                   rtol=1e-6)
    tau21 = kept[:, JET_FEATURES.index("j_tau2_b1")] / kept[:, JET_FEATURES.index("j_tau1_b1")]
    np.testing.assert_allclose(data.select_features(["j_tau21_b1"])[:, 0], tau21, rtol=1e-6)


def test_constituents_are_mapped_sorted_cut_and_padded(files):
    (a, ja, ca), (b, jb, cb) = files
    data = read_hls4ml_jets([a, b])
    c = data.constituents
    assert c.shape == (7, 50, len(CONSTITUENT_NAMES))
    col = {n: i for i, n in enumerate(CONSTITUENT_NAMES)}
    # jet 1 of file a has 5 real constituents: identity mapping of ptrel/etarel/phirel, zero padding after
    np.testing.assert_allclose(c[1, :5, col["rel_pt"]], ca[1, :5, PARTICLES.index("j1_ptrel")], rtol=1e-6)
    np.testing.assert_allclose(c[1, :5, col["dphi"]], ca[1, :5, PARTICLES.index("j1_phirel")], rtol=1e-6)
    np.testing.assert_allclose(c[1, :5, col["log_pt"]], np.log(ca[1, :5, PARTICLES.index("j1_pt")]), rtol=1e-6)
    np.testing.assert_allclose(c[1, :5, col["delta_r"]], np.hypot(c[1, :5, col["deta"]], c[1, :5, col["dphi"]]),
                               rtol=1e-6)
    assert not c[1, 5:].any()
    # rel_e = E / E_jet with E_jet from j_pt, j_eta, j_mass
    pt, eta, m = (ja[1, JET_FEATURES.index(k)] for k in ("j_pt", "j_eta", "j_mass"))
    np.testing.assert_allclose(c[1, :5, col["rel_e"]], ca[1, :5, PARTICLES.index("j1_e")] / np.hypot(m, pt * np.cosh(eta)),
                               rtol=1e-6)
    # file b jet 0 has 60 shuffled constituents: the 50 hardest survive, in descending pT
    first_b = 3
    rel_pt = c[first_b, :, col["rel_pt"]]
    assert np.all(np.diff(rel_pt) <= 0)
    expected = np.sort(cb[0, :, PARTICLES.index("j1_ptrel")])[::-1][:50]
    np.testing.assert_allclose(rel_pt, expected, rtol=1e-6)
    assert np.isfinite(c).all()
    # images work on reader output
    assert data.images().shape == (7, 32, 32)


def test_reader_errors(tmp_path, files):
    with pytest.raises(MissingArtifactError, match="not found"):
        read_hls4ml_jets(tmp_path / "none.h5")
    bad = tmp_path / "bad.h5"
    with h5py.File(bad, "w") as h5:
        h5["jets"] = np.zeros((2, 3))
    with pytest.raises(InvalidInputError, match=r"missing datasets \['jetFeatureNames'"):
        read_hls4ml_jets(bad)
    text = tmp_path / "text.h5"
    text.write_text("x")
    with pytest.raises(InvalidInputError, match="not an HDF5 file"):
        read_hls4ml_jets([text])
