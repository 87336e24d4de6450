"""Compression passes and the compress stage on small, learnable Gaussian-blob data (5 classes x 16 features)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from edgenn.artifacts import ModelArtifact, write_recipe
from edgenn.config.recipe import (CompressSpec, DistillSpec, ModelSpec, PruneSpec, QatSpec, Recipe,
                                  TrainSpec)
from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.training.inputs import PreparedData, Split, Standardizer, stratified_split
from edgenn.architectures.registry import family_params

CLASSES = ("q", "g", "W", "Z", "t")
HIDDEN = [16, 8]


def blob_data(seed: int = 7, rows_per_class: int = 100) -> PreparedData:
    """Five Gaussian blobs in 16 dimensions, overlapping enough that a classifier is not trivially perfect."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=0.7, size=(len(CLASSES), 16))
    x = np.concatenate([c + rng.normal(size=(rows_per_class, 16)) for c in centers]).astype(np.float32) * 3 + 5
    y = np.repeat(np.arange(len(CLASSES)), rows_per_class)
    s = stratified_split(y, 0.2, 0.2, int(rng.integers(1 << 31)))
    i_tr, i_va, i_te = s.train, s.val, s.test
    names = tuple(f"f{i}" for i in range(16))
    std = Standardizer.fit(x[i_tr], names)
    xs = std.apply(x)
    return PreparedData(Split(xs[i_tr], y[i_tr]), Split(xs[i_va], y[i_va]), Split(xs[i_te], y[i_te]), CLASSES,
                        names, std, Path("blobs"))


def make_recipe(compress: CompressSpec | None, *, name: str = "blobs", family: str = "dense") -> Recipe:
    return Recipe(name=name, seed=3, model=ModelSpec(family=family, params={"hidden": HIDDEN, "l1": 0.0}),
                  train=TrainSpec(epochs=3, batch_size=32, learning_rate=0.01, early_stopping=None),
                  compress=compress)


def write_trained_run(directory: Path, model, data: PreparedData, recipe: Recipe) -> ModelArtifact:
    """What `edgenn train` leaves behind, written directly (the blob data are not a dataset on disk)."""
    from edgenn.io import atomic_write_json
    from edgenn.manifest import write_manifest
    from edgenn.modelio import save_model

    directory.mkdir(parents=True)
    save_model(model, directory / "model.h5")
    data.standardizer.save(directory / "standardizer.json")
    write_recipe(recipe, directory / "recipe.yml")
    atomic_write_json(directory / "metrics.json", {"class_names": list(recipe.data.classes)})
    write_manifest(directory, stage="train", recipe=recipe.model_dump(mode="json"))
    return ModelArtifact.load(directory)


@pytest.fixture(scope="module")
def data() -> PreparedData:
    return blob_data()


@pytest.fixture(scope="module")
def float_model(data):
    from edgenn.architectures.registry import get_family
    from edgenn.seeding import seed_everything
    from edgenn.training.fit import fit

    recipe = make_recipe(None)
    seed_everything(11)
    model = get_family("dense").build(family_params(recipe), (16,), len(CLASSES), None)
    fit(model, data, recipe.train, progress=False)
    return model


@pytest.fixture(scope="module")
def trained(tmp_path_factory, float_model, data) -> ModelArtifact:
    return write_trained_run(tmp_path_factory.mktemp("run") / "train", float_model, data, make_recipe(None))


def fine_tune_spec(epochs: int = 3) -> TrainSpec:
    return TrainSpec(epochs=epochs, batch_size=32, learning_rate=0.005, early_stopping=None)


def test_float_model_learns_the_blobs(float_model, data):
    from edgenn.training.fit import predict
    from edgenn.training.metrics import accuracy

    assert accuracy(predict(float_model, data.test.x), data.test.y) > 0.6  # chance is 0.2


def test_pruning_reaches_target_sparsity_and_leaves_input_alone(float_model, data):
    from edgenn.compression import CompressionState, FineTune, PruneWeights, run_passes, sparsity_tolerance
    from edgenn.compression.layers import kernel_sparsity, weight_counts

    weights_before = [w.copy() for w in float_model.get_weights()]
    layer_names_before = [layer.name for layer in float_model.layers]
    state = CompressionState(model=float_model, data=data, fine_tune=fine_tune_spec())
    target = 0.75
    final, records = run_passes(state, [PruneWeights(PruneSpec(final_sparsity=target, frequency_steps=4)),
                                        FineTune(fine_tune_spec(), progress=False)])

    sparsity = kernel_sparsity(final.model)
    kernels = {layer.name: layer.kernel.shape.num_elements() for layer in final.model.layers if hasattr(layer, "kernel")}
    assert set(sparsity) == {"dense_0", "dense_1", "logits"}
    for name, s in sparsity.items():
        assert abs(s - target) <= sparsity_tolerance(kernels[name]), (name, s)
    for layer in final.model.layers:  # biases are not pruned
        if hasattr(layer, "bias"):
            assert np.count_nonzero(layer.bias.numpy()) == layer.bias.shape[0]
    assert [type(layer).__name__ for layer in final.model.layers].count("PruneLowMagnitude") == 0

    # the input model is untouched: same layers, same weights, no wrappers
    assert [layer.name for layer in float_model.layers] == layer_names_before
    for a, b in zip(weights_before, float_model.get_weights()):
        np.testing.assert_array_equal(a, b)

    prune_record, tune_record = records
    assert prune_record.name == "prune_weights" and prune_record.changed
    assert tune_record.num_nonzero_after < 0.4 * tune_record.num_nonzero_before
    assert weight_counts(final.model)[0] == weight_counts(float_model)[0]
    assert tune_record.details["pruning"]["target_sparsity"] == target


