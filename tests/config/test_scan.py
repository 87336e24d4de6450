"""SPACE.yml schema: typos and impossible ranges fail naming the field; a good file loads into typed objects."""

from pathlib import Path

import pytest

from edgenn.config.load import load
from edgenn.config.scan import IntRange, ScanSpace, objective_direction
from edgenn.errors import ConfigError


def _load(tmp_path: Path, text: str) -> ScanSpace:
    path = tmp_path / "space.yml"
    path.write_text(text)
    return load(ScanSpace, path)


def test_good_space_loads(tmp_path):
    s = _load(tmp_path, "space:\n  weight_bits: {low: 3, high: 8}\n  strategy: [Latency, Resource]\n"
                        "objectives: [auc.t, lut, latency_cycles]\n")
    assert s.space.weight_bits == IntRange(low=3, high=8)
    assert [objective_direction(o) for o in s.objectives] == ["maximize", "minimize", "minimize"]


@pytest.mark.parametrize("text, field", [
    ("space:\n  weight_bitz: [4]\n", "space.weight_bitz"),
    ("space:\n  weight_bits: {low: 8, high: 4}\n", "space.weight_bits"),
    ("space:\n  sparsity: [0.5, 1.0]\n", "sparsity: must be in [0, 1)"),
    ("space:\n  strategy: [Fast]\n", "space.strategy"),
    ("space:\n  reuse_factor: [2]\nobjectives: [accuracy, speed]\n", "objectives"),
    ("space: {}\n", "names no dimension"),
])
def test_bad_space_names_the_field(tmp_path, text, field):
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, text)
    assert field in str(exc.value)
    assert str(tmp_path / "space.yml") in str(exc.value)
