from pathlib import Path

import pytest

from edgenn.config.load import load_budget, load_recipe
from edgenn.config.recipe import Recipe
from edgenn.errors import ConfigError, MissingArtifactError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path, text, name="r.yml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_shipped_recipes_and_budgets_load():
    from edgenn.tasks.recipe_check import check_recipe

    for path in sorted((ROOT / "models").glob("*.yml")):
        assert isinstance(check_recipe(load_recipe(path), source=str(path)), Recipe)
    for path in sorted((ROOT / "firmware" / "budgets").glob("*.yml")):
        assert load_budget(path).limits()


def test_unknown_key_names_file_and_field(tmp_path):
    p = write(tmp_path, "name: x\ntrain:\n  epochz: 3\n")
    with pytest.raises(ConfigError) as e:
        load_recipe(p)
    assert str(e.value).startswith(f"{p}: train.epochz: Extra inputs are not permitted")
    assert "Fix:" in str(e.value)


def test_all_problems_reported_at_once(tmp_path):
    p = write(tmp_path, "name: x\ntrain: {epochs: 0, batch_size: many}\ncompress: {prune: {final_sparsity: 1.2}}\n")
    with pytest.raises(ConfigError) as e:
        load_recipe(p)
    fields = [line.split(": ")[1] for line in e.value.problems]
    assert fields == ["train.epochs", "train.batch_size", "compress.prune.final_sparsity"]
    assert "(got 1.2)" in e.value.problems[2]


@pytest.mark.parametrize("text,needle", [
    ("name: x\n  bad: [\n", "malformed YAML at line"),
    ("", "file is empty"),
    ("- a\n- b\n", "top level must be a mapping"),
    ("name: x\ncompress: {qat: {weight: {bits: 0, integer: 0}}}\n", "compress.qat.weight.bits"),
    ("name: x\ncompress: {qat: {weight: {bits: 4, integer: 6}}}\n", "cannot exceed total bits"),
    ("name: x\nexport: {fpga: {clock_period_ns: 0}}\n", "export.fpga.clock_period_ns"),
    ("name: x\ncompress: {}\n", "names no compression pass"),
    ("name: x\ndata: {classes: [q]}\n", "at least two distinct classes"),
    ("name: x\ncompress: {distill: {}, target: {lut: 1000}}\n", "target steers learned_precision's beta"),
    ("name: x\ncompress: {learned_precision: {}, target: {lut: 1000, ebops: 900}}\n", "exactly one of lut or ebops"),
    ("name: x\ncompress: {learned_precision: {}, target: {luts: 1000}}\n", "compress.target.luts"),
    ("name: x\ncompress: {learned_precision: {}, target: {ebops: 1000, margin: 0}}\n", "compress.target.margin"),
])
def test_bad_recipes(tmp_path, text, needle):
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.").replace("[", r"\[")):
        load_recipe(write(tmp_path, text))


def test_missing_file():
    with pytest.raises(MissingArtifactError, match="nope.yml: file not found"):
        load_recipe(Path("nope.yml"))


def test_budget_unknown_metric_and_min_above_max(tmp_path):
    p = write(tmp_path, "latency_cycle: {max: 3}\nlut: {min: 5, max: 1}\n", "b.yml")
    with pytest.raises(ConfigError) as e:
        load_budget(p)
    text = str(e.value)
    assert "latency_cycle: Extra inputs are not permitted" in text
    assert "min (5.0) is larger than max (1.0)" in text


def test_split_fractions_must_leave_training_data():
    from edgenn.config.load import validate

    # a large test split is allowed (anomaly thresholds at FPR 1e-5 need >= 1e5 background test events) ...
    assert validate(Recipe, {"name": "x", "data": {"val_fraction": 0.1, "test_fraction": 0.7}}).data.test_fraction == 0.7
    # ... but not one that leaves (almost) nothing to train on
    with pytest.raises(ConfigError, match=r"r.yml: data: val_fraction \+ test_fraction = 1 leaves less than 10 %"):
        validate(Recipe, {"name": "x", "data": {"val_fraction": 0.3, "test_fraction": 0.7}}, source="r.yml")
