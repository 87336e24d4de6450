"""The scikit-learn GP sampler behind Optuna's interface (--sampler gp) and learned-precision targets as scan
dimensions. Toy objectives keep it to seconds; the scan driver itself is tested in test_driver.py."""

import math
from pathlib import Path

import optuna
import pytest
import yaml

from edgenn.config.load import validate
from edgenn.config.recipe import Recipe
from edgenn.config.scan import ScanSpace
from edgenn.errors import ConfigError
from edgenn.scan.gp_sampler import SklearnGPSampler, parego
from edgenn.scan.space import check_space, suggest, variant
from edgenn.scan.study import make_sampler

ROOT = Path(__file__).resolve().parents[2]
optuna.logging.set_verbosity(optuna.logging.WARNING)


def bowl(trial):
    x = trial.suggest_float("x", -3.0, 3.0)
    bits = trial.suggest_int("bits", 1, 32, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    return (x - 1.2) ** 2 + (math.log2(bits) - 3) ** 2 + (0.0 if kind == "b" else 1.0)


def test_gp_finds_a_better_optimum_than_random_search_with_the_same_trials():
    best = {}
    for name, sampler in (("gp", SklearnGPSampler(seed=3, startup_trials=5, num_candidates=300)),
                          ("random", optuna.samplers.RandomSampler(seed=3))):
        study = optuna.create_study(sampler=sampler)
        study.optimize(bowl, n_trials=12)
        best[name] = study.best_value
        assert all(isinstance(t.params["bits"], int) and 1 <= t.params["bits"] <= 32 for t in study.trials)
    assert best["gp"] < best["random"]


def test_several_objectives_with_constraints_and_the_study_as_the_only_record(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"

    def two(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_user_attr("constraints", [x - 0.8])  # x > 0.8 breaks the "budget"
        return x, (1 - x) ** 2

    def constraints(t):
        return t.user_attrs.get("constraints", [])

    study = optuna.create_study(storage=storage, study_name="s", directions=["minimize", "minimize"],
                                sampler=SklearnGPSampler(seed=1, startup_trials=4, num_candidates=300,
                                                         constraints_func=constraints))
    study.optimize(two, n_trials=6)
    # a new process resumes from the storage alone: the sampler keeps nothing the study does not hold
    resumed = optuna.load_study(storage=storage, study_name="s",
                                sampler=SklearnGPSampler(seed=2, startup_trials=4, num_candidates=300,
                                                         constraints_func=constraints))
    resumed.optimize(two, n_trials=4)
    xs = [t.params["x"] for t in resumed.trials]
    assert len(xs) == 10 and all(0.0 <= x <= 1.0 for x in xs)
    assert sum(x <= 0.8 for x in xs[4:]) > sum(x > 0.8 for x in xs[4:])  # the model learns where the budget breaks


def test_parego_prefers_a_point_that_is_good_on_every_objective():
    import numpy as np

    values = np.array([[0.0, 1.0], [1.0, 0.0], [0.1, 0.1]])
    scalar = parego(values, [False, False], np.array([0.5, 0.5]))
    assert int(np.argmin(scalar)) == 2
    assert int(np.argmin(parego(values, [True, False], np.array([0.5, 0.5])))) == 1  # maximise the first


def _hgq_recipe() -> Recipe:
    return validate(Recipe, yaml.safe_load((ROOT / "models" / "jet_mlp_hgq.yml").read_text()))


def test_sampler_kind_gp_builds_the_sklearn_sampler():
    space = ScanSpace(space={"target_lut": [2000, 8000]}, sampler={"kind": "gp", "seed": 4})
    assert isinstance(make_sampler(space, with_constraints=True), SklearnGPSampler)


def test_learned_precision_targets_are_scan_dimensions():
    recipe = _hgq_recipe()
    space = ScanSpace(space={"target_lut": {"low": 2000, "high": 30000, "log": True}}, sampler={"kind": "tpe"})
    check_space(space, recipe)
    params = suggest(optuna.trial.FixedTrial({"target_lut": 5000}), space, recipe)
    v = variant(recipe, params, space)
    assert v.compress.target.lut == 5000 and v.compress.target.ebops is None
    assert v.compress.learned_precision == recipe.compress.learned_precision
    jet_mlp = validate(Recipe, yaml.safe_load((ROOT / "models" / "jet_mlp.yml").read_text()))
    with pytest.raises(ConfigError, match="space.target_lut: the recipe has no compress.learned_precision"):
        check_space(space, jet_mlp)
    with pytest.raises(Exception, match="give one of them"):
        ScanSpace(space={"target_lut": [1000], "target_ebops": [1000.0]})
