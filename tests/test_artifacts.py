"""The model directory as a record: every file hashed in its manifest, the manifest sealed with a schema version and
a content hash, and a directory that was edited, truncated or half-copied refused in one line (issue 12 item 1)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from edgenn.artifacts import MODEL_SCHEMA_VERSION, ModelArtifact, ModelFiles
from edgenn.config.load import load_recipe
from edgenn.errors import EdgennError
from edgenn_testing import ROOT


def _model_dir(tmp_path, *, metrics=None):
    recipe = load_recipe(ROOT / "models" / "jet_mlp.yml")
    model = tf.keras.Sequential([tf.keras.Input((16,)), tf.keras.layers.Dense(5, name="logits")], name="tagger")
    model.layers[0].set_weights([np.full((16, 5), 0.25, np.float32), np.zeros(5, np.float32)])
    out = tmp_path / "train"
    out.mkdir()
    metrics = metrics or {"accuracy": 0.7, "auc": {"q": float("nan")}}
    saved = ModelArtifact(out, "train", recipe, metrics).save(out, ModelFiles(model), seeds={"root": recipe.seed})
    doc = json.loads((out / "manifest.json").read_text())
    assert (saved.content_hash, saved.files) == (doc["content_hash"], doc["files"])  # the record as saved
    return out, doc


def test_model_directory_round_trips_with_its_hash_and_file_hashes(tmp_path):
    out, doc = _model_dir(tmp_path)
    art = ModelArtifact.load(out)
    assert doc["schema_version"] == MODEL_SCHEMA_VERSION and art.content_hash == doc["content_hash"]
    assert set(art.files) >= {"model.h5", "recipe.yml", "metrics.json"} and "manifest.json" not in art.files
    art.verify()  # the files are the ones the manifest names
    assert art.stage == "train" and art.metrics["accuracy"] == 0.7


def test_the_hash_follows_the_content_not_the_run(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    _, a = _model_dir(tmp_path / "a")
    _, b = _model_dir(tmp_path / "b")
    _, c = _model_dir(tmp_path / "c", metrics={"accuracy": 0.71})
    assert a["content_hash"] == b["content_hash"]  # same model, recipe and metrics written twice
    assert a["content_hash"] != c["content_hash"]


def test_an_edited_manifest_or_replaced_model_is_refused(tmp_path):
    out, doc = _model_dir(tmp_path)
    edited = {**doc, "metrics": {"accuracy": 0.99}}
    (out / "manifest.json").write_text(json.dumps(edited))
    with pytest.raises(EdgennError, match="content hash does not match"):
        ModelArtifact.load(out)
    (out / "manifest.json").write_text(json.dumps(doc))
    art = ModelArtifact.load(out)
    (out / "model.h5").write_bytes((out / "model.h5").read_bytes()[:-100])  # a half-copied model file
    with pytest.raises(EdgennError, match="model.h5: hash .* is not the manifest's"):
        art.verify()
    (out / "manifest.json").write_text(json.dumps(doc)[:-40])
    with pytest.raises(EdgennError, match="truncated or not JSON"):
        ModelArtifact.load(out)


def test_a_directory_written_before_the_record_still_loads(tmp_path):
    out, doc = _model_dir(tmp_path)
    old = {k: v for k, v in doc.items() if k not in ("content_hash", "files")}
    (out / "manifest.json").write_text(json.dumps({**old, "schema_version": 1}))
    art = ModelArtifact.load(out)
    # upgraded on load: hashed from the same fields, but not the sealed hash (the schema differs), and no file list
    assert art.content_hash not in (None, doc["content_hash"]) and art.files == {} and art.schema_version == 1
