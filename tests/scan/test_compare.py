"""`compare`: two recipes re-trained over folds on the same jets; every metric gets mean ± std and a p-value."""

from __future__ import annotations

import json

import pytest
import yaml

from edgenn_testing import write_recipe
from edgenn.config.load import load_recipe
from edgenn.errors import InvalidInputError
from edgenn.scan import run_compare


def _recipe(tmp_path, tiny_jets, name, hidden):
    path = write_recipe(tmp_path / f"{name}.yml", tiny_jets, name=name)
    data = yaml.safe_load(path.read_text())
    data["model"]["params"]["hidden"] = hidden
    data["train"].update(epochs=2, early_stopping=None)
    data.pop("compress")  # float models: the comparison machinery is what is under test
    path.write_text(yaml.safe_dump(data))
    return load_recipe(path)


def test_folds_compare_pairs_the_same_jets(tmp_path, tiny_jets):
    a = _recipe(tmp_path, tiny_jets, "wide", [16])
    b = _recipe(tmp_path, tiny_jets, "narrow", [2])
    result = run_compare(a, b, tmp_path / "cmp", folds=2, workers=1)
    acc = result.primary()
    assert (result.mode, result.k, len(acc.a), len(acc.b)) == ("folds", 2, 2, 2)
    assert acc.test == "corrected t (Nadeau-Bengio)" and 0.0 <= acc.p_value <= 1.0
    names = {m.name for m in result.metrics}
    assert {"accuracy", "auc.t", "lut", "latency_cycles", "num_params"} <= names
    params = next(m for m in result.metrics if m.name == "num_params")
    assert params.mean_a > params.mean_b and params.p_value == 0.0  # a systematic difference with no spread
    assert result.verdict.startswith(("wide beats", "narrow beats", "wide and narrow are not distinguishable"))
    saved = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert saved["verdict"] == result.verdict and (tmp_path / "cmp" / "compare.md").is_file()


def test_compare_refuses_unpaired_inputs(tmp_path, tiny_jets):
    a = _recipe(tmp_path, tiny_jets, "a", [4])
    b = a.model_copy(update={"data": a.data.model_copy(update={"classes": ["q", "g"]})})
    with pytest.raises(InvalidInputError, match="different jets"):
        run_compare(a, b, tmp_path / "x", folds=2, workers=1)
    with pytest.raises(InvalidInputError, match="exactly one of"):
        run_compare(a, a, tmp_path / "x", folds=2, seeds=2, workers=1)
