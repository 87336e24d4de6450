"""The recipe schema's ``export.rtl`` section (the rtl target's own settings): validated with the recipe, and left out
of the recipe's dump (recipe.yml, the manifests' recipe and recipe_hash) while at its defaults, so a recipe that does
not set it dumps and hashes exactly as before the section existed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from edgenn.config.load import load_recipe
from edgenn.config.recipe import Recipe
from edgenn.errors import ConfigError
from edgenn.manifest import content_hash

ROOT = Path(__file__).resolve().parents[2]


def test_a_recipe_without_export_rtl_dumps_without_it():
    for path in sorted((ROOT / "models").glob("*.yml")):
        recipe = load_recipe(path)
        dump = recipe.model_dump(mode="json")
        assert "rtl" not in dump["export"] and "rtl" not in recipe.model_dump()["export"], path.name
        assert recipe.export.rtl.adder_levels_per_cycle is None
        assert Recipe.model_validate(dump) == recipe  # the dump still reads back as the same recipe


def test_export_rtl_is_validated_and_dumped_when_set(tmp_path):
    data = yaml.safe_load((ROOT / "models" / "jet_mlp.yml").read_text())
    plain = load_recipe(ROOT / "models" / "jet_mlp.yml")
    data.setdefault("export", {})["rtl"] = {"adder_levels_per_cycle": 3}
    (tmp_path / "r.yml").write_text(yaml.safe_dump(data))
    recipe = load_recipe(tmp_path / "r.yml")
    dump = recipe.model_dump(mode="json")
    assert dump["export"]["rtl"] == {"adder_levels_per_cycle": 3}
    assert content_hash(dump) != content_hash(plain.model_dump(mode="json"))  # a setting that changes the RTL
    assert Recipe.model_validate(dump) == recipe
    # set to its defaults, it is the recipe without the section: same dump, same hash
    data["export"]["rtl"] = {"adder_levels_per_cycle": None}
    (tmp_path / "r.yml").write_text(yaml.safe_dump(data))
    assert content_hash(load_recipe(tmp_path / "r.yml").model_dump(mode="json")) == content_hash(
        plain.model_dump(mode="json"))
    for bad, needle in (({"adder_levels_per_cycle": 0}, "export.rtl.adder_levels_per_cycle"),
                        ({"adder_levels": 3}, "export.rtl.adder_levels")):
        data["export"]["rtl"] = bad
        (tmp_path / "r.yml").write_text(yaml.safe_dump(data))
        with pytest.raises(ConfigError, match=needle.replace(".", r"\.")):
            load_recipe(tmp_path / "r.yml")