def test_qat_weights_lie_on_the_quantizer_grid(float_model, data):
    from edgenn.compression import CompressionState, QuantizeLayers, SnapWeightsToGrid, on_grid
    from edgenn.architectures.registry import get_family
    from edgenn.training.fit import predict

    qat = QatSpec()
    family = get_family("dense")
    state = CompressionState(model=float_model, data=data, fine_tune=fine_tune_spec())
    quantized, q_record = QuantizeLayers(qat, family=family, family_params=family_params(make_recipe(None))).apply(state)
    assert [layer.name for layer in quantized.model.layers][:2] == ["input", "input_quant"]
    np.testing.assert_array_equal(quantized.model.get_layer("dense_0").kernel.numpy(),
                                  float_model.get_layer("dense_0").kernel.numpy())  # weights copied by name
    assert q_record.details["bits"]["dense_0"] == {"weight": 6, "bias": 8, "input_activation": 12}

    # (fine-tuning through the quantizers is covered by the stage test below; the grid property does not need it)
    tuned = quantized
    snapped, snap_record = SnapWeightsToGrid(SnapWeightsToGrid.params_model()).apply(tuned)
    for name in ("dense_0", "dense_1", "logits"):
        layer = snapped.model.get_layer(name)
        assert on_grid(layer.kernel.numpy(), qat.weight.bits, qat.weight.integer), name
        assert on_grid(layer.bias.numpy(), qat.bias.bits, qat.bias.integer), name
        assert not on_grid(tuned.model.get_layer(name).kernel.numpy(), qat.weight.bits, qat.weight.integer)
    # storing q(w) instead of w changes no output bit
    np.testing.assert_array_equal(predict(snapped.model, data.test.x), predict(tuned.model, data.test.x))
    assert snap_record.metrics_before == snap_record.metrics_after


