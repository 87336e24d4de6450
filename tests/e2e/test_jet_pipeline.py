"""The tiny jet pipeline end to end through the CLI: train -> compress -> export (onnx, fpga) -> check."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from edgenn_testing import ROOT, write_recipe
from edgenn.cli.app import app

runner = CliRunner()


def run(*args):
    res = runner.invoke(app, ["--no-progress", *map(str, args)])
    return res


@pytest.fixture(scope="module")
def pipeline(tiny_jets, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    recipe = write_recipe(tmp / "jet_mlp.yml", tiny_jets)
    run_dir, fw = tmp / "runs" / "jet_mlp", tmp / "firmware" / "jet_mlp"
    steps = [("train", recipe, "--out", run_dir / "train"),
             ("compress", run_dir, "--out", run_dir / "compress"),
             ("export", run_dir, "--target", "onnx", "--out", fw / "onnx"),
             ("export", run_dir, "--target", "fpga", "--out", fw / "fpga")]
    for step in steps:
        res = run(*step)
        assert res.exit_code == 0, f"{step[0]} failed:\n{res.output}"
    return run_dir, fw


def test_fpga_export_is_bit_exact_and_passes_budget(pipeline, tmp_path):
    run_dir, fw = pipeline
    report = json.loads((fw / "fpga" / "report.json").read_text())
    assert report["bitexact"]["claim"].startswith("bit-exact")
    assert report["figures"]["bit_exact_fraction"]["value"] == 1.0
    assert report["bitexact"]["num_samples"] > 100
    for key in ("lut", "ff", "dsp", "bram", "latency_cycles", "latency_ns", "ii_cycles"):
        assert report["figures"][key]["method"] == "analytic"
    assert (fw / "fpga" / "hls" / "firmware").is_dir()
    junit = tmp_path / "check.xml"
    res = run("check", fw / "fpga", "--budget", ROOT / "firmware/budgets/jet_mlp_tiny.yml", "--junit", junit)
    assert res.exit_code == 0, res.output
    assert 'failures="0"' in junit.read_text()


def test_check_fails_when_budget_is_too_tight(pipeline, tmp_path):
    _, fw = pipeline
    tight = tmp_path / "tight.yml"
    tight.write_text("latency_cycles: {max: 0}\nbit_exact_fraction: {min: 1.0}\n")
    res = run("check", fw / "fpga", "--budget", tight)
    assert res.exit_code == 1 and "FAIL" in res.output


def test_onnx_export_agrees_with_keras(pipeline):
    _, fw = pipeline
    report = json.loads((fw / "onnx" / "report.json").read_text())
    assert report["onnx"]["argmax_agreement"] == 1.0
    assert (fw / "onnx" / "model.onnx").stat().st_size > 0


def test_compressed_model_meets_sparsity_and_bits(pipeline):
    run_dir, _ = pipeline
    metrics = json.loads((run_dir / "compress" / "metrics.json").read_text())
    after = metrics["compression"]["after"]
    assert after["sparsity"] >= 0.75
    assert after["bops"]["total"] < metrics["compression"]["before"]["bops"]["total"] / 10
    assert all(bits["weight"] <= 6 for bits in after["bits"].values())


def test_every_stage_reads_the_split_the_training_stage_drew(pipeline):
    from edgenn.splits import SPLIT_FILE, SplitRecord

    run_dir, _ = pipeline
    trained, compressed = (SplitRecord.load(run_dir / stage / SPLIT_FILE) for stage in ("train", "compress"))
    assert np.array_equal(trained.test, compressed.test) and np.array_equal(trained.train, compressed.train)
    metrics = json.loads((run_dir / "train" / "metrics.json").read_text())
    assert metrics["split_sizes"] == trained.sizes()


def test_user_h5_model_export(pipeline, tmp_path):
    """A model edgenn did not train, given as .h5 plus a .npz of inputs, exports and validates bit-exactly."""
    import numpy as np

    from edgenn.artifacts import ModelArtifact
    from edgenn.training.stage import prepared_data

    run_dir, _ = pipeline
    art = ModelArtifact.load(run_dir / "compress")
    data = prepared_data(art.recipe, standardizer=art.standardizer())
    np.savez(tmp_path / "val.npz", x=data.test.x, y=data.test.y)
    res = run("export", art.model_path, "--data", tmp_path / "val.npz", "--out", tmp_path / "fw")
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "fw" / "report.json").read_text())
    assert report["figures"]["bit_exact_fraction"]["value"] == 1.0
