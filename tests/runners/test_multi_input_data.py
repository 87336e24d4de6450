"""--data for a model with several data inputs: one array per input, keyed by input name or x0, x1, ...; every other
layout is refused in one line naming the keys expected and found (issue 13 item 4). Only the ONNX target runs here
(the C simulation of multi-input models is in tests/zoo)."""

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
                                    "--out", str(tmp / "out"), "--no-report"])


@pytest.mark.parametrize("layout", ["names", "ordered"])
def test_one_array_per_input_is_read_in_input_order(two_input_model, tmp_path, layout):
    from edgenn.runners.export import ExportRequest, resolve_source

    rng = np.random.default_rng(0)
    jets, muons = rng.normal(size=(20, 4)), rng.normal(size=(20, 3))
    arrays = {"muons": muons, "jets": jets} if layout == "names" else {"x1": muons, "x0": jets}
    np.savez(tmp_path / "v.npz", **arrays, y=np.arange(20) % 2)
    source = resolve_source(ExportRequest(two_input_model, target="onnx", data=tmp_path / "v.npz",
                                          validation_samples=15))
    assert [a.shape for a in source.x] == [(20, 4), (20, 3)] and source.validation_samples == 15
    np.testing.assert_array_equal(source.x[0], jets.astype(np.float32))
    np.testing.assert_array_equal(source.x[1], muons.astype(np.float32))
    assert list(source.y) == list(np.arange(20) % 2)
    keys = "jets, muons" if layout == "names" else "x0=jets, x1=muons"
    assert any("first 15 of the 20 rows" in n and f"one array per input: {keys}" in n for n in source.notes)


def test_onnx_export_feeds_each_input_its_array(two_input_model, tmp_path):
    import onnxruntime as ort
    import tensorflow as tf

    from edgenn.exporters.onnx_export import export_onnx

    rng = np.random.default_rng(1)
    jets, muons = rng.normal(size=(30, 4)).astype(np.float32), rng.normal(size=(30, 3)).astype(np.float32)
    model = tf.keras.models.load_model(two_input_model)
    report = export_onnx(model, tmp_path / "m.onnx", x_check=[jets, muons], benchmark_runs=2)
    assert report.passed and report.num_samples == 30
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["jets", "muons"]
    got = session.run(None, {"jets": jets, "muons": muons})[0]
    np.testing.assert_allclose(got, np.asarray(model([jets, muons])), atol=1e-5)


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
