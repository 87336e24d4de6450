"""Conformance battery over every registered compression pass: a pass is tested by being registered.

Each pass is built the way the compress stage builds it (``pipeline.build_passes`` from a shipped recipe, on a model
trained on real tiny jets) and run in its chain on the stage's own state; every pass of the chain must keep the pass
contract (``compression/base.py``): its input model's trainable weights and outputs and its input data unchanged, a new model only as a copy that shares no
weight with the input, a record named after the pass holding its params, finite metrics on the same keys before and
after, and a JSON-serialisable record for the run manifest. A registered pass that no battery chain builds fails
(it could never run from a recipe).

Default suite: the QAT + pruning + distillation chain of ``models/jet_mlp.yml`` (every pass but learned precision);
``-m slow``: the learned-precision chain of ``models/jet_mlp_hgq.yml`` (an HGQ fine-tune and its range trace).
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from edgenn_testing import write_recipe
from edgenn.compression.base import get_pass, pass_names

# shipped recipes whose compress sections build the passes, and whether their chain runs in the default suite
CHAINS = {"jet_mlp": False, "jet_mlp_hgq": True}


@pytest.fixture(scope="module")
def trained(tiny_jets, tmp_path_factory):
    import edgenn

    tmp = tmp_path_factory.mktemp("pass_battery")
    recipe = write_recipe(tmp / "jet_mlp.yml", tiny_jets, base="jet_mlp",
                          train={"epochs": 1, "batch_size": 64, "learning_rate": 0.002})  # a model, not a good one
    return edgenn.train(recipe, out=tmp / "run" / "train", progress=False, report=False)


def chain_recipe(name: str, tiny_jets, tmp):
    from edgenn.config.load import load_recipe

    path = write_recipe(tmp / f"{name}.yml", tiny_jets, base=name)
    recipe = load_recipe(path)
    # the battery checks the contract, not what a long run reaches: one short fine-tune epoch
    return recipe.model_copy(update={"compress": recipe.compress.model_copy(update={"epochs": 1})})


def built_passes(name: str, trained, tiny_jets, tmp):
    from edgenn.compression.pipeline import build_passes

    return build_passes(chain_recipe(name, tiny_jets, tmp), trained, progress=False)


def test_every_registered_pass_is_built_from_a_shipped_recipe(trained, tiny_jets, tmp_path):
    built = {p.name for name in CHAINS for p in built_passes(name, trained, tiny_jets, tmp_path)}
    unreached = sorted(set(pass_names()) - built)
    assert not unreached, (f"registered passes no battery recipe builds (so no recipe can run them, and this battery "
                           f"cannot test them): {unreached}; add their recipe to CHAINS")


def test_every_pass_has_a_snake_case_name_and_a_strict_params_model():
    for name in pass_names():
        cls = get_pass(name)
        assert cls.name == name
        assert cls.params_model.model_config.get("extra") == "forbid", f"{name}: params must refuse unknown keys"


def _arrays(obj, depth: int = 0) -> list[np.ndarray]:
    """Every numpy array reachable through the dataclass fields of ``obj`` (the state's data), in field order."""
    if isinstance(obj, np.ndarray):
        return [obj]
    if depth > 3 or not dataclasses.is_dataclass(obj):
        return []
    return [a for f in dataclasses.fields(obj) for a in _arrays(getattr(obj, f.name), depth + 1)]


def _outputs(model, rows) -> np.ndarray:
    from edgenn.architectures.extra_inputs import feed

    return np.asarray(model(feed(model, rows), training=False))


def _snapshot(state, rows) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray]]:
    return ([np.array(w, copy=True) for w in state.model.trainable_weights], _outputs(state.model, rows),
            [np.array(a, copy=True) for a in _arrays(state.data)])


def _same(now: list[np.ndarray], then: list[np.ndarray]) -> bool:
    return len(now) == len(then) and all(np.array_equal(a, b) for a, b in zip(now, then))


def _check_contract(p, before, after, record, snapshot, rows):
    """The input model must compute what it computed (its trainable weights and its outputs on fixed rows: HGQ
    layers update their range trackers, non-trainable state that changes no output, whenever they are run)."""
    where = f"pass {p.name}"
    weights_then, outputs_then, data_then = snapshot
    assert _same([np.asarray(w) for w in before.model.trainable_weights], weights_then), \
        f"{where} changed the trainable weights of its input model"
    assert np.array_equal(_outputs(before.model, rows), outputs_then), f"{where} changed what its input model computes"
    assert _same(_arrays(before.data), data_then), f"{where} changed the data of its input state in place"
    if after.model is not before.model:
        shared = {id(v) for v in after.model.weights} & {id(v) for v in before.model.weights}
        assert not shared, f"{where} returned a new model that shares weight variables with its input"
    assert record.name == p.name and isinstance(record.changed, bool)
    assert record.params == p.params.model_dump(mode="json")
    assert record.seconds >= 0
    assert record.metrics_before.keys() == record.metrics_after.keys() and record.metrics_after, where
    for value in [*record.metrics_before.values(), *record.metrics_after.values()]:
        if isinstance(value, (int, float)):
            assert math.isfinite(value), f"{where}: metric {value!r}"
    assert 0 <= record.num_nonzero_after <= record.num_params_after
    json.dumps(record.to_dict())  # the pipeline writes every record into the run manifest


def run_chain(name: str, trained, tiny_jets, tmp) -> list[str]:
    """Run ``name``'s passes on the compress stage's initial state, checking each; the names of the passes run."""
    from edgenn.architectures.registry import get_family
    from edgenn.compression.base import CompressionState
    from edgenn.compression.pipeline import build_passes, fine_tune_spec
    from edgenn.seeding import seed_everything
    from edgenn.tasks.registry import task_of

    recipe = chain_recipe(name, tiny_jets, tmp)
    family = get_family(recipe.model.family)
    task = task_of(family)
    passes = build_passes(recipe, trained, progress=False)
    seed_everything(5)
    data = task.prepare(recipe, family, standardizer=trained.standardizer(), split=trained.split())
    model = trained.load_model()
    plan, tuned = task.compression_data(recipe, family, model, data, task.load_teacher(recipe, family))
    state = CompressionState(model=model, data=tuned, fine_tune=fine_tune_spec(recipe), task=plan)
    rows = data.test.x[:32]
    for p in passes:
        snapshot = _snapshot(state, rows)
        after, record = p.apply(state)
        _check_contract(p, state, after, record, snapshot, rows)
        state = after
    out = _outputs(state.model, rows)
    assert out.shape == (len(rows), len(data.class_names)) and np.all(np.isfinite(out))
    return [p.name for p in passes]


@pytest.mark.parametrize("chain", [pytest.param(n, marks=pytest.mark.slow) if slow else n
                                   for n, slow in CHAINS.items()])
def test_every_pass_of_a_chain_keeps_the_pass_contract(chain, trained, tiny_jets, tmp_path):
    import tensorflow as tf

    ran = run_chain(chain, trained, tiny_jets, tmp_path)
    assert ran[-1] in ("snap_weights_to_grid", "fix_learned_precision") and "fine_tune" in ran
    tf.keras.backend.clear_session()
