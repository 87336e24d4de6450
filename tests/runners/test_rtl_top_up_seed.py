"""The rtl target's random top-up inputs follow the recipe's seed, like every other stage's draws (issue 12)."""

from __future__ import annotations

from edgenn.runners.rtl import USER_MODEL_SEED, top_up_seed
from edgenn.seeding import stage_seed


def test_top_up_draws_follow_the_recipe_seed():
    seeds = {seed: top_up_seed({"name": "jet_mlp", "seed": seed}) for seed in (1, 2, 3)}
    assert len(set(seeds.values())) == 3  # another recipe seed, other top-up inputs
    assert seeds[1] == top_up_seed({"seed": 1}) == stage_seed(1, "export-rtl-top-up")
    assert USER_MODEL_SEED not in seeds.values()


def test_a_user_model_without_a_recipe_keeps_one_fixed_seed():
    assert top_up_seed(None) == top_up_seed({}) == USER_MODEL_SEED
