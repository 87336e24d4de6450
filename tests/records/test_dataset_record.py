"""The dataset artifact: the jet and event datasets the real generators wrote (session fixtures) are one record
type, with a run manifest around it; edits, truncation, a newer schema, a changed data file and a dataset of the
other kind are refused; schema-1 manifests (before the hash) still load."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from edgenn.datasets import load_jets
from edgenn.errors import InvalidInputError
from edgenn.records.dataset import DatasetArtifact, dataset_file


def test_generated_jets_load_as_a_dataset_artifact(tiny_jets):
    record = DatasetArtifact.load(tiny_jets)
    doc = json.loads((tiny_jets / "manifest.json").read_text())
    assert record.kind == "jets" and record.data_path == tiny_jets / "jets.h5"
    assert record.num_rows == doc["num_jets"] == sum(record.counts.values()) == 5 * 120
    assert record.content_hash == doc["content_hash"] and doc["edgenn_version"] and doc["environment_versions"]
    assert record.versions == doc["versions"] and "pythia8mc" in record.versions
    record.verify()  # the data file is the one the manifest names
    assert len(load_jets(tiny_jets).labels) == record.num_rows


def test_generated_events_load_as_the_same_record_type(tiny_events):
    record = DatasetArtifact.load(tiny_events)
    assert record.kind == "events" and record.data_path.name == "events.h5"
    assert set(record.counts) == {"wlnu", "zll", "h2_zz4l"} and record.details["mixture_fractions"]["wlnu"] > 0
    record.verify()
    with pytest.raises(InvalidInputError, match="is a events dataset; a jets dataset is needed"):
        dataset_file(tiny_events, "jets")


def test_round_trip_and_hash(tiny_jets, tmp_path):
    record = DatasetArtifact.load(tiny_jets)
    copy = tmp_path / "jets"
    shutil.copytree(tiny_jets, copy)
    record.save(copy, seconds=1.0)
    again = DatasetArtifact.load(copy)
    assert again == record and again.content_hash == record.content_hash
    first = next(iter(record.counts))
    assert replace(record, counts={**record.counts, first: record.counts[first] - 1},
                   num_rows=record.num_rows - 1).content_hash != record.content_hash


@pytest.mark.parametrize("mutate,message", [
    (lambda doc: json.dumps({**doc, "num_jets": doc["num_jets"] + 1}), "content hash does not match"),
    (lambda doc: json.dumps(doc)[:100], "not a readable dataset manifest"),
    (lambda doc: json.dumps({**doc, "schema_version": 3}), "newer than this edgenn"),
], ids=["edited", "truncated", "newer"])
def test_a_broken_manifest_is_refused_also_by_the_reader(tiny_jets, tmp_path, mutate, message):
    copy = tmp_path / "jets"
    shutil.copytree(tiny_jets, copy)
    doc = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(mutate(doc))
    with pytest.raises(InvalidInputError, match=message):
        DatasetArtifact.load(copy)
    with pytest.raises(InvalidInputError, match=message):
        load_jets(copy)  # the training stage reads datasets through the record


def test_schema_1_manifest_loads_and_a_changed_data_file_is_found(tiny_jets, tmp_path):
    copy = tmp_path / "jets"
    shutil.copytree(tiny_jets, copy)
    doc = json.loads((copy / "manifest.json").read_text())
    old = {k: v for k, v in doc.items() if k not in ("content_hash", "environment_versions", "edgenn_version",
                                                      "git_sha", "command", "recipe", "recipe_hash", "inputs",
                                                      "seeds", "passes", "metrics", "timings_s")}
    (copy / "manifest.json").write_text(json.dumps({**old, "schema_version": 1}))  # as data.generate wrote it
    assert DatasetArtifact.load(copy) == DatasetArtifact.load(tiny_jets)
    with open(copy / "jets.h5", "r+b") as fh:  # one byte of the data changed under the manifest
        fh.seek(-1, 2)
        last = fh.read(1)
        fh.seek(-1, 2)
        fh.write(bytes([last[0] ^ 0xFF]))
    with pytest.raises(InvalidInputError, match="regenerated or edited"):
        DatasetArtifact.load(copy).verify()
