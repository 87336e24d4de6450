"""Each constituent family (Deep Sets, interaction network, GarNet) end to end on its tiny recipe through the CLI:
train -> compress -> export (onnx, fpga) -> check against its tiny budget."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import ROOT
from edgenn.cli import commands  # noqa: F401  registers commands
from edgenn.cli.app import app

runner = CliRunner()


def tiny_recipe(family: str, dataset: Path, out: Path, **params) -> Path:
    """The shipped recipe of ``family``, pointed at ``dataset``, small and short for CI."""
    recipe = yaml.safe_load((ROOT / "models" / f"{family}.yml").read_text())
    recipe["data"].update(path=str(dataset), val_fraction=0.2, test_fraction=0.3)
    recipe["model"]["params"].update(params)
    recipe["train"].update(epochs=10, batch_size=64)
    recipe["compress"].update(epochs=2)
    out.write_text(yaml.safe_dump(recipe))
    return out


TINY = {
    "deepsets": {"phi": [8, 8], "head": [8]},
    "interaction_net": {"edge": [8, 4], "node": [8, 4], "head": [8]},
}


def run_pipeline(family: str, dataset: Path, tmp: Path) -> Path:
    recipe = tiny_recipe(family, dataset, tmp / f"{family}.yml", **TINY[family])
    run_dir, fw = tmp / "runs" / family, tmp / "firmware" / family
    for step in [("train", recipe, "--out", run_dir / "train"), ("compress", run_dir, "--out", run_dir / "compress"),
                 ("export", run_dir, "--target", "onnx", "--out", fw / "onnx"),
                 ("export", run_dir, "--target", "fpga", "--out", fw / "fpga")]:
        res = runner.invoke(app, ["--no-progress", *map(str, step)])
        assert res.exit_code == 0, f"{family}: {step[0]} failed:\n{res.output}"
    return fw


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(TINY))  # ~3.5 min per family on 2 cores (g++ of the C simulation); fast variant: tests/architectures
def test_family_pipeline_is_bit_exact_and_passes_budget(family, tiny_jets, tmp_path):
    fw = run_pipeline(family, tiny_jets, tmp_path)
    report = json.loads((fw / "fpga" / "report.json").read_text())
    assert report["figures"]["bit_exact_fraction"]["value"] == 1.0
    assert report["bitexact"]["claim"].startswith("bit-exact")
    onnx = json.loads((fw / "onnx" / "report.json").read_text())
    assert onnx["onnx"]["argmax_agreement"] == 1.0
    res = runner.invoke(app, ["--no-progress", "check", str(fw / "fpga"), "--budget",
                              str(ROOT / "firmware" / "budgets" / f"{family}_tiny.yml")])
    assert res.exit_code == 0, res.output
