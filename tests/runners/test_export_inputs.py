"""Bad input to `edgenn export` fails early with one clear line (no traceback, nothing written)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.runners.export import ExportRequest, resolve_source

VENV_BIN = Path(sys.executable).parent


def test_missing_gpp_is_reported_before_any_work(tmp_path):
    env = dict(os.environ, PATH=str(VENV_BIN))  # the venv has python and edgenn, not g++
    res = subprocess.run([str(VENV_BIN / "edgenn"), "export", str(tmp_path / "no_such_run"), "--target", "fpga"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 3
    assert "g++ not found" in res.stderr and "no_such_run" not in res.stderr
    assert "Traceback" not in res.stderr


@pytest.fixture(scope="module")
def user_model(tmp_path_factory):
    import tensorflow as tf

    tmp = tmp_path_factory.mktemp("user")
    inp = tf.keras.Input((4,))
    model = tf.keras.Model(inp, tf.keras.layers.Dense(3, activation="softmax")(inp))
    path = tmp / "m.h5"
    model.save(path)
    return path


def test_user_model_needs_data(user_model):
    with pytest.raises(InvalidInputError, match="needs validation data"):
        resolve_source(ExportRequest(source=user_model))


@pytest.mark.parametrize("arrays,needle", [
    ({"x": np.zeros((5, 7), np.float32)}, "model expects (4,)"),
    ({"x": np.array([[0, 1, np.nan, 2], [0, 1, 2, 3], [1, 1, 1, 1]], np.float32)}, "1 row(s) of 'x' contain NaN or Inf"),
    ({"x": np.zeros((5, 4), np.float32), "y": np.zeros(3)}, "'x' has 5 rows but 'y' has 3"),
    ({"inputs": np.zeros((5, 4))}, "no array named 'x'"),
])
def test_bad_validation_data(user_model, tmp_path, arrays, needle):
    np.savez(tmp_path / "v.npz", **arrays)
    with pytest.raises(InvalidInputError) as e:
        resolve_source(ExportRequest(source=user_model, data=tmp_path / "v.npz"))
    assert needle in str(e.value)


def test_missing_data_file(user_model, tmp_path):
    with pytest.raises(MissingArtifactError, match="validation data file not found"):
        resolve_source(ExportRequest(source=user_model, data=tmp_path / "nope.npz"))


def test_lambda_model_refused_unless_trusted(tmp_path):
    import tensorflow as tf

    inp = tf.keras.Input((4,))
    out = tf.keras.layers.Lambda(lambda t: t * 2, name="times_two")(inp)
    tf.keras.Model(inp, out).save(tmp_path / "lam.h5")
    np.savez(tmp_path / "v.npz", x=np.zeros((3, 4), np.float32))
    with pytest.raises(InvalidInputError, match="'times_two' is a Lambda.*--trust-model"):
        resolve_source(ExportRequest(source=tmp_path / "lam.h5", data=tmp_path / "v.npz"))
    src = resolve_source(ExportRequest(source=tmp_path / "lam.h5", data=tmp_path / "v.npz", trust_model=True))
    assert src.model.layers[-1].name == "times_two"


def test_not_a_model_file(tmp_path):
    (tmp_path / "junk.h5").write_text("hello")
    np.savez(tmp_path / "v.npz", x=np.zeros((3, 4), np.float32))
    with pytest.raises(InvalidInputError, match="not an HDF5 file"):
        resolve_source(ExportRequest(source=tmp_path / "junk.h5", data=tmp_path / "v.npz"))


def test_incomplete_run_dir_is_not_exported(tmp_path):
    (tmp_path / "run" / "train").mkdir(parents=True)
    (tmp_path / "run" / "train" / "model.h5").write_text("half written")
    with pytest.raises(MissingArtifactError, match="incomplete"):
        resolve_source(ExportRequest(source=tmp_path / "run"))
