"""JetData: construction checks, feature selection, images, subsets and the HDF5 round trip."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from edgenn.datasets import CONSTITUENT_NAMES, FEATURE_NAMES, HLF16, JetData, load_jets, save_jets
from edgenn.errors import InvalidInputError, MissingArtifactError


def _random_jets(n: int = 20, seed: int = 0) -> JetData:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, len(FEATURE_NAMES)))
    cons = np.zeros((n, 50, len(CONSTITUENT_NAMES)))
    for i in range(n):
        k = rng.integers(1, 50)
        rel_pt = np.sort(rng.dirichlet(np.ones(k)))[::-1]
        cons[i, :k, 0] = rel_pt
        cons[i, :k, 1] = rng.uniform(-1.2, 1.2, size=k)  # some fall outside a 0.8 window
        cons[i, :k, 2] = rng.uniform(-1.2, 1.2, size=k)
    labels = rng.integers(0, 5, size=n)
    return JetData(features, FEATURE_NAMES, cons, CONSTITUENT_NAMES, labels, ("q", "g", "W", "Z", "t"),
                   {"note": "test"})


def test_hlf16_names_are_the_public_dataset_columns():
    assert len(HLF16) == 16 and len(set(HLF16)) == 16
    assert HLF16[0] == "j_zlogz" and HLF16[-2:] == ("j_mass_mmdt", "j_multiplicity")
    assert FEATURE_NAMES[:16] == HLF16


def test_construction_normalises_dtypes():
    data = _random_jets()
    assert data.features.dtype == np.float32 and data.constituents.dtype == np.float32
    assert data.labels.dtype == np.int64
    assert data.num_classes == 5 and data.num_jets == 20


def test_nan_features_are_rejected_with_row_count():
    data = _random_jets()
    bad = data.features.copy()
    bad[3, 1] = np.nan
    bad[7, 0] = np.inf
    with pytest.raises(InvalidInputError, match=r"features: 2 of 20 rows contain NaN or Inf"):
        JetData(bad, data.feature_names, data.constituents, data.constituent_names, data.labels, data.class_names)


def test_shape_mismatches_are_rejected():
    data = _random_jets()
    with pytest.raises(InvalidInputError, match="columns but"):
        JetData(data.features[:, :5], data.feature_names, data.constituents, data.constituent_names, data.labels,
                data.class_names)
    with pytest.raises(InvalidInputError, match="row counts differ"):
        JetData(data.features, data.feature_names, data.constituents[:10], data.constituent_names, data.labels,
                data.class_names)
    with pytest.raises(InvalidInputError, match="labels: 1 rows outside"):
        labels = data.labels.copy()
        labels[0] = 5
        JetData(data.features, data.feature_names, data.constituents, data.constituent_names, labels,
                data.class_names)


def test_error_names_the_source_file():
    data = _random_jets()
    bad = data.features.copy()
    bad[0, 0] = np.nan
    with pytest.raises(InvalidInputError, match=r"^/some/file\.h5: features"):
        JetData(bad, data.feature_names, data.constituents, data.constituent_names, data.labels, data.class_names,
                {"source": "/some/file.h5"})


def test_select_features_orders_columns_and_rejects_unknown_names():
    data = _random_jets()
    out = data.select_features(["j_mass_mmdt", "j_zlogz"])
    np.testing.assert_array_equal(out[:, 0], data.features[:, FEATURE_NAMES.index("j_mass_mmdt")])
    np.testing.assert_array_equal(out[:, 1], data.features[:, 0])
    with pytest.raises(InvalidInputError, match="did you mean 'j_mass_mmdt'"):
        data.select_features(["j_mass_mmd"])


def test_images_sum_equals_rel_pt_inside_window():
    data = _random_jets()
    images = data.images(size=32, extent=0.8)
    assert images.shape == (20, 32, 32) and images.dtype == np.float32
    c = data.constituents
    inside = (np.abs(c[..., 1]) < 0.8) & (np.abs(c[..., 2]) < 0.8)
    expected = np.where(inside, c[..., 0], 0.0).sum(axis=1)
    np.testing.assert_allclose(images.sum(axis=(1, 2)), expected, rtol=1e-5, atol=1e-6)
    # some constituents really were outside, so the check above is not trivially the full sum
    assert (expected < c[..., 0].sum(axis=1) - 1e-3).any()


def test_image_pixel_position_follows_deta_dphi():
    cons = np.zeros((1, 50, len(CONSTITUENT_NAMES)), dtype=np.float32)
    cons[0, 0, :3] = [0.7, -0.79, 0.5]  # first eta row, phi column 26 of 32 over [-0.8, 0.8)
    data = JetData(np.zeros((1, len(FEATURE_NAMES))), FEATURE_NAMES, cons, CONSTITUENT_NAMES, [0], ("q",))
    image = data.images(size=32, extent=0.8)[0]
    assert image[0, 26] == pytest.approx(0.7)
    assert image.sum() == pytest.approx(0.7)


def test_subset_keeps_names_and_rows():
    data = _random_jets()
    sub = data.subset([4, 2])
    np.testing.assert_array_equal(sub.features, data.features[[4, 2]])
    np.testing.assert_array_equal(sub.labels, data.labels[[4, 2]])
    assert sub.feature_names == data.feature_names and sub.meta == data.meta


def test_save_load_round_trip(tmp_path):
    data = _random_jets()
    path = save_jets(tmp_path / "jets.h5", data)
    back = load_jets(path)
    np.testing.assert_array_equal(back.features, data.features)
    np.testing.assert_array_equal(back.constituents, data.constituents)
    np.testing.assert_array_equal(back.labels, data.labels)
    assert back.feature_names == data.feature_names and back.class_names == data.class_names
    assert back.meta["note"] == "test" and back.meta["source"] == str(path)
    with h5py.File(path) as h5:
        assert h5["labels"].dtype == np.int8
        assert h5["features"].compression == "gzip" and h5["features"].chunks is not None
    assert not [p for p in tmp_path.iterdir() if p.name != "jets.h5"]  # no temporary files left


def test_load_missing_file_names_path_and_command(tmp_path):
    with pytest.raises(MissingArtifactError, match=r"nothere\.h5.*edgenn data generate jets --out"):
        load_jets(tmp_path / "nothere.h5")


def test_load_rejects_non_hdf5_and_wrong_layout(tmp_path):
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    with pytest.raises(InvalidInputError, match="not an HDF5 file"):
        load_jets(text)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as h5:
        h5["jets"] = np.zeros((3, 4))
    with pytest.raises(InvalidInputError, match="not an edgenn jet file"):
        load_jets(other)
