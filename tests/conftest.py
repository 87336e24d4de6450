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
