"""Shared fixtures: one tiny real jet dataset (Pythia 8 + FastJet, MPI off) per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from edgenn_testing import ROOT, write_recipe  # noqa: F401  re-exported for fixtures


@pytest.fixture(scope="session")
def tiny_jets(tmp_path_factory) -> Path:
    """Directory holding jets.h5: 5 classes x 120 jets, generated once per session (about 20 s on 2 cores)."""
    from edgenn.datasets import JetGenConfig, generate_jets

    base = tmp_path_factory.mktemp("tiny_jets")
    config = JetGenConfig(jets_per_class=120, fast=True, seed=7, events_per_shard=120, workers=2)
    generate_jets(config, base / "jets", progress=False, cache_dir=base / "cache")
    return base / "jets"


@pytest.fixture(scope="session")
def tiny_zero_bias(tmp_path_factory) -> Path:
    """Directory holding events.h5 of the zero_bias stream with its calorimeter-region images, made by the real
    `edgenn data generate events` command: minimum bias 300 and LQ -> b tau 80, no pileup (the per-shard pileup pool
    of 1,000 minimum-bias events would cost minutes on a loaded 2-core machine; tests/datasets/test_calo_regions.py
    overlays pileup on a shard of its own). About 17 s of CPU, once per session."""
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    base = tmp_path_factory.mktemp("tiny_zero_bias")
    args = ["--no-progress", "data", "generate", "events", "--out", str(base / "events"), "--workers", "2",
            "--stream", "zero_bias", "--events-per-shard", "300", "--cache-dir", str(base / "cache"),
            "--events-per-process", "80", "--events", "minbias=300", "--process", "minbias", "--process", "lq_btau"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, f"edgenn data generate events failed (exit {res.exit_code}):\n{res.output}"
    return base / "events"


@pytest.fixture(scope="session")
def tiny_events(tmp_path_factory) -> Path:
    """Directory holding events.h5, made by the real `edgenn data generate events` command (so the tiny anomaly chains
    run from it to `edgenn check`): W->lnu 2000, Z->ll 300 (about their cross-section ratio, so the SM mixture keeps
    ~2,300 background events) and the four-lepton signal 150, from the ht_legacy stream (the anomaly chains' checks
    were tuned on it); once per session (about 20 s on 2 cores). A few
    hundred background training events are too few for the distilled student to learn the teacher."""
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    base = tmp_path_factory.mktemp("tiny_events")
    args = ["--no-progress", "data", "generate", "events", "--out", str(base / "events"), "--fast", "--workers", "2",
            "--events-per-shard", "500", "--cache-dir", str(base / "cache"), "--events-per-process", "150",
            "--events", "wlnu=2000", "--events", "zll=300", "--max-shards-per-process", "20",
            "--process", "wlnu", "--process", "zll", "--process", "h2_zz4l", "--stream", "ht_legacy"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, f"edgenn data generate events failed (exit {res.exit_code}):\n{res.output}"
    return base / "events"
