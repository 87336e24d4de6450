"""The model directory as a full record: typed metrics, files checked on load, and the upgrade path for a schema-1
directory (``fixtures/model_v1_train``: a real train-stage directory written by edgenn b10c590, before the model
record existed; tiny dense 16-8-5, one epoch on 2,000 jets, plots dropped)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edgenn.artifacts import ModelArtifact
from edgenn.errors import InvalidInputError
from edgenn.records.model_metrics import ModelMetrics

V1 = Path(__file__).parent / "fixtures" / "model_v1_train"


def test_a_schema1_directory_made_by_an_older_edgenn_still_loads(tmp_path):
    from edgenn.records.base import record_hash

    art = ModelArtifact.load(V1)
    manifest = json.loads((V1 / "manifest.json").read_text())
    assert manifest["schema_version"] == 1 and "content_hash" not in manifest and art.schema_version == 1
    # upgraded on load: the hash over the same fields a schema-2 manifest seals, so later stages can name this model
    assert art.content_hash == record_hash({k: manifest[k] for k in ("stage", "recipe_hash", "seeds", "passes",
                                                                     "metrics", "schema_version")})
    written = json.loads((V1 / "metrics.json").read_text())
    assert isinstance(art.metrics, ModelMetrics) and art.metrics.accuracy == written["accuracy"]
    assert art.metrics.class_names == tuple(written["class_names"]) and art.metrics.split_sizes["test"] == 600
    assert dict(art.metrics) == written  # still the mapping it was written as
    model = art.load_model()
    x = np.random.default_rng(0).normal(size=(7, 16)).astype(np.float32)
    assert model.predict(art.standardizer().apply(x), verbose=0).shape == (7, 5)
    assert len(art.split().test) == art.metrics.split_sizes["test"]
    art.verify()  # nothing listed to check: schema 1 hashed no files

    # its report says, in one line, that the stage outputs are missing and how to get them; the model is not re-run
    from edgenn.reporting import write_report

    run = tmp_path / "runs" / "tiny_v1" / "train"
    shutil.copytree(V1, run)
    html = write_report(run).read_text()
    assert (f"<code>{run / 'outputs.npz'}</code>: none saved: the stage was written by an edgenn older than its "
            "outputs record; re-run `edgenn train &lt;recipe&gt;` to save them.") in html


def _v2_dir(tmp_path) -> Path:
    from edgenn.artifacts import ModelFiles

    art = ModelArtifact.load(V1)
    out = tmp_path / "train"
    out.mkdir()
    ModelArtifact(out, "train", art.recipe, art.metrics).save(out, ModelFiles(art.load_model()))
    return out


def test_edited_metrics_or_recipe_and_newer_manifests_are_refused(tmp_path):
    out = _v2_dir(tmp_path)
    art = ModelArtifact.load(out)
    assert art.schema_version == 2 and art.metrics == ModelArtifact.load(V1).metrics
    good = (out / "metrics.json").read_text()
    (out / "metrics.json").write_text(good.replace('"accuracy": 0.', '"accuracy": 0.9'))
    with pytest.raises(InvalidInputError, match=r"metrics.json: hash .* is not the manifest's"):
        ModelArtifact.load(out)
    (out / "metrics.json").write_text(good)
    (out / "recipe.yml").write_text((out / "recipe.yml").read_text().replace("epochs: 1", "epochs: 2"))
    with pytest.raises(InvalidInputError, match=r"recipe.yml: hash .* is not the manifest's"):
        ModelArtifact.load(out)
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "schema_version": 3}))
    with pytest.raises(InvalidInputError, match="schema 3 is newer than this edgenn reads"):
        ModelArtifact.load(out)


def test_metrics_of_the_wrong_type_are_refused_naming_the_field(tmp_path):
    for doc, field in (({"accuracy": "high"}, "accuracy"), ({"auc": {"t": [0.9]}}, "auc"),
                       ({"split_sizes": {"test": 1.5}}, "split_sizes"), ({"class_names": "qgWZt"}, "class_names")):
        with pytest.raises(InvalidInputError, match=f"metrics field '{field}'") as err:
            ModelMetrics.from_dict(doc, where="runs/x/train/metrics.json")
        assert "\n" not in str(err.value)
    assert np.isnan(ModelMetrics.from_dict({"auc": {"q": float("nan")}}).auc["q"])  # undefined stays undefined
    copy = tmp_path / "train"
    shutil.copytree(V1, copy)
    (copy / "metrics.json").write_text(json.dumps({"accuracy": True}))  # schema 1 lists no hashes: the type check
    with pytest.raises(InvalidInputError, match=f"{copy / 'metrics.json'}: metrics field 'accuracy' is True"):
        ModelArtifact.load(copy)
