"""Conformance battery over every registered model family: a family is tested by being registered.

Default suite (no training): the family has a shipped recipe that validates and a budget beside it; its task is
registered and reads the recipe's data kind; its build runs on real tiny data of its input kind (float and, when it
has quantizable layers, QAT), the layers its recipe quantizes and compression fine-tunes exist in that build, its
firmware part (``deploy``) builds, its score is finite, and a teacher it names is a registered family.

Slow suite (``-m slow``): the whole path for every family: train one short run, compress (where the family has a
firmware form), export to onnx and fpga, and the C simulation equal to the exact reference on every value.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from edgenn_testing import ROOT
from edgenn.architectures.registry import families
from edgenn.tasks.registry import get_task, registered_tasks
from edgenn.architectures.registry import family_params

FAMILIES = sorted(families())


def shipped_recipes(family: str) -> list[Path]:
    return sorted(p for p in (ROOT / "models").glob("*.yml")
                  if (yaml.safe_load(p.read_text()).get("model") or {}).get("family") == family)


def tiny_recipe(path: Path, dataset: Path, out: Path, **extra) -> Path:
    """``path`` (a shipped recipe of ``family``) pointed at ``dataset``, short enough for a test."""
    recipe = yaml.safe_load(path.read_text())
    recipe["data"].update(path=str(dataset), val_fraction=0.2, test_fraction=0.3)
    recipe["train"].update(epochs=2, batch_size=64)
    recipe["train"].pop("early_stopping", None)
    if recipe.get("compress"):
        recipe["compress"].update(epochs=1)
    for key, value in extra.items():
        recipe[key] = {**(recipe.get(key) or {}), **value}
    out.write_text(yaml.safe_dump(recipe))
    return out


def dataset_for(task, family, tiny_jets: Path, fixture) -> Path:
    """The tiny dataset of the task's data kind; region-image families read the zero-bias events. ``fixture``:
    ``request.getfixturevalue``, so that only the event fixture a family needs is generated."""
    if task.data_kind == "jets":
        return tiny_jets
    return fixture("tiny_zero_bias" if family.input_kind == "regions" else "tiny_events")


def first_recipe(family: str) -> Path:
    recipes = shipped_recipes(family)
    assert recipes, f"family {family!r} has no shipped recipe in models/ (one is part of adding a family)"
    return recipes[0]


def load(path: Path):
    from edgenn.config.load import load_recipe

    return load_recipe(path)


@pytest.mark.parametrize("name", FAMILIES)
def test_family_declares_a_consistent_task_recipe_and_budget(name):
    family = families()[name]
    assert family.task in registered_tasks(), f"{name}: task {family.task!r} is not registered"
    task = get_task(family.task)
    for path in shipped_recipes(name):
        recipe = yaml.safe_load(path.read_text())
        assert recipe["data"].get("kind", "jets") == task.data_kind, f"{path.name}: data.kind vs task {task.name}"
    budget = ROOT / "firmware" / "budgets" / f"{first_recipe(name).stem}.yml"
    assert budget.is_file(), f"{name}: no budget {budget.relative_to(ROOT)} for its recipe"
    if family.teacher is not None:
        assert family.teacher in families(), f"{name}: teacher family {family.teacher!r} is not registered"
    if family.objective == "classify":
        assert task.has_classes, f"{name}: a classify objective under a task without classes"


@pytest.mark.parametrize("name", FAMILIES)
def test_family_builds_on_its_input_kind(name, tiny_jets, request, tmp_path):
    import tensorflow as tf

    from edgenn.architectures.extra_inputs import feed
    from edgenn.architectures.registry import get_family

    family = get_family(name)
    task = get_task(family.task)
    extra = {"anomaly": {"teacher": str(tmp_path / "teacher")}} if family.teacher else {}
    recipe = load(tiny_recipe(first_recipe(name), dataset_for(task, family, tiny_jets, request.getfixturevalue),
                              tmp_path / "recipe.yml", **extra))
    data = task.prepare(recipe, family)
    params = family_params(recipe)
    model = task.build(family, params, data)
    # the part that runs in firmware (the VAE's training model also takes its sampling noise as an input)
    firmware = family.deploy(model, params) if family.deploy is not None else model
    x = data.test.x[:8] if task.has_classes else data.x_test[:8]
    out = np.asarray(firmware(feed(firmware, x), training=False))
    assert out.shape[0] == len(x) and np.all(np.isfinite(out)), f"{name}: build output {out.shape} not finite"
    if task.has_classes:
        assert out.shape[-1] == len(data.class_names)
    if family.compress_refusal is None:
        names = {layer.name for layer in model.layers} | {layer.name for layer in firmware.layers}
        assert family.fine_tune_layer in names, f"{name}: fine_tune_layer {family.fine_tune_layer!r} is not a layer"
    if recipe.compress is not None and recipe.compress.qat is not None and family.quantizable_layers(params):
        q = family.build(params, x.shape[1:], len(getattr(data, "class_names", ())) or 0, recipe.compress.qat)
        missing = set(family.quantizable_layers(params)) - {layer.name for layer in q.layers}
        assert not missing, f"{name}: quantizable layers {sorted(missing)} are not in its QAT build"
        q = family.deploy(q, params) if family.deploy is not None else q
        assert np.all(np.isfinite(np.asarray(q(feed(q, x), training=False))))
    tf.keras.backend.clear_session()


def run(args: list[str]) -> None:
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    res = CliRunner().invoke(app, ["--no-progress", *map(str, args)])
    assert res.exit_code == 0, f"edgenn {' '.join(map(str, args))} failed:\n{res.output}"


def train_family(name: str, dataset: Path, tmp: Path) -> Path:
    """Train (and compress, where the family has a firmware form) ``name``'s first shipped recipe; its run dir."""
    family = families()[name]
    extra = {}
    if family.teacher is not None:
        extra["anomaly"] = {"teacher": str(train_family(family.teacher, dataset, tmp))}
    recipe = tiny_recipe(first_recipe(name), dataset, tmp / f"{name}.yml", **extra)
    run_dir = tmp / "runs" / name
    run(["train", recipe, "--out", run_dir / "train"])
    if family.compress_refusal is None and yaml.safe_load(recipe.read_text()).get("compress"):
        run(["compress", run_dir, "--out", run_dir / "compress"])
    return run_dir


@pytest.mark.slow
@pytest.mark.parametrize("name", FAMILIES)
def test_family_runs_the_whole_path_bit_exact(name, tiny_jets, request, tmp_path):
    family = families()[name]
    task = get_task(family.task)
    if family.compress_refusal is not None:
        pytest.skip(f"{name}: {family.compress_refusal[0]}")
    run_dir = train_family(name, dataset_for(task, family, tiny_jets, request.getfixturevalue), tmp_path)
    fw = tmp_path / "firmware" / name
    run(["export", run_dir, "--target", "onnx", "--out", fw / "onnx"])
    run(["export", run_dir, "--target", "fpga", "--out", fw / "fpga"])
    report = json.loads((fw / "fpga" / "report.json").read_text())
    assert report["figures"]["bit_exact_fraction"]["value"] == 1.0, report["bitexact"]
