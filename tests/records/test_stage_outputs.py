"""The stage-outputs record (records.stage_outputs): written by the train stage on the tiny jets, it holds what the
report draws (per-layer outputs on a capped test sample, the test-split scores) and refuses edited, truncated, newer
and foreign files in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgenn_testing import write_recipe
from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.records.base import RECORD_ENTRY
from edgenn.records.stage_outputs import MAX_SAMPLE_VALUES, SAMPLE_ROWS, StageOutputs, sample_rows


@pytest.fixture(scope="module")
def trained(tiny_jets, tmp_path_factory):
    from edgenn.config.load import load_recipe
    from edgenn.tasks.registry import get_task
    from edgenn.training.stage import run_training

    tmp = tmp_path_factory.mktemp("outputs")
    recipe = load_recipe(write_recipe(tmp / "r.yml", tiny_jets, train={"epochs": 1, "batch_size": 64}))
    return run_training(recipe, tmp / "train", task=get_task("classify"), progress=False)


def test_train_stage_saves_what_the_report_draws(trained):
    from edgenn.training.stage import prepared_data

    rec = StageOutputs.load(trained.directory)
    model = trained.load_model()
    data = prepared_data(trained.recipe, standardizer=trained.standardizer(), split=trained.split())
    assert rec.stage == "train" and rec.class_names == data.class_names and rec.num_test == len(data.test.y)
    assert list(rec.layers) == [lay.name for lay in model.layers if type(lay).__name__ != "InputLayer"]
    rows = len(rec.x)
    assert rows == min(SAMPLE_ROWS, len(data.test.y))
    np.testing.assert_array_equal(rec.x, data.test.x[:rows])
    np.testing.assert_array_equal(rec.y, data.test.y[:rows])
    np.testing.assert_allclose(rec.probs, model.predict(rec.x, verbose=0), rtol=1e-6, atol=1e-7)
    # the ROC overlay's points are the whole test split's scores: the stage's accuracy is recomputed from them
    np.testing.assert_array_equal(rec.test_labels, data.test.y)
    assert np.mean(np.argmax(rec.test_scores, 1) == rec.test_labels) == pytest.approx(trained.metrics["accuracy"])
    first_dense = next(lay for lay in model.layers if hasattr(lay, "kernel"))
    np.testing.assert_array_equal(rec.weights[first_dense.name]["weight"], first_dense.kernel.numpy())


def test_sample_cap_bounds_the_stored_values():
    assert sample_rows(50_000, 300) == SAMPLE_ROWS and sample_rows(120, 300) == 120
    big = 40 * 40 * 16 * 4  # an image family's row: four 40x40x16 convolution outputs
    assert sample_rows(50_000, big) * big <= MAX_SAMPLE_VALUES < (sample_rows(50_000, big) + 1) * big
    assert sample_rows(50_000, 10 * MAX_SAMPLE_VALUES) == 1


def _rewrite(path, edit) -> None:
    with np.load(path, allow_pickle=False) as npz:
        entries = {k: np.asarray(npz[k]) for k in npz.files}
    edit(entries)
    with open(path, "wb") as fh:
        np.savez(fh, **entries)


def test_edited_newer_and_foreign_files_are_refused(trained, tmp_path):
    import shutil

    d = tmp_path / "train"
    shutil.copytree(trained.directory, d)
    path = d / "outputs.npz"
    original = path.read_bytes()

    def scaled_layer(e):
        e["layer_0"] = e["layer_0"] * 2

    def newer(e):
        doc = json.loads(str(e[RECORD_ENTRY]))
        e[RECORD_ENTRY] = np.array(json.dumps({**doc, "schema_version": 99}))

    for edit, match in ((scaled_layer, "array 'layer_0' does not match its digest"),
                        (newer, "schema 99 is newer than this edgenn reads")):
        path.write_bytes(original)
        _rewrite(path, edit)
        with pytest.raises(InvalidInputError, match=match) as err:
            StageOutputs.load(d)
        assert "\n" not in str(err.value)
    path.write_bytes(original)
    _rewrite(path, lambda e: e.pop(RECORD_ENTRY))
    with pytest.raises(InvalidInputError, match="no sealed record inside"):
        StageOutputs.load(d)
    path.write_bytes(original[: len(original) // 3])
    with pytest.raises(InvalidInputError, match="not a readable stage-outputs record"):
        StageOutputs.load(d)
    path.unlink()
    with pytest.raises(MissingArtifactError, match="no stage-outputs record here") as err:
        StageOutputs.load(d, stage="compress")
    assert "edgenn compress runs/<name>" in str(err.value)
