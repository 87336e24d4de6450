"""The estimator on real synthesis results from the corpus (corpus/synthesis): rebuilt through hls4ml exactly as the
benchmark does, estimated through the export path. Asserts the figures the corrected model is measured to get right
on a few small designs (the whole corpus is benchmarks/estimator_accuracy.py)."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
spec = importlib.util.spec_from_file_location("estimator_accuracy", ROOT / "benchmarks" / "estimator_accuracy.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
from synthesis_corpus import build_hls_model, reports_of  # noqa: E402

CORPUS = {e["id"]: e for e in bench.load_corpus(ROOT / "corpus" / "synthesis")}


def report_for(key: str, backend: str, version: str):
    """(analytic report of the design rebuilt with its first seed, the real figures of that tool version)."""
    from edgenn.estimates import design_from_hls_model, estimate

    entry = CORPUS[key]
    real = next(r for r in reports_of(entry) if r["backend"] == backend and r["tool_version"] == version)
    seed = (entry.get("weights") or {}).get("seeds", [None])[0]
    with tempfile.TemporaryDirectory() as tmp:
        return estimate(design_from_hls_model(build_hls_model(entry, backend, tmp, seed))), real["reported"]


def test_corpus_entries_carry_provenance_and_figures():
    assert len(CORPUS) >= 60
    for entry in CORPUS.values():
        assert len(entry["source"]["commit"]) == 40 and entry["licence"]
        for report in reports_of(entry):
            assert report["tool_version"] and set(bench.FIGS) <= set(report["reported"])
        for layer in entry.get("layers", []):
            if layer["kind"] == "dense":
                assert len(layer["weights"]) == layer["n_in"] * layer["n_out"]
        for arrays in entry.get("keras", {}).get("weights", {}).values():
            for array in arrays:
                assert len(array["values"]) == math.prod(array["shape"])


def test_per_instance_figures_add_up_to_no_more_than_the_reported_totals():
    with_instances = [e for e in CORPUS.values() if e.get("instances")]
    assert len(with_instances) >= 30
    for entry in with_instances:
        for figure in ("dsp", "lut", "ff"):
            assert sum(i[figure] or 0 for i in entry["instances"]) <= entry["reported"][figure], (entry["id"], figure)
        assert all(i["module"] for i in entry["instances"])


def test_corpus_has_trigger_sized_designs_from_independent_repositories():
    big = [e for e in CORPUS.values() if max(r["reported"]["lut"] for r in reports_of(e)) >= 5000]
    assert len(big) >= 20 and len({e["source"]["repository"] for e in big}) >= 5


def test_committed_keras_project_rebuilds_with_its_recorded_precisions():
    """A public project's own model and HLSConfig (QKeras layers, per-layer types) come back through hls4ml."""
    entry = CORPUS["brainz22_l1jettagger_a216d84"]
    with tempfile.TemporaryDirectory() as tmp:
        hls_model = build_hls_model(entry, "Vivado", tmp)
    layers = {layer.name: layer for layer in hls_model.get_layers()}
    recorded = entry["hls_config"]["LayerName"]["q_dense"]["Precision"]["weight"]  # e.g. fixed<8,4>
    width, integer = (int(x) for x in re.fullmatch(r"\w*fixed<(\d+),\s*(\d+).*>", recorded).groups())
    weight = layers["q_dense"].get_weights("weight")
    assert (weight.type.precision.width, weight.type.precision.integer) == (width, integer)
    stored = entry["keras"]["weights"]["q_dense"][0]
    assert weight.data.size == math.prod(stored["shape"])


@pytest.mark.parametrize("key", ["hector_tutorial_model1_a", "nrp_tutorial_model1"])
def test_csd_dsp_rule_matches_csynth_on_16_bit_rf1_mlps(key):
    entry = CORPUS[key]
    est = bench.estimate_entry(entry)
    # Vivado HLS 2019.2 (1,450 DSP) and Vitis HLS 2022.2 (2,557 DSP) on two differently trained networks
    assert est["dsp"] == pytest.approx(reports_of(entry)[0]["reported"]["dsp"], rel=0.10)
    assert abs(est["latency_cycles"] - reports_of(entry)[0]["reported"]["latency_cycles"]) <= 2
    assert not est["lower_bound"]


def test_small_dense_is_inlined_into_a_zero_cycle_pipeline():
    report, real = report_for("hls4ml_ci_activation_relu_io_parallel", "Vivado", "2020.1")
    assert real["latency_cycles"] == 0 and report.total.latency_cycles.value == 0
    assert report.total.ff.value == pytest.approx(real["ff"], abs=4)  # only the 16-bit input register (+2 control)
    assert report.total.dsp.value == pytest.approx(real["dsp"], rel=0.10)


