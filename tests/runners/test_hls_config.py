"""--hls-config FILE: per-layer ReuseFactor / Strategy / ParallelizationFactor / precision for a user model, the schema
of a recipe's export.fpga section, validated at the edge; an unknown layer name exits 2 listing the model's layers
(issue 13 item 5). One C simulation is compiled and shared by the export assertions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgenn.config.load import load_hls_config
from edgenn.errors import ConfigError


def _user_model(tmp):
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    tf.keras.utils.set_random_seed(5)
    q = quantized_bits(6, 0, alpha=1)
    model = tf.keras.Sequential([
        QActivation(quantized_bits(8, 2, alpha=1), input_shape=(8,), name="q_in"),
        QDense(16, kernel_quantizer=q, bias_quantizer=q, name="fc1"),
        QActivation(quantized_relu(6, 2), name="relu1"),
        QDense(4, kernel_quantizer=q, bias_quantizer=q, name="fc2"),
    ], name="small")
    model.save(tmp / "m.h5")
    np.savez(tmp / "val.npz", x=np.random.default_rng(1).normal(0, 2, (600, 8)).astype(np.float32))
    return tmp / "m.h5", tmp / "val.npz"


def _cli(args):
    from typer.testing import CliRunner

    from edgenn.cli.app import app

    return CliRunner().invoke(app, ["--no-progress", *args])


@pytest.fixture(scope="module")
def user_files(tmp_path_factory):
    return _user_model(tmp_path_factory.mktemp("hls_config"))


@pytest.fixture(scope="module")
def exported(user_files, tmp_path_factory):
    model, data = user_files
    tmp = tmp_path_factory.mktemp("hls_config_export")
    (tmp / "hls.yml").write_text(
        "layers:\n"
        "  fc1: {reuse_factor: 4, strategy: Resource}\n"
        "  fc2: {precision: {result: 'ap_fixed<12,5,AP_TRN,AP_SAT>'}}\n")
    res = _cli(["export", str(model), "--data", str(data), "--hls-config", str(tmp / "hls.yml"),
                "--out", str(tmp / "fpga"), "--no-report"])
    assert res.exit_code == 0, res.output[-3000:]
    return tmp / "fpga", json.loads((tmp / "fpga" / "report.json").read_text())


def test_per_layer_reuse_and_strategy_reach_the_firmware(exported):
    out, report = exported
    assert report["settings"]["layers"]["fc1"] == {"reuse_factor": 4, "strategy": "Resource"}
    params = (out / "hls" / "firmware" / "parameters.h").read_text()
    fc1 = params[params.index("struct config") :].split("struct config")[1:]
    # hls4ml writes one config struct per layer; fc1's carries reuse factor 4 and the resource strategy
    fc1_cfg = next(block for block in fc1 if "n_out = 16" in block)
    assert "reuse_factor = 4" in fc1_cfg and "strategy = nnet::resource" in fc1_cfg
    fc2_cfg = next(block for block in fc1 if "n_out = 4" in block)
    assert "reuse_factor = 1" in fc2_cfg
    assert report["resources"]["layers"]  # the estimator saw the export
    ii = {layer["name"]: layer["ii_cycles"]["value"] for layer in report["resources"]["layers"]}
    assert ii["fc1"] == 4


def test_precision_override_is_applied_and_measured_not_claimed(exported):
    out, report = exported
    layers = {layer["name"]: layer for layer in report["precision"]["layers"]}
    assert layers["fc2"]["types"]["result"]["type"] == "ap_fixed<12,5,AP_TRN,AP_SAT>"
    assert layers["fc2"]["exact"] is False and layers["fc1"]["exact"] is True
    assert "typedef ap_fixed<12,5,AP_TRN,AP_SAT,0> result_t;" in (out / "hls" / "firmware" / "defines.h").read_text()
    b = report["bitexact"]
    assert b["outputs"][0]["bit_exact_expected"] is False  # a user-set type is never claimed exact
    # 12 bits with 7 fraction bits cannot hold the logits' full 6+6-bit products: some values differ, measured
    assert 0.0 < b["exact_fraction"] < 1.0
    assert any("precision set by export.fpga.layers" in n for n in report["notes"])


def test_unknown_layer_name_exits_2_listing_the_models_layers(user_files, tmp_path):
    model, data = user_files
    (tmp_path / "hls.yml").write_text("layers:\n  dense_7: {reuse_factor: 2}\n")
    res = _cli(["export", str(model), "--data", str(data), "--hls-config", str(tmp_path / "hls.yml"),
                "--out", str(tmp_path / "fpga")])
    assert res.exit_code == 2, res.output
    assert "dense_7" in res.output and "fc1" in res.output and "relu1" in res.output and "fc2" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "fpga").exists()


@pytest.mark.parametrize("body, field", [
    ("layers:\n  fc1: {strategy: resourse}\n", "layers.fc1.strategy"),
    ("layers:\n  fc1: {reuse_factor: 0}\n", "layers.fc1.reuse_factor"),
    ("layers:\n  fc1: {precision: {result: 'fixed<16,6>'}}\n", "layers.fc1.precision"),
    ("layers:\n  fc1: {precision: {weights: 'ap_fixed<8,1>'}}\n", "layers.fc1.precision"),
    ("layers:\n  fc1: {reuse: 2}\n", "layers.fc1.reuse"),
])
def test_bad_file_is_refused_naming_the_field(tmp_path, body, field):
    (tmp_path / "hls.yml").write_text(body)
    with pytest.raises(ConfigError) as err:
        load_hls_config(tmp_path / "hls.yml")
    assert field in str(err.value)


def test_file_settings_go_on_top_of_the_recipe_layer_by_layer(tmp_path):
    from edgenn.runners.export_settings import merge_hls_config

    (tmp_path / "hls.yml").write_text("reuse_factor: 2\nlayers:\n  fc1: {strategy: Resource}\n  fc2: {reuse_factor: 3}\n")
    recipe = {"reuse_factor": 1, "strategy": "Latency", "layers": {"fc1": {"parallelization_factor": 4}}}
    merged = merge_hls_config(recipe, tmp_path / "hls.yml")
    assert merged["reuse_factor"] == 2 and merged["strategy"] == "Latency"  # unset keys keep the recipe's
    assert merged["layers"] == {"fc1": {"parallelization_factor": 4, "strategy": "Resource"},
                                "fc2": {"reuse_factor": 3}}
