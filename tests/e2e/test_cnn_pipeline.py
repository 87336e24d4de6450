"""The tiny jet-image CNN end to end through the CLI: train -> compress -> export (onnx, fpga io_parallel) -> check.

Two sizes: the default suite runs 8x8 images with one 4-filter block (one small g++ compile); the 16x16, two-block
variant is @slow (several minutes on the shared 2-core machine). 32x32 io_parallel takes minutes to compile alone, so
models/jet_cnn_stream.yml exports io_stream, which tests/exporters/test_hls_conv_stream.py covers.
"""

import json

import pytest
import yaml
from typer.testing import CliRunner

from edgenn_testing import ROOT
from edgenn.cli.app import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["--no-progress", *map(str, args)])


SIZES = {"8x8": dict(image_size=8, filters=[4], dense=[8], first_conv_pixels=6 * 6),
         "16x16": dict(image_size=16, filters=[4, 8], dense=[16], first_conv_pixels=14 * 14)}


def write_cnn_recipe(path, dataset, size):
    """The shipped CNN recipe, pointed at ``dataset`` and shrunk to the CI size."""
    recipe = yaml.safe_load((ROOT / "models" / "jet_cnn.yml").read_text())
    recipe["name"] = "jet_cnn_tiny"
    recipe["data"].update(path=str(dataset), image_size=size["image_size"], val_fraction=0.2, test_fraction=0.3)
    recipe["model"]["params"].update(filters=size["filters"], dense=size["dense"])
    recipe["train"].update(epochs=12, batch_size=64, learning_rate=0.005)
    recipe["compress"].update(epochs=3)
    recipe["export"]["fpga"]["io_type"] = "io_parallel"
    path.write_text(yaml.safe_dump(recipe))
    return path


# Slow, both sizes: the default suite keeps the CNN's bit-exactness through tests/exporters/test_precision_conv.py
# (io_parallel, every layer) and test_hls_conv_stream.py (io_stream), and its build through the conformance battery;
# this whole chain (train, compress, both exports, budget) cost 130 s of the 20-minute default suite.
@pytest.fixture(scope="module", params=[pytest.param("8x8", marks=pytest.mark.slow),
                                        pytest.param("16x16", marks=pytest.mark.slow)])
def cnn_pipeline(request, tiny_jets, tmp_path_factory):
    size = SIZES[request.param]
    tmp = tmp_path_factory.mktemp("e2e_cnn")
    recipe = write_cnn_recipe(tmp / "jet_cnn_tiny.yml", tiny_jets, size)
    run_dir, fw = tmp / "runs" / "jet_cnn_tiny", tmp / "firmware" / "jet_cnn_tiny"
    steps = [("train", recipe, "--out", run_dir / "train"),
             ("compress", run_dir, "--out", run_dir / "compress"),
             ("export", run_dir, "--target", "onnx", "--out", fw / "onnx"),
             ("export", run_dir, "--target", "fpga", "--out", fw / "fpga")]
    for step in steps:
        res = run(*step)
        assert res.exit_code == 0, f"{step[0]} failed:\n{res.output}"
    return run_dir, fw, size


def test_cnn_fpga_export_is_bit_exact_and_passes_budget(cnn_pipeline, tmp_path):
    _, fw, size = cnn_pipeline
    report = json.loads((fw / "fpga" / "report.json").read_text())
    assert report["settings"]["io_type"] == "io_parallel"
    assert report["figures"]["bit_exact_fraction"]["value"] == 1.0
    assert report["bitexact"]["claim"].startswith("bit-exact")
    conv_types = {layer["name"]: layer["class_name"] for layer in report["precision"]["layers"]}
    assert conv_types["conv_0"] == "QConv2D" and conv_types["pool_0"] == "MaxPooling2D"
    per_layer = {layer["name"]: layer for layer in report["resources"]["layers"]}
    # the recipe's ii_target 1: every output pixel of the convolution in one partition (PF = pixels), II 1
    assert report["settings"]["ii_target"] == 1
    assert per_layer["conv_0"]["ii_cycles"]["value"] == 1
    assert f"1 partitions of PF {size['first_conv_pixels']} pixels" in " ".join(per_layer["conv_0"]["notes"])
    assert report["figures"]["ii_cycles"]["value"] == 1
    junit = tmp_path / "check.xml"
    res = run("check", fw / "fpga", "--budget", ROOT / "firmware/budgets/jet_cnn_tiny.yml", "--junit", junit)
    assert res.exit_code == 0, res.output
    assert 'failures="0"' in junit.read_text()


def test_cnn_onnx_export_agrees_with_keras(cnn_pipeline):
    _, fw, _ = cnn_pipeline
    report = json.loads((fw / "onnx" / "report.json").read_text())
    assert report["onnx"]["argmax_agreement"] == 1.0


def test_cnn_compression_quantizes_and_prunes(cnn_pipeline):
    run_dir, _, _ = cnn_pipeline
    metrics = json.loads((run_dir / "compress" / "metrics.json").read_text())
    before, after = metrics["compression"]["before"], metrics["compression"]["after"]
    assert after["bops"]["total"] < before["bops"]["total"]
    assert after["sparsity"] > 0.5
    assert {entry["layer"]: entry["weight_bits"] for entry in after["bops"]["layers"]}["conv_0"] == 6