def test_sigmoid_table_copies_fill_one_bram_per_two_outputs():
    report, real = report_for("hls4ml_ci_activation_sigmoid_io_parallel", "Vitis", "2024.1")
    assert real["bram"] == 32 and report.total.bram.value == real["bram"]
    assert abs(report.total.latency_cycles.value - real["latency_cycles"]) <= 1


def test_vitis_stream_fifos_are_registers_of_one_element_each():
    report, real = report_for("hls4ml_ci_activation_relu_io_stream", "Vitis", "2024.1")
    fifos = next(e for e in report.layers if e.name == "stream_fifos")
    assert fifos.ff.value == 16 + 64 * 16 + 64 * 16  # input, Dense and ReLU output streams
    assert report.total.ff.value == pytest.approx(real["ff"], rel=0.05)
    # two dataflow processes, each hand-off through a FIFO a cycle: 2 cycles, as in every tool version's report
    assert report.total.latency_cycles.value == real["latency_cycles"] == 2


@pytest.mark.parametrize("backend, version", [("Vivado", "2020.1"), ("Vitis", "2024.1")])
def test_padded_average_pooling_needs_a_divider_only_in_vivado_hls(backend, version):
    report, real = report_for("hls4ml_ci_pooling_averagepooling1d_same", backend, version)
    assert abs(report.total.latency_cycles.value - real["latency_cycles"]) <= 1  # 21 in Vivado HLS, 0 in Vitis
    assert report.total.lut.value == pytest.approx(real["lut"], rel=0.15)
    assert report.total.ff.value == pytest.approx(real["ff"], rel=0.15)


def test_calibration_designs_are_the_export_path_reading_of_their_corpus_designs():
    """The fit's stored weight statistics (calibration_designs.json) are what the export path reads from the
    committed model: a change to the reader or the corpus that moves them fails here, not silently in the fit."""
    from edgenn.estimates import design_from_hls_model
    from edgenn.estimates.calibration import corpus_design

    entry = CORPUS["hector_plata_tutorial_model1_4ac4f07"]
    with tempfile.TemporaryDirectory() as tmp:
        rebuilt = design_from_hls_model(build_hls_model(entry, "Vivado", tmp))
    assert rebuilt == corpus_design(entry["id"])



@pytest.mark.parametrize("key", ["pominiq_dummy_rf16_with_pruning75_d3a8c69", "pominiq_slp_pruned_b73fa37"])
def test_latency_strategy_reuse_is_a_multiplier_schedule_not_ii_rf(key):
    entry = CORPUS[key]
    report, real = report_for(key, "Vivado", reports_of(entry)[0]["tool_version"])
    dense = [e for e in report.layers if e.ii_cycles.value > 1]
    real_ii = sorted(i["ii_cycles"] for i in entry["instances"] if i["module"].startswith("dense"))
    # csynth: each RF > 1 Dense runs as a sequence of its multiplier steps (II below the reuse factor, = latency + 1)
    assert all(i < int(entry["hls_config"]["Model"]["ReuseFactor"]) for i in real_ii)
    assert [abs(a - b) <= 1 for a, b in zip(sorted(e.ii_cycles.value for e in dense), real_ii)] == [True, True]
    assert report.total.ii_cycles.value == pytest.approx(real["ii_cycles"], abs=1)
    assert report.total.latency_cycles.value == pytest.approx(real["latency_cycles"], abs=1)


def test_streamed_cnn_pays_the_loop_control_of_every_process_that_iterates():
    from edgenn.estimates import design_from_hls_model
    from edgenn.estimates.streams import looping_processes

    entry = CORPUS["pominiq_mnist_original_d3a8c69"]
    with tempfile.TemporaryDirectory() as tmp:
        design = design_from_hls_model(build_hls_model(entry, "Vivado", tmp))
    compute, elementwise = looping_processes(design)
    kinds = {layer.name: layer.kind for layer in design.layers}
    # the two convolutions and poolings run over pixels, the Dense reads the flattened map pixel by pixel; the
    # softmax after the Dense sees one element
    assert sorted(kinds[n] for n in compute) == ["conv2d", "conv2d", "dense", "pool2d", "pool2d"]
    assert sorted(kinds[n] for n in elementwise) == ["relu", "relu"]
    from edgenn.estimates import estimate

    real = reports_of(entry)[0]["reported"]["lut"]
    assert estimate(design).total.lut.value == pytest.approx(real, rel=0.10)  # was -26 % without the loop control
    report, _ = report_for("hls4ml_ci_activation_relu_io_stream", "Vivado", "2020.1")
    assert all(e.name != "stream_control" for e in report.layers)  # a 1-D network handles one element per layer


