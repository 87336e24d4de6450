import json

import numpy as np
import pytest

from edgenn_testing import write_recipe
from edgenn.artifacts import ModelArtifact
from edgenn.config.load import load_recipe
from edgenn.errors import InvalidInputError
from edgenn.io import is_complete
from edgenn.tasks.registry import get_task
from edgenn.training.stage import prepared_data, run_training


@pytest.fixture(scope="module")
def trained(tiny_jets, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train")
    recipe = load_recipe(write_recipe(tmp / "r.yml", tiny_jets))
    return recipe, run_training(recipe, tmp / "run" / "train", task=get_task("classify"), progress=False)


def test_training_writes_a_complete_run(trained):
    recipe, art = trained
    assert is_complete(art.directory)
    for name in ("model.h5", "standardizer.json", "metrics.json", "roc.png", "history.png", "confusion.png", "recipe.yml"):
        assert (art.directory / name).stat().st_size > 0, name
    m = json.loads((art.directory / "metrics.json").read_text())
    assert set(m["auc"]) == {"q", "g", "W", "Z", "t"}
    assert set(m["rejection_at_50"]) == {"t", "W", "Z"}
    # five balanced classes: a trained tagger must beat guessing (0.2) clearly even after 4 epochs on 400 jets
    assert m["accuracy"] > 0.3 and m["auc"]["t"] > 0.6


def test_reloaded_model_reproduces_metrics(trained):
    recipe, art = trained
    loaded = ModelArtifact.load(art.directory)
    data = prepared_data(loaded.recipe, standardizer=loaded.standardizer())
    probs = loaded.load_model().predict(data.test.x, verbose=0)
    assert np.mean(np.argmax(probs, 1) == data.test.y) == pytest.approx(art.metrics["accuracy"], abs=1e-12)


def test_standardizer_is_fitted_on_train_only(trained):
    recipe, art = trained
    data = prepared_data(recipe, standardizer=art.standardizer())
    assert np.allclose(data.train.x.mean(axis=0), 0, atol=1e-4)
    assert not np.allclose(data.test.x.mean(axis=0), 0, atol=1e-4)


def test_same_seed_gives_identical_weights(tiny_jets, tmp_path):
    recipe = load_recipe(write_recipe(tmp_path / "r.yml", tiny_jets, train={"epochs": 2, "batch_size": 64}))
    a = run_training(recipe, tmp_path / "a", task=get_task("classify"), progress=False).load_model().get_weights()
    b = run_training(recipe, tmp_path / "b", task=get_task("classify"), progress=False).load_model().get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_one_class_dataset_is_refused(tiny_jets, tmp_path):
    from edgenn.datasets import load_jets, save_jets

    data = load_jets(tiny_jets / "jets.h5")
    one = data.subset(np.flatnonzero(data.labels == 0))
    save_jets(tmp_path / "one" / "jets.h5", one)
    recipe = load_recipe(write_recipe(tmp_path / "r.yml", tmp_path / "one"))
    with pytest.raises(InvalidInputError, match="only one class"):
        prepared_data(recipe)
