"""Scan space -> trial parameters -> recipe variants; budget constraints; Pareto selection; paired tests."""

from pathlib import Path

import numpy as np
import optuna
import pytest
import yaml

from edgenn.config.budget import Budget, Limit
from edgenn.config.load import validate
from edgenn.config.recipe import Recipe
from edgenn.config.scan import ScanSpace
from edgenn.errors import ConfigError
from edgenn.scan.compare import paired_p_value
from edgenn.scan.objectives import check_budget, pareto_indices
from edgenn.scan.space import check_space, suggest, variant

ROOT = Path(__file__).resolve().parents[2]


def _recipe(**changes) -> Recipe:
    data = yaml.safe_load((ROOT / "models" / "jet_mlp.yml").read_text())
    data.update(changes)
    return validate(Recipe, data)


def _space(**space) -> ScanSpace:
    return ScanSpace(space=space, trial={"epochs": 2, "compress_epochs": 1})


def test_variant_applies_every_dimension():
    space = _space(weight_bits=[4, 8], activation_bits=[6], sparsity=[0.5], hidden=[[10], [12]],
                   reuse_factor=[2], strategy=["Resource"])
    params = {"weight_bits": 4, "activation_bits": 6, "sparsity": 0.5, "hidden.0": 10, "hidden.1": 12,
              "reuse_factor": 2, "strategy": "Resource"}
    v = variant(_recipe(), params, space, name="t1")
    assert v.compress.qat.weight.bits == 4 and v.compress.qat.weight.integer == 0
    assert v.compress.qat.activation.bits == 6
    assert v.compress.prune.final_sparsity == 0.5
    assert v.model.params["hidden"] == [10, 12]
    assert (v.export.fpga.reuse_factor, v.export.fpga.strategy) == (2, "Resource")
    assert (v.train.epochs, v.compress.epochs, v.name) == (2, 1, "t1")


def test_per_layer_bits_suggested_and_applied():
    recipe = _recipe()
    space = ScanSpace(space={"weight_bits": [3, 5], "activation_bits": [7], "bits_per_layer": True})
    params = suggest(optuna.trial.FixedTrial({"weight_bits.dense_0": 3, "weight_bits.dense_1": 5,
                                              "weight_bits.dense_2": 5, "weight_bits.logits": 3}), space, recipe)
    # no activation choice for the logits layer (softmax follows it); single choices need no suggestion
    assert params["activation_bits.dense_2"] == 7 and "activation_bits.logits" not in params
    v = variant(recipe, params, space)
    assert v.compress.qat.layers["dense_0"].weight.bits == 3
    assert v.compress.qat.layers["dense_1"].weight.bits == 5
    assert v.compress.qat.layers["logits"].activation is None


def test_suggestions_follow_the_sampler_seed():
    recipe, space = _recipe(), _space(weight_bits={"low": 3, "high": 9}, sparsity={"low": 0, "high": 0.9})

    def draws(seed):
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
        return [suggest(study.ask(), space, recipe) for _ in range(4)]

    assert draws(5) == draws(5)
    assert draws(5) != draws(6)


def test_space_conflicting_with_recipe_is_reported_whole():
    recipe = _recipe(compress={"epochs": 1, "distill": {"teacher": "float"}}, model={"family": "dense"})
    space = _space(weight_bits=[4], sparsity=[0.5])
    with pytest.raises(ConfigError) as exc:
        check_space(space, recipe, source="s.yml")
    assert len(exc.value.problems) == 2
    assert "s.yml: space.weight_bits" in exc.value.problems[0] and "space.sparsity" in exc.value.problems[1]
    with pytest.raises(ConfigError, match="space.activation_bits: smallest choice 3"):
        check_space(_space(activation_bits=[3, 8]), _recipe())  # recipe keeps 3 integer bits


def test_budget_constraints_and_slack():
    budget = Budget(lut=Limit(max=1000, method=["analytic"]), accuracy=Limit(min=0.6),
                    bit_exact_fraction=Limit(min=1.0), dsp=Limit(max=5, method=["vendor"]))
    figs = {"lut": {"value": 1500.0, "unit": "count", "method": "analytic"},
            "dsp": {"value": 1.0, "unit": "count", "method": "analytic"},
            "accuracy": {"value": 0.7, "unit": "fraction", "method": "software"}}
    check = check_budget(figs, budget)
    assert check.names == ("accuracy.min", "lut.max") and check.values == pytest.approx((-0.1, 500.0))
    assert not check.feasible and check.violated() == ["lut.max"]
    assert any(u.startswith("bit_exact_fraction") for u in check.unchecked)
    assert any(u.startswith("dsp: method analytic") for u in check.unchecked)
    assert check_budget(figs, budget, slack=2.0).feasible


def test_pareto_front_respects_directions():
    pts = [[0.7, 100.0], [0.8, 200.0], [0.6, 300.0], [0.8, 150.0], [0.7, 100.0]]
    assert pareto_indices(pts, ["maximize", "minimize"]) == [0, 3, 4]
    assert pareto_indices(pts, ["minimize", "minimize"]) == [0, 2, 4]  # 0.6 is the lowest first value


def test_paired_tests():
    rng = np.random.default_rng(0)
    base = rng.normal(0.7, 0.01, 8)
    assert paired_p_value(base + 0.05, base, test="t") < 1e-6
    assert paired_p_value(base, base, test="t") == 1.0
    noise = rng.normal(0, 0.01, 8)
    corrected = paired_p_value(base + noise, base, test="t", corrected_ratio=1 / 7)
    assert corrected >= paired_p_value(base + noise, base, test="t")  # overlap correction is more cautious
    assert paired_p_value(base + 0.05, base + rng.normal(0, 1e-3, 8), test="wilcoxon") == pytest.approx(2 / 2**8)
