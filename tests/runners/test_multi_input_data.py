"""--data for a model with several data inputs: one array per input, keyed by input name or x0, x1, ...; every other
layout is refused in one line naming the keys expected and found (issue 13 item 4). No conversion runs here."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def two_input_model(tmp_path_factory):
    import tensorflow as tf

    tmp = tmp_path_factory.mktemp("two_inputs")
    a, b = tf.keras.Input((4,), name="jets"), tf.keras.Input((3,), name="muons")
    h = tf.keras.layers.Concatenate(name="join")([a, b])
    tf.keras.Model([a, b], tf.keras.layers.Dense(2, name="out")(h), name="two_in").save(tmp / "m.h5")
    return tmp / "m.h5"


def _export(model, data, tmp):
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    return CliRunner().invoke(app, ["--no-progress", "export", str(model), "--data", str(data), "--target", "onnx",
                                    "--out", str(tmp / "out")])


@pytest.mark.parametrize("layout", ["names", "ordered"])
def test_one_array_per_input_is_read_and_the_shapes_named(two_input_model, tmp_path, layout):
    rng = np.random.default_rng(0)
    jets, muons = rng.normal(size=(20, 4)), rng.normal(size=(20, 3))
    arrays = {"jets": jets, "muons": muons} if layout == "names" else {"x0": jets, "x1": muons}
    np.savez(tmp_path / "v.npz", **arrays)
    res = _export(two_input_model, tmp_path / "v.npz", tmp_path)
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "jets (20, 4)" in res.output and "muons (20, 3)" in res.output  # read per input, then refused by name


@pytest.mark.parametrize("arrays, says", [
    ({"x": np.zeros((5, 7))}, "the file holds ['x']"),
    ({"jets": np.zeros((5, 4)), "muons": np.zeros((5, 4))}, "input 'muons'"),
    ({"jets": np.zeros((5, 4)), "muons": np.zeros((6, 3))}, "different row counts"),
])
def test_wrong_layout_is_refused_in_one_line(two_input_model, tmp_path, arrays, says):
    np.savez(tmp_path / "v.npz", **arrays)
    res = _export(two_input_model, tmp_path / "v.npz", tmp_path)
    assert res.exit_code == 2 and says in res.output and "Traceback" not in res.output
    assert "x0" in res.output or says != "the file holds ['x']"  # names the layouts it accepts
