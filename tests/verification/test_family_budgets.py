"""Every jet-tagging family ships a recipe in models/ and two budgets that `edgenn check` reads: the full one and the
tiny one the default e2e suite checks its tiny pipeline against (tests/e2e)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgenn_testing import ROOT
from edgenn.architectures.registry import get_family
from edgenn.config.load import load_budget, load_recipe, read_yaml

CLASSIFIERS = ("dense", "cnn", "deepsets", "interaction_net")


def recipes_by_family() -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for path in sorted((ROOT / "models").glob("*.yml")):
        family = (read_yaml(path).get("model") or {}).get("family", "dense")
        out.setdefault(family, []).append(path)
    return out


@pytest.mark.parametrize("family", CLASSIFIERS)
def test_each_family_has_a_recipe_and_full_and_tiny_budgets(family):
    assert get_family(family).task == "classify"
    recipes = recipes_by_family().get(family)
    assert recipes, f"no recipe in models/ uses family {family!r}"
    recipe = load_recipe(recipes[0])
    for suffix in ("", "_tiny"):
        budget = load_budget(ROOT / "firmware" / "budgets" / f"{recipe.name}{suffix}.yml")
        assert budget.bit_exact_fraction is not None and budget.bit_exact_fraction.min == 1.0


def test_tiny_budgets_are_checked_by_the_default_e2e_suite():
    e2e = " ".join(p.read_text() for p in (ROOT / "tests" / "e2e").glob("test_*.py"))
    for name in ("jet_mlp_tiny", "jet_cnn_tiny"):
        assert name in e2e, f"firmware/budgets/{name}.yml is not used by tests/e2e"
    # the constituent families' test builds the name from the family: f"{family}_tiny.yml"
    assert '"firmware" / "budgets" / f"{family}_tiny.yml"' in e2e