def test_folded_batchnorm_convolutions_are_read_and_narrow_weights_follow_the_csd_rule():
    entry = CORPUS["rishthakkar_pokerml_cnn_53d7b74"]
    report, real = report_for(entry["id"], "Vivado", reports_of(entry)[0]["tool_version"])
    assert report.total.lut.bound != "lower"  # QConv2DBatchnorm and the streamed BatchNormalization are modelled
    assert report.total.lut.value == pytest.approx(real["lut"], rel=0.15)
    # 6-bit weights on 16-bit inputs: the constants of >= 3 CSD digits are DSP products (csynth per instance)
    est = sorted(e.dsp.value for e in report.layers if e.name.startswith("fused_convbn"))
    got = sorted(i["dsp"] for i in entry["instances"] if i["module"].startswith("conv_2d"))
    assert [abs(a - b) <= 0.1 * b for a, b in zip(est, got)] == [True, True, True]


def _conv_instances(entry: dict) -> list[dict]:
    return sorted((i for i in entry["instances"] if i["module"].startswith("conv_2d")),
                  key=lambda i: int(re.search(r"config(\d+)", i["module"])[1]))


def test_streamed_reuse_convolutions_run_their_multiplier_schedule_per_pixel():
    entry = CORPUS["pominiq_c28e4f1"]
    report, real = report_for(entry["id"], "Vivado", "2020.1")
    convs = [e for e in report.layers if e.name.startswith("conv2d") and "line buffer" in " ".join(e.notes)]
    pixels = (28 * 28, 6 * 6)
    for est, inst, n in zip(convs, _conv_instances(entry), pixels):
        # csynth: 13 and 16 cycles per pixel at RF 16 (the multiplier schedule), not 16 and 16
        assert (inst["ii_cycles"] - 2) % n == 0
        assert est.ii_cycles.value / n == pytest.approx((inst["ii_cycles"] - 2) / n, abs=1)
        # the process: the pixel loop (the last pixel's kernel inside it) plus entry and exit, not + a kernel after
        assert est.latency_cycles.value == inst["latency_cycles"]
    assert (_conv_instances(entry)[0]["ii_cycles"] - 2) // 784 != int(entry["hls_config"]["Model"]["ReuseFactor"])
    assert report.total.latency_cycles.value == pytest.approx(real["latency_cycles"], rel=0.01)  # was -38 %


def test_resource_strategy_streamed_convolution_runs_its_whole_kernel_per_pixel():
    entry = CORPUS["rishthakkar_pokerml_prj_suits_a8b5000"]
    report, real = report_for(entry["id"], "Vivado", reports_of(entry)[0]["tool_version"])
    convs = [e for e in report.layers if e.name in ("conv1", "conv2")]
    got = sorted(i["ii_cycles"] for i in _conv_instances(entry))
    # 4,096 and 961 pixels at the Resource kernel's RF + 5 cycles each (RF 108 and 144, hls4ml's closest valid ones)
    assert sorted(e.ii_cycles.value for e in convs) == pytest.approx(got, rel=0.001)
    assert report.total.latency_cycles.value == pytest.approx(real["latency_cycles"], rel=0.002)


def test_older_hls4ml_circuits_rebuild_with_their_hls4ml_1_3_settings():
    # the L1 jet tagger's pointwise convolutions at ParallelizationFactor = positions, as hls4ml 1.0 built them
    report, real = report_for("brainz22_l1jettagger_a216d84", "Vivado", "2019.2")
    assert report.total.ii_cycles.value == real["ii_cycles"] == 2  # was 20: ten sequential partitions at RF 2
    # KERAS_3layer's report has the `latency` softmax: no max tree, one cycle fewer than `stable`
    report, real = report_for("astitwlathe_example_keras_3layer", "Vivado", "2019.2.1")
    softmax = next(e for e in report.layers if "softmax" in e.name and e.name != "output_softmax")
    assert softmax.latency_cycles.value == 3  # 2 table reads + the call boundary (csynth instance: 2 cycles)
    assert report.total.latency_cycles.value == pytest.approx(real["latency_cycles"], abs=1)