def test_distillation_loss_equals_formula_by_hand():
    import tensorflow as tf

    from edgenn.compression import distillation_loss

    alpha, temperature = 0.3, 2.0
    student = [[1.0, 0.0, -1.0], [0.5, 0.5, 2.0]]
    teacher = [[2.0, 0.0, 0.0], [0.0, 1.0, 3.0]]
    labels = [0, 2]

    def softmax(v, t):
        e = [math.exp(x / t) for x in v]
        return [x / sum(e) for x in e]

    expected = []
    for s, t, y in zip(student, teacher, labels):
        ce = -math.log(softmax(s, 1.0)[y])
        p_t, p_s = softmax(t, temperature), softmax(s, temperature)
        kl = sum(a * math.log(a / b) for a, b in zip(p_t, p_s))
        expected.append(alpha * ce + (1 - alpha) * temperature**2 * kl)

    y_true = tf.constant([[y, *t] for y, t in zip(labels, teacher)], tf.float32)
    got = distillation_loss(alpha, temperature)(y_true, tf.constant(student, tf.float32)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    # a student equal to its teacher pays only the label term
    same = distillation_loss(alpha, temperature)(y_true, tf.constant(teacher, tf.float32)).numpy()
    np.testing.assert_allclose(same, [alpha * -math.log(softmax(t, 1.0)[y]) for t, y in zip(teacher, labels)], rtol=1e-5)


def _forbid_work(monkeypatch):
    import edgenn.training.stage as training_stage

    def no_work(*_a, **_k):
        raise AssertionError("work started before the prerequisites were checked")

    monkeypatch.setattr(training_stage, "prepared_data", no_work)
    monkeypatch.setattr(ModelArtifact, "load_model", no_work)


def test_pipeline_refuses_missing_teacher_before_any_work(trained, tmp_path, monkeypatch):
    from edgenn.compression import run_compression
    from edgenn.tasks.registry import get_task

    _forbid_work(monkeypatch)
    missing = tmp_path / "no_such_teacher"
    recipe = make_recipe(CompressSpec(epochs=1, distill=DistillSpec(teacher=missing)))
    with pytest.raises(MissingArtifactError) as err:
        run_compression(recipe, trained, tmp_path / "out", task=get_task("classify"), progress=False)
    assert str(missing) in str(err.value) and "edgenn train" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_pipeline_refuses_teacher_with_other_classes(trained, float_model, data, tmp_path, monkeypatch):
    from edgenn.compression import build_passes

    other = make_recipe(None).model_copy(update={"data": make_recipe(None).data.model_copy(
        update={"classes": ["q", "g", "W"]})})
    write_trained_run(tmp_path / "teacher", float_model, data, other)
    _forbid_work(monkeypatch)
    recipe = make_recipe(CompressSpec(epochs=1, distill=DistillSpec(teacher=tmp_path / "teacher")))
    with pytest.raises(InvalidInputError, match="compress.distill.teacher.*classes"):
        build_passes(recipe, trained)


def test_pipeline_refuses_qat_on_family_without_quantizable_layers(tmp_path):
    from edgenn.architectures.dense import DenseParams, build_dense
    from edgenn.architectures.registry import families, register_family
    from edgenn.compression import build_passes

    if "unquantizable_test_mlp" not in families():
        register_family("unquantizable_test_mlp", params_model=DenseParams, input_kind="features",
                        quantizable_layers=lambda _p: [])(build_dense)
    recipe = make_recipe(CompressSpec(epochs=1, qat=QatSpec()), family="unquantizable_test_mlp")
    fake_trained = ModelArtifact(tmp_path, "train", make_recipe(None, family="unquantizable_test_mlp"))
    with pytest.raises(InvalidInputError, match="compress.qat.*no quantizable layers"):
        build_passes(recipe, fake_trained)


def test_run_compression_writes_a_complete_reloadable_directory(trained, data, tmp_path):
    from edgenn.compression import run_compression
    from edgenn.tasks.registry import get_task
    from edgenn.io import is_complete, read_json
    from edgenn.modelio import load_model
    from edgenn.training.fit import predict
    from edgenn.training.metrics import classifier_metrics

    recipe = make_recipe(CompressSpec(epochs=4, learning_rate=0.005, prune=PruneSpec(final_sparsity=0.5, frequency_steps=4),
                                      qat=QatSpec(), distill=DistillSpec(teacher="float", alpha=0.3)))
    out = tmp_path / "compress"
    artifact = run_compression(recipe, trained, out, task=get_task("classify"), progress=False, data=data)

    assert is_complete(out) and artifact.stage == "compress"
    for name in ("model.h5", "standardizer.json", "recipe.yml", "metrics.json", "manifest.json", "roc.png",
                 "confusion.png", "weights.png"):
        assert (out / name).is_file(), name
    assert (out / "standardizer.json").read_bytes() == (trained.directory / "standardizer.json").read_bytes()

    model = load_model(out / "model.h5")  # untrusted load: only Keras/QKeras classes, no pruning wrappers
    assert {type(layer).__name__ for layer in model.layers} <= {"InputLayer", "QActivation", "QDense", "Activation"}
    probs = predict(model, data.test.x)
    np.testing.assert_array_equal(probs, predict(load_model(out / "model.h5"), data.test.x))
    metrics = read_json(out / "metrics.json")
    again = classifier_metrics(probs, data.test.y, data.class_names)
    assert again["accuracy"] == metrics["accuracy"] and again["auc"] == metrics["auc"]

    table = metrics["compression"]
    assert table["pruning"]["reached"], table["pruning"]
    assert table["after"]["bits"]["dense_0"] == {"weight": 6, "bias": 8, "input_activation": 12}
    assert table["before"]["bits"]["dense_0"]["weight"] == 32
    assert table["after"]["bops"]["total"] < table["before"]["bops"]["total"] / 10
    assert table["after"]["accuracy"] == metrics["accuracy"]
    assert table["after"]["accuracy"] > 0.5  # still far above chance (0.2) after pruning + 6-bit weights
    assert [p["name"] for p in table["passes"]] == ["quantize_layers", "prune_weights", "distill_from_teacher",
                                                    "fine_tune", "snap_weights_to_grid"]
    manifest = read_json(out / "manifest.json")
    assert [p["name"] for p in manifest["passes"]] == [p["name"] for p in table["passes"]]
    reloaded = ModelArtifact.load(out)
    assert reloaded.recipe == recipe
    print("\naccuracy before/after:", table["before"]["accuracy"], table["after"]["accuracy"],
          "sparsity after:", table["after"]["sparsity"], "BOPs:", table["before"]["bops"]["total"],
          table["after"]["bops"]["total"])


def test_train_student_with_and_without_teacher_returns_test_metrics(float_model, data):
    from edgenn.compression import train_student

    student = make_recipe(CompressSpec(distill=DistillSpec(alpha=0.5, temperature=2.0))).model_copy(
        update={"train": TrainSpec(epochs=2, batch_size=32, learning_rate=0.01, early_stopping=None)})
    distilled = train_student(student, data, teacher=float_model, seed=1)
    plain = train_student(student, data, teacher=None, seed=1)
    assert distilled["distilled"] and not plain["distilled"]
    assert distilled["num_samples"] == plain["num_samples"] == len(data.test.y)
    assert min(distilled["accuracy"], plain["accuracy"]) > 0.3  # both learn (chance is 0.2)
    assert distilled["accuracy"] != plain["accuracy"] or distilled["auc"] != plain["auc"]  # the teacher mattered
