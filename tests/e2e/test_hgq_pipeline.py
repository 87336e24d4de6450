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


def _target_recipe(run_dir, tmp_path, *, epochs: int, ebops: float):
    # 30 epochs of 32-jet batches at a high learning rate: the tiny run's bits move far enough in ~300 steps
    spec = yaml.safe_load((run_dir / "train" / "recipe.yml").read_text())
    spec["train"]["batch_size"] = 32
    spec["compress"].update(epochs=epochs, learning_rate=0.01, target={"ebops": ebops})
    path = tmp_path / "target.yml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_resource_target_steers_beta_and_lands_within_its_margin(pipeline, tmp_path):
    run_dir, _ = pipeline
    out = tmp_path / "compress_target"
    res = run("compress", run_dir, "--recipe", _target_recipe(run_dir, tmp_path, epochs=30, ebops=3000), "--out", out)
    assert res.exit_code == 0, res.output
    metrics = json.loads((out / "metrics.json").read_text())
    passes = {p["name"]: p["details"] for p in metrics["compression"]["passes"]}
    history = passes["fine_tune"]["beta_control"]
    assert len(history) == 30
    assert history[0]["ebops"] > 3000 * 1.5  # the start is far above the target, so beta had to rise
    assert max(h["beta"] for h in history) > 2 * history[0]["beta"]
    target = metrics["compression"]["after"]["target"]
    assert target["met"] and target["achieved_ebops"] == metrics["compression"]["after"]["ebops"]
    # measured 0.71-0.90 x on this run while tuning the controller: near, and never above target + margin
    assert 0.6 < target["ratio"] <= 1.1
    assert "resource target ebops 3,000" in metrics["compression"]["table_markdown"]


def test_missed_resource_target_is_refused_with_exit_1_and_nothing_written(pipeline, tmp_path):
    run_dir, _ = pipeline
    out = tmp_path / "compress_refused"
    # one epoch cannot take the bits from ~10k EBOPs to 100: the figure misses by far more than the margin
    res = run("compress", run_dir, "--recipe", _target_recipe(run_dir, tmp_path, epochs=1, ebops=100), "--out", out)
    assert res.exit_code == 1, res.output
    assert "compress.target: ebops 100 missed" in res.output and "Traceback" not in res.output
    assert "Over 1 epochs beta went" in res.output  # what the controller did, so the fix can be chosen
    assert not (out / "manifest.json").exists()


def test_strategy_auto_choice_on_the_tiny_proxy_meets_the_budget_with_the_fewest_resources(pipeline):
    # the choice alone (hls4ml convert with each strategy, no g++): what export --strategy auto compiles afterwards
    from edgenn.artifacts import ModelArtifact
    from edgenn.config.budget import Budget
    from edgenn.exporters.hls import HlsSettings
    from edgenn.runners.strategy_auto import choose_strategy

    run_dir, _ = pipeline
    proxy = ModelArtifact.load(run_dir / "compress").load_model()
    choice = choose_strategy(proxy, HlsSettings(), budget=Budget(latency_ns={"max": 200}, ii_cycles={"max": 1}),
                             hgq=True)
    by_name = {c.strategy: c for c in choice.candidates}
    assert set(by_name) == {"Latency", "distributed_arithmetic"}
    assert by_name["distributed_arithmetic"].figures["lut"].method == "da4ml"
    # the analytic model does not see the proxy's quantizer layers: its figure is a lower bound, never "meets"
    assert by_name["Latency"].lower_bound and by_name["Latency"].broken
    chosen = by_name[choice.strategy]
    if not by_name["distributed_arithmetic"].broken:
        assert choice.strategy == "distributed_arithmetic" and "meets every budget line" in choice.reason
    else:
        assert "no candidate meets the budget" in choice.reason and chosen.cost == min(c.cost for c in by_name.values())


@pytest.mark.slow  # the DA choice compiles da4ml's kernels with g++: ~4 min on 2 shared cores for this tiny model
def test_strategy_auto_compares_latency_and_da_estimates_and_says_which_and_why(pipeline, tmp_path):
    run_dir, _ = pipeline
    budget = tmp_path / "budget.yml"
    budget.write_text("name: tiny\nii_cycles: {max: 1}\nlatency_ns: {max: 200}\n")
    out = tmp_path / "fpga_auto"
    res = run("export", run_dir, "--target", "fpga", "--strategy", "auto", "--budget", budget, "--out", out)
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    choice = report["strategy_choice"]
    by_name = {c["strategy"]: c for c in choice["candidates"]}
    assert set(by_name) == {"Latency", "distributed_arithmetic"}
    assert by_name["distributed_arithmetic"]["figures"]["lut"]["method"] == "da4ml"
    assert report["settings"]["strategy"] == choice["strategy"]
    meeting = [c for c in by_name.values() if not c["broken"]]
    if meeting:  # the chosen one meets the budget; a cheaper definite figure among those meeting it would have won
        chosen = by_name[choice["strategy"]]
        assert not chosen["broken"]
        assert all(c["lower_bound"] or c["lut_equivalent"] >= chosen["lut_equivalent"] for c in meeting)
    assert report["figures"]["bit_exact_fraction"]["value"] == 1.0
    assert f"strategy auto -> {choice['strategy']}" in res.output and str(budget) in res.output


@pytest.mark.slow  # a second train/compress/export chain with its own g++ run
def test_learned_precision_deep_sets_exports_bit_exactly_to_its_proxy(tiny_jets, tmp_path):
    model = {"family": "deepsets", "params": {"phi": [8, 8], "head": [8], "pooling": "mean", "l1": 0.0001}}
    recipe = write_recipe(tmp_path / "deepsets_hgq.yml", tiny_jets, base="deepsets_hgq", model=model)
    spec = yaml.safe_load(recipe.read_text())
    spec["train"].update(epochs=2)
    spec["compress"].update(epochs=2)
    spec["export"]["fpga"]["ii_target"] = None
    recipe.write_text(yaml.safe_dump(spec))
    run_dir, fw = tmp_path / "runs" / "deepsets_hgq", tmp_path / "fw"
    for step in (("train", recipe, "--out", run_dir / "train"), ("compress", run_dir, "--out", run_dir / "compress"),
                 ("export", run_dir, "--target", "fpga", "--out", fw)):
        res = run(*step)
        assert res.exit_code == 0, f"{step[0]} failed:\n{res.output}"
    metrics = json.loads((run_dir / "compress" / "metrics.json").read_text())
    assert set(metrics["compression"]["after"]["learned_bits"]) >= {"phi_0", "phi_1", "head_0", "logits"}
    report = json.loads((fw / "report.json").read_text())
    assert report["figures"]["bit_exact_fraction"]["value"] == 1.0
    assert report["bitexact"]["reference_kind"].startswith("HGQ proxy")
