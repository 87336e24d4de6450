"""Each constituent family (Deep Sets, interaction network, linear graph network) end to end on its tiny recipe through the CLI:
train -> compress -> export (onnx, fpga) -> check against its tiny budget."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from edgenn_testing import ROOT
from edgenn.cli.app import app

runner = CliRunner()


def tiny_recipe(family: str, dataset: Path, out: Path, params: dict, data: dict) -> Path:
    """The shipped recipe of ``family``, pointed at ``dataset``, small and short for CI."""
    recipe = yaml.safe_load((ROOT / "models" / f"{family}.yml").read_text())
    recipe["data"].update(path=str(dataset), val_fraction=0.2, test_fraction=0.3, **data)
    recipe["model"]["params"].update(params)
    recipe["train"].update(epochs=6, batch_size=64)  # no accuracy is checked at this size (see the tiny budgets)
    recipe["compress"].update(epochs=2)
    out.write_text(yaml.safe_dump(recipe))
    return out


# (model params, data overrides). Default suite: few particles, so the C simulation compiles in seconds (the
# interaction network's fixed gather/aggregate matrices grow as N^3). The shipped N = 16 runs in the slow suite.
TINY = {
    "deepsets": ({"phi": [8, 8], "head": [8]}, {"num_constituents": 8}),
    "interaction_net": ({"edge": [8, 4], "node": [8, 4], "head": [8]}, {"num_constituents": 4}),
    # distributed arithmetic, as shipped: hls4ml's da4ml conversion and the g++ compile take minutes
    "jedi_linear": ({"phi": [8, 8], "node": [8, 4], "head": [8]}, {"num_constituents": 8}),
}
SLOW = {
    "deepsets": ({"phi": [8, 8], "head": [8]}, {"num_constituents": 16}),
    "interaction_net": ({"edge": [8, 4], "node": [8, 4], "head": [8]}, {"num_constituents": 16}),
    # GarNet: its hls4ml compile alone takes ~100 s on the shared machine, so even the tiny case is slow
    "garnet": ({"n_aggregators": 2, "n_propagate": 4, "n_filters": 8, "head": [8]}, {"num_constituents": 16}),
}
# All slow: the two tiny chains cost 272 s of the 20-minute default suite. The default suite keeps the graph families'
# builds on real data (tests/conformance/test_families.py), their permutation invariance and fixed matrices
# (tests/architectures/test_graph_families.py) and the estimator on their real conversions.
CASES = [pytest.param(family, TINY, id=f"{family}-tiny", marks=pytest.mark.slow) for family in sorted(TINY)] + [
    pytest.param(family, SLOW, id=f"{family}-16", marks=pytest.mark.slow) for family in sorted(SLOW)]


def run_pipeline(family: str, dataset: Path, tmp: Path, variants: dict) -> Path:
    params, data = variants[family]
    recipe = tiny_recipe(family, dataset, tmp / f"{family}.yml", params, data)
    run_dir, fw = tmp / "runs" / family, tmp / "firmware" / family
    for step in [("train", recipe, "--out", run_dir / "train"), ("compress", run_dir, "--out", run_dir / "compress"),
                 ("export", run_dir, "--target", "onnx", "--out", fw / "onnx"),
                 ("export", run_dir, "--target", "fpga", "--out", fw / "fpga")]:
        res = runner.invoke(app, ["--no-progress", *map(str, step)])
        assert res.exit_code == 0, f"{family}: {step[0]} failed:\n{res.output}"
    return fw


@pytest.mark.parametrize("family, variants", CASES)
def test_family_pipeline_is_bit_exact_and_passes_budget(family, variants, tiny_jets, tmp_path):
    fw = run_pipeline(family, tiny_jets, tmp_path, variants)
    report = json.loads((fw / "fpga" / "report.json").read_text())
    assert report["figures"]["bit_exact_fraction"]["value"] == 1.0
    assert report["bitexact"]["claim"].startswith("bit-exact")
    onnx = json.loads((fw / "onnx" / "report.json").read_text())
    assert onnx["onnx"]["argmax_agreement"] == 1.0
    res = runner.invoke(app, ["--no-progress", "check", str(fw / "fpga"), "--budget",
                              str(ROOT / "firmware" / "budgets" / f"{family}_tiny.yml")])
    assert res.exit_code == 0, res.output
