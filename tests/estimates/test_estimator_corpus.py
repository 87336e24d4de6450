"""The estimator on real synthesis results from the corpus (corpus/synthesis): rebuilt through hls4ml exactly as the
benchmark does, estimated through the export path. Asserts the figures the corrected model is measured to get right."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("estimator_accuracy", ROOT / "benchmarks" / "estimator_accuracy.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
CORPUS = {e["id"]: e for e in bench.load_corpus(ROOT / "corpus" / "synthesis")}


def test_corpus_entries_carry_provenance_and_figures():
    assert len(CORPUS) >= 5
    for entry in CORPUS.values():
        assert len(entry["source"]["commit"]) == 40 and entry["licence"] and entry["tool_version"]
        assert set(bench.FIGS) <= set(entry["reported"])
        for layer in entry["layers"]:
            if layer["kind"] == "dense":
                assert len(layer["weights"]) == layer["n_in"] * layer["n_out"]


@pytest.mark.parametrize("key", ["hector_tutorial_model1_a", "nrp_tutorial_model1"])
def test_csd_dsp_rule_matches_csynth_on_16_bit_rf1_mlps(key):
    entry = CORPUS[key]
    est = bench.estimate_entry(entry)
    # Vivado HLS 2019.2 (1,450 DSP) and Vitis HLS 2022.2 (2,557 DSP) on two differently trained networks
    assert est["dsp"] == pytest.approx(entry["reported"]["dsp"], rel=0.10)
    assert abs(est["latency_cycles"] - entry["reported"]["latency_cycles"]) <= 2
    assert not est["lower_bound"]
