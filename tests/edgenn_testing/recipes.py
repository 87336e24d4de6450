"""Recipes for tests: a shipped recipe pointed at a test dataset and shortened."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def write_recipe(path: Path, dataset: Path, *, base: str = "jet_mlp", **overrides) -> Path:
    """A shipped jet recipe (``models/<base>.yml``), pointed at ``dataset`` and shortened for tests; ``overrides``
    replace top-level keys."""
    recipe = yaml.safe_load((ROOT / "models" / f"{base}.yml").read_text())
    recipe["data"]["path"] = str(dataset)
    recipe["data"]["val_fraction"] = 0.2
    recipe["data"]["test_fraction"] = 0.3
    recipe["train"].update(epochs=4, batch_size=64)
    recipe["compress"].update(epochs=3)
    recipe["export"]["validation_samples"] = 10000
    recipe.update(overrides)
    path.write_text(yaml.safe_dump(recipe))
    return path
