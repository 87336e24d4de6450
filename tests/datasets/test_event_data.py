"""EventData validation, HDF5 round trip and the background mixture; ADC2021 reader on a file the test writes."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from edgenn.datasets.adc2021_reader import read_adc2021, read_adc2021_particles
from edgenn.datasets.event_data import EventData, load_events, save_events
from edgenn.datasets.events_pythia import OBJECT_TYPES, preselect
from edgenn.errors import InvalidInputError


def _data(n_per=(60, 30, 10), seed=0, xs=(100.0, 20.0, 1.0)) -> EventData:
    rng = np.random.default_rng(seed)
    n = sum(n_per)
    process = np.repeat(np.arange(3), n_per)
    weights = np.concatenate([np.full(k, x / k) for k, x in zip(n_per, xs)])
    return EventData(objects=rng.exponential(20, (n, 19, 3)).astype(np.float32), process=process,
                     process_names=("qcd", "wlnu", "sig"), background_names=("qcd", "wlnu"), weights=weights)


def test_round_trip_keeps_arrays_and_names(tmp_path):
    d = _data()
    loaded = load_events(save_events(tmp_path / "e.h5", d))
    np.testing.assert_array_equal(loaded.objects, d.objects)
    np.testing.assert_array_equal(loaded.process, d.process)
    np.testing.assert_array_equal(loaded.weights, d.weights)
    assert loaded.signal_names == ("sig",)
    assert loaded.features().shape == (100, 57)
    assert loaded.features()[0, 3] == d.objects[0, 1, 0]  # row-major: object 1's pT is input 3


def test_mixture_follows_accepted_cross_sections():
    d = _data()
    assert d.mixture_fractions() == pytest.approx({"qcd": 100 / 120, "wlnu": 20 / 120})
    idx = d.background_mixture(np.random.default_rng(1))
    counts = np.bincount(d.process[idx], minlength=3)
    assert counts[2] == 0 and counts[0] == 60  # qcd limits the size: 60 / (5/6) = 72 -> 12 wlnu
    assert counts[1] == 12


def test_a_sparse_heavy_process_does_not_starve_the_mixture():
    # 2 QCD events carrying a third of the accepted cross-section (a weighted slice past a 1e-5 filter)
    d = _data(n_per=(2, 300, 10), xs=(50.0, 100.0, 1.0))
    idx = d.background_mixture(np.random.default_rng(1))
    counts = np.bincount(d.process[idx], minlength=3)
    assert counts[1] == 300 and counts[0] == 2  # W sets the size; QCD gives what it has (under-represented)
    # without the rule the mixture would be 2 / (1/3) = 6 events
    dense = _data(n_per=(30, 300, 10), xs=(50.0, 100.0, 1.0))
    counts = np.bincount(dense.process[dense.background_mixture(np.random.default_rng(1))], minlength=3)
    assert counts[0] == 30 and counts[1] == 60  # a process with enough rows still limits it


def test_rejects_nan_rows_and_wrong_shapes():
    d = _data()
    bad = d.objects.copy()
    bad[3, 2, 1] = np.nan
    with pytest.raises(InvalidInputError, match="1 of 100 events contain NaN or Inf"):
        EventData(bad, d.process, d.process_names, d.background_names, d.weights)
    with pytest.raises(InvalidInputError, match=r"shape \(N, 19, 3\)"):
        EventData(d.objects[:, :18], d.process, d.process_names, d.background_names, d.weights)
    with pytest.raises(InvalidInputError, match="unknown process 'nope'.*qcd, wlnu, sig"):
        d.indices("nope")


def test_preselection_lepton_or_ht():
    obj = np.zeros((3, 19, 3), np.float32)
    obj[0, 5, 0] = 25.0  # a muon above 23 GeV
    obj[1, 9:13, 0] = 100.0  # HT 400
    obj[2, 1, 0] = 22.0  # soft electron, HT 0
    assert preselect(obj, lepton_pt_min=23.0, ht_min=350.0).tolist() == [True, True, False]
    # without the HT path (the adc2021 stream) only the lepton filter counts
    assert preselect(obj, lepton_pt_min=23.0, ht_min=None).tolist() == [True, False, False]


def _write_adc(path, n, rng, types=None):
    parts = np.zeros((n, 19, 4), np.float32)
    parts[..., :3] = rng.normal(size=(n, 19, 3))
    parts[..., 3] = np.asarray(OBJECT_TYPES if types is None else types, np.float32)
    parts[:, 12:, :] = 0.0  # absent jets are all-zero rows, type 0
    with h5py.File(path, "w") as h5:
        h5.create_dataset("Particles", data=parts)
    return parts


def test_adc2021_reader_reads_the_challenge_layout(tmp_path):
    rng = np.random.default_rng(2)
    bkg = _write_adc(tmp_path / "background_for_training.h5", 50, rng)
    _write_adc(tmp_path / "Ato4l.h5", 20, rng)
    np.testing.assert_array_equal(read_adc2021_particles(tmp_path / "background_for_training.h5"), bkg[..., :3])
    data = read_adc2021({"background": tmp_path / "background_for_training.h5", "ato4l": tmp_path / "Ato4l.h5"})
    assert data.counts() == {"background": 50, "ato4l": 20}
    assert data.signal_names == ("ato4l",)


def test_adc2021_reader_rejects_wrong_layouts(tmp_path):
    rng = np.random.default_rng(3)
    with h5py.File(tmp_path / "w.h5", "w") as h5:
        h5.create_dataset("Particles", data=np.zeros((4, 19, 3), np.float32))
    with pytest.raises(InvalidInputError, match=r"shape \(4, 19, 3\), expected \(N, 19, 4\)"):
        read_adc2021_particles(tmp_path / "w.h5")
    swapped = list(OBJECT_TYPES)
    swapped[1], swapped[5] = 3, 2
    _write_adc(tmp_path / "s.h5", 5, rng, types=swapped)
    with pytest.raises(InvalidInputError, match="object row 1 has type 3"):
        read_adc2021_particles(tmp_path / "s.h5")
    parts = _write_adc(tmp_path / "n.h5", 5, rng)
    parts[2, 0, 0] = np.inf
    with h5py.File(tmp_path / "n.h5", "w") as h5:
        h5.create_dataset("Particles", data=parts)
    with pytest.raises(InvalidInputError, match="1 of 5 events contain NaN or Inf"):
        read_adc2021_particles(tmp_path / "n.h5")
