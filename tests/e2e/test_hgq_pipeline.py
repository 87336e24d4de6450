"""The tiny learned-precision (HGQ) jet pipeline end to end through the CLI: train -> compress (learned_precision)
-> export fpga -> check. One compiled C simulation is shared by the module's tests."""

import json

import pytest
import yaml
from typer.testing import CliRunner

from edgenn_testing import ROOT, write_recipe
from edgenn.cli.app import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["--no-progress", *map(str, args)])


@pytest.fixture(scope="module")
def pipeline(tiny_jets, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e_hgq")
    # Small hidden layers and 2 epochs each: the point is the chain and bit-exactness, not the tagger's quality.
    model = {"family": "dense", "params": {"hidden": [16, 8], "l1": 0.0001}}
    recipe = write_recipe(tmp / "jet_mlp_hgq.yml", tiny_jets, base="jet_mlp_hgq", model=model)
    spec = yaml.safe_load(recipe.read_text())
    spec["train"].update(epochs=2)
    spec["compress"].update(epochs=2)
    # the Latency strategy: the recipe's distributed_arithmetic costs ~4 min of g++ (slow suite territory), and the
    # bit-exactness to the HGQ proxy is the same flow
    spec["export"]["fpga"]["strategy"] = "Latency"
    recipe.write_text(yaml.safe_dump(spec))
    run_dir, fw = tmp / "runs" / "jet_mlp_hgq", tmp / "firmware" / "jet_mlp_hgq"
    steps = [("train", recipe, "--out", run_dir / "train"),
             ("compress", run_dir, "--out", run_dir / "compress"),
             ("export", run_dir, "--target", "fpga", "--out", fw / "fpga")]
    for step in steps:
        res = run(*step)
        assert res.exit_code == 0, f"{step[0]} failed:\n{res.output}"
    return run_dir, fw


def test_fpga_export_is_bit_exact_to_the_hgq_proxy_and_passes_budget(pipeline, tmp_path):
    _, fw = pipeline
    report = json.loads((fw / "fpga" / "report.json").read_text())
    assert report["figures"]["bit_exact_fraction"]["value"] == 1.0
    assert report["bitexact"]["num_samples"] > 100
    assert report["bitexact"]["reference_kind"].startswith("HGQ proxy")  # not the HGQ Keras model: see the notes
    junit = tmp_path / "check.xml"
    res = run("check", fw / "fpga", "--budget", ROOT / "firmware/budgets/jet_mlp_hgq_tiny.yml", "--junit", junit)
    assert res.exit_code == 0, res.output
    assert 'failures="0"' in junit.read_text()


def test_compression_record_carries_ebops_and_per_layer_bits(pipeline):
    run_dir, _ = pipeline
    metrics = json.loads((run_dir / "compress" / "metrics.json").read_text())
    after = metrics["compression"]["after"]
    assert after["ebops"] > 0
    assert after["bops"]["total"] == after["ebops"]
    dense = [name for name, bits in after["learned_bits"].items() if "weight" in bits]
    assert len(dense) == 3  # two hidden layers and the logits
    for name in dense:
        assert 0 <= after["bits"][name]["weight"] <= 32
