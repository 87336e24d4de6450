"""Fixtures for the hardening suite: tiny synthetic jet files (no Pythia), small user models, CLI helpers.

Synthetic data is enough here: these tests check what the toolchain does with bad, interrupted or repeated input,
not physics. Real-jet behaviour is covered by tests/datasets and tests/e2e.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hardening_support import make_jets, tiny_recipe


@pytest.fixture(scope="session")
def synthetic_jets(tmp_path_factory) -> Path:
    return make_jets(tmp_path_factory.mktemp("synthetic") / "jets")


@pytest.fixture(scope="session")
def trained_run(synthetic_jets, tmp_path_factory) -> Path:
    """``runs/<name>`` with a complete train stage of a 16-8-5 float MLP (seconds once TensorFlow is loaded)."""
    import edgenn

    base = tmp_path_factory.mktemp("run")
    recipe = tiny_recipe(base / "r.yml", synthetic_jets)
    edgenn.train(recipe, out=base / "run" / "train", progress=False, report=False)
    return base / "run"
