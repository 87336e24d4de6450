"""Physics sanity of generated jets: mMDT mass peaks at the W, Z and top masses (slow: ~1000 jets per class)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from edgenn.datasets import JetGenConfig, generate_jets, load_jets

EXPECTED_PEAK_GEV = {"W": 80.4, "Z": 91.2, "t": 172.5}


def mass_peak(masses: np.ndarray, bin_gev: float = 4.0) -> float:
    """Mode of the mMDT mass histogram (3-bin moving average), ignoring jets groomed to m < 30 GeV."""
    edges = np.arange(30.0, 300.0 + bin_gev, bin_gev)
    counts, _ = np.histogram(masses, bins=edges)
    smooth = np.convolve(counts, np.ones(3) / 3, mode="same")
    i = int(np.argmax(smooth))
    return float(0.5 * (edges[i] + edges[i + 1]))


@pytest.mark.slow
def test_mmdt_mass_peaks(tmp_path):
    config = JetGenConfig(jets_per_class=1000, classes=("W", "Z", "t"), seed=7, fast=True)
    start = time.perf_counter()
    path = generate_jets(config, tmp_path / "jets", progress=False, cache_dir=tmp_path / "cache")
    wall = time.perf_counter() - start
    data = load_jets(path)
    mass = data.select_features(["j_mass_mmdt"])[:, 0]
    report = {"wall_seconds": round(wall, 1), "jets": data.num_jets}
    for cls, expected in EXPECTED_PEAK_GEV.items():
        m = mass[data.labels == data.class_names.index(cls)]
        assert m.size == 1000
        peak = mass_peak(m)
        central = float(np.median(m[np.abs(m - expected) < 40]))
        report[cls] = {"peak": peak, "central_median": round(central, 1)}
        assert abs(peak - expected) <= 10, f"{cls}: mMDT mass peak {peak} GeV, expected {expected} +- 10"
    print(json.dumps(report))
