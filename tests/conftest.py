"""Shared fixtures: one tiny real jet dataset (Pythia 8 + FastJet, MPI off) per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tiny_jets(tmp_path_factory) -> Path:
    """Directory holding jets.h5: 5 classes x 120 jets, generated once per session (about 20 s on 2 cores)."""
    from edgenn.datasets import JetGenConfig, generate_jets

    base = tmp_path_factory.mktemp("tiny_jets")
    config = JetGenConfig(jets_per_class=120, fast=True, seed=7, events_per_shard=120, workers=2)
    generate_jets(config, base / "jets", progress=False, cache_dir=base / "cache")
    return base / "jets"


def write_recipe(path: Path, dataset: Path, **overrides) -> Path:
    """The shipped jet recipe, pointed at ``dataset`` and shortened for tests; ``overrides`` replace top-level keys."""
    recipe = yaml.safe_load((ROOT / "models" / "jet_mlp.yml").read_text())
    recipe["data"]["path"] = str(dataset)
    recipe["data"]["val_fraction"] = 0.2
    recipe["data"]["test_fraction"] = 0.3
    recipe["train"].update(epochs=4, batch_size=64)
    recipe["compress"].update(epochs=3)
    recipe["export"]["validation_samples"] = 10000
    recipe.update(overrides)
    path.write_text(yaml.safe_dump(recipe))
    return path
