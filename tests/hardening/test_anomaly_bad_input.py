"""Bad input to the anomaly-detection path through the real CLI: exit code 2, one `error:` line, nothing left behind.

Cases (issue 4): events with the wrong number of features, events with NaN/Inf rows, a signal name the dataset does
not have, a user anomaly model exported with validation rows of the wrong width or with NaN rows, and per-process
event targets that are malformed or name an unknown process. The event files
are synthetic (no Pythia): what is tested is the refusal, not physics.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hardening_support import hidden_leftovers
from edgenn.cli.app import app

runner = CliRunner()
PROCESSES = ("wlnu", "zll", "h2_zz4l")


def _events(directory: Path, *, objects: np.ndarray | None = None) -> Path:
    """``directory/events.h5`` in edgenn's format, written with h5py directly so invalid arrays reach the loader."""
    import h5py

    from edgenn.datasets.event_data import FORMAT_NAME, SCHEMA_VERSION

    rng = np.random.default_rng(0)
    n = 90
    process = np.repeat(np.arange(3), n // 3)
    if objects is None:
        objects = np.abs(rng.normal(size=(n, 19, 3))).astype(np.float32) + process[:, None, None]
    directory.mkdir(parents=True, exist_ok=True)
    with h5py.File(directory / "events.h5", "w") as h5:
        h5.create_dataset("objects", data=objects)
        h5.create_dataset("process", data=process.astype(np.int8))
        h5.create_dataset("weights", data=np.ones(n))
        h5.attrs.update(format=FORMAT_NAME, schema_version=SCHEMA_VERSION, process_names=json.dumps(PROCESSES),
                        background_names=json.dumps(PROCESSES[:2]), object_features=json.dumps(["pt", "eta", "phi"]),
                        meta=json.dumps({"cross_sections_pb": {p: 1.0 for p in PROCESSES},
                                         "efficiencies": {p: 1.0 for p in PROCESSES}}))
    return directory


def _recipe(tmp: Path, dataset: Path, **data) -> Path:
    recipe = {"name": "bad_anomaly", "seed": 1,
              "data": {"kind": "events", "path": str(dataset), "val_fraction": 0.2, "test_fraction": 0.3, **data},
              "model": {"family": "autoencoder"}, "train": {"epochs": 1, "batch_size": 16}}
    (tmp / "r.yml").write_text(yaml.safe_dump(recipe))
    return tmp / "r.yml"


def _nan_objects() -> np.ndarray:
    objects = np.ones((90, 19, 3), np.float32)
    objects[4, 3, 0] = np.nan
    objects[7, 0, 2] = np.inf
    return objects


def _user_model(tmp: Path) -> Path:
    import tensorflow as tf

    inp = tf.keras.Input((57,))
    tf.keras.Model(inp, tf.keras.layers.Dense(1, name="score")(tf.keras.layers.Dense(4)(inp))).save(tmp / "m.h5")
    return tmp / "m.h5"


def _case_wrong_feature_count(tmp):
    dataset = _events(tmp / "events", objects=np.ones((90, 18, 3), np.float32))
    return ["train", str(_recipe(tmp, dataset)), "--out", "OUT"], ["shape (N, 19, 3)", "events.h5"]


def _case_nan_rows(tmp):
    dataset = _events(tmp / "events", objects=_nan_objects())
    return ["train", str(_recipe(tmp, dataset)), "--out", "OUT"], ["2 of 90 events contain NaN or Inf"]


def _case_unknown_signal(tmp):
    dataset = _events(tmp / "events")
    return (["train", str(_recipe(tmp, dataset, signals=["zprime"])), "--out", "OUT"],
            ["data.signals: unknown signal(s) ['zprime']", "h2_zz4l"])


def _case_export_wrong_width(tmp):
    np.savez(tmp / "val.npz", x=np.zeros((10, 56), np.float32))
    return (["export", str(_user_model(tmp)), "--data", str(tmp / "val.npz"), "--target", "onnx", "--out", "OUT"],
            ["rows have shape (56,)", "expects (57,)"])


def _case_export_nan_rows(tmp):
    x = np.zeros((10, 57), np.float32)
    x[2, 5], x[6, 0] = np.nan, -np.inf
    np.savez(tmp / "val.npz", x=x)
    return (["export", str(_user_model(tmp)), "--data", str(tmp / "val.npz"), "--target", "onnx", "--out", "OUT"],
            ["2 row(s) of 'x' contain NaN or Inf"])


def _case_generate_malformed_target(tmp):
    return (["data", "generate", "events", "--out", "OUT", "--events", "qcd=lots"],
            ["--events 'qcd=lots' is not PROCESS=N", "--events qcd=200000"])


def _case_generate_unknown_process_target(tmp):
    return (["data", "generate", "events", "--out", "OUT", "--events", "zprime=10"],
            ["process_events: unknown process(es) ['zprime']", "known processes: wlnu, zll"])


CASES = {"generate-malformed-target": _case_generate_malformed_target,
         "generate-unknown-process-target": _case_generate_unknown_process_target,
         "train-wrong-feature-count": _case_wrong_feature_count, "train-nan-inf-rows": _case_nan_rows,
         "train-unknown-signal": _case_unknown_signal, "export-wrong-feature-count": _case_export_wrong_width,
         "export-nan-inf-rows": _case_export_nan_rows}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_anomaly_input_exits_2_with_one_line(case, tmp_path):
    work = tmp_path / "in"
    work.mkdir()
    argv, needles = CASES[case](work)
    out = tmp_path / "out" / "target"
    argv = [str(out) if a == "OUT" else a for a in argv]
    res = runner.invoke(app, ["--no-progress", *argv])
    assert res.exit_code == 2, f"exit {res.exit_code}: {res.output}\n{res.exception!r}"
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    errors = [line for line in res.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, res.output
    text = " ".join(res.output.split())
    for needle in needles:
        assert needle in text, f"{needle!r} missing from: {res.output}"
    assert not out.exists() and not hidden_leftovers(out)
