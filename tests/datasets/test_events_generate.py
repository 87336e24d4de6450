"""A tiny real Pythia event dataset (adc2021 stream): layout, weights from sigmaGen x efficiency, the lepton filter,
cache reuse, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgenn.datasets.event_data import load_events
from edgenn.datasets.events_generate import EventGenConfig, generate_events
from edgenn.errors import ConfigError


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("events")
    config = EventGenConfig(events_per_process=20, processes=("wlnu", "zll", "ato4l"), events_per_shard=60,
                            fast=True, workers=2, max_shards_per_process=4, process_events={"ato4l": 10})
    first = generate_events(config, base / "a", progress=False, cache_dir=base / "cache")
    second = generate_events(config, base / "b", progress=False, cache_dir=base / "cache")
    return first, second


def test_layout_weights_and_manifest(runs):
    first, _ = runs
    data = load_events(first)
    # ato4l has its own target (process_events) instead of events_per_process
    assert data.objects.shape == (50, 19, 3) and data.counts() == {"wlnu": 20, "zll": 20, "ato4l": 10}
    assert data.meta["stream"] == "adc2021"
    assert data.meta["processes"]["ato4l"]["target"] == 10 and data.meta["processes"]["zll"]["target"] == 20
    assert data.background_names == ("wlnu", "zll")
    procs = data.meta["processes"]
    for name in ("wlnu", "zll"):
        p = procs[name]
        assert 0 < p["efficiency"] <= 1 and p["sigma_gen_pb"] > 0
        assert data.weights[data.process == data.process_names.index(name)].sum() == pytest.approx(
            p["sigma_gen_pb"] * p["efficiency"])
    assert procs["wlnu"]["sigma_gen_pb"] > 5 * procs["zll"]["sigma_gen_pb"]  # W -> l nu dominates Z -> ll
    # every kept event passes the lepton filter (no HT path in this stream)
    assert (data.objects[:, 1:9, 0].max(axis=1) > 23).all()
    # four-lepton signal: most events hold >= 3 reconstructed leptons
    sig = data.objects[data.process == data.process_names.index("ato4l")]
    assert np.mean((sig[:, 1:9, 0] > 0).sum(axis=1) >= 3) > 0.5
    manifest = json.loads((first.parent / "manifest.json").read_text())
    assert manifest["mixture_fractions"]["wlnu"] > manifest["mixture_fractions"]["zll"]
    bkg = manifest["background"]
    assert bkg["events"] == 40 and 0 < bkg["effective_events"] <= 40
    assert bkg["composition_percent"]["W -> l nu"] > bkg["composition_percent"]["Z -> l l"]
    assert bkg["adc2021_composition_percent"]["W -> l nu"] == 59.2


def test_second_run_uses_cache_and_is_identical(runs):
    first, second = runs
    manifest = json.loads((second.parent / "manifest.json").read_text())
    assert manifest["shards_generated"] == 0 and manifest["shards_from_cache"] > 0
    assert first.read_bytes() == second.read_bytes()


def test_unknown_process_is_a_config_error_listing_known_ones():
    from edgenn.config.load import validate

    with pytest.raises(ConfigError, match="unknown process.*'zprime'.*known processes: wlnu, zll"):
        validate(EventGenConfig, {"processes": ["wlnu", "zprime"]}, source="edgenn data generate events")


def test_per_process_target_for_an_unknown_process_is_refused():
    from edgenn.config.load import validate

    with pytest.raises(ConfigError, match="unknown process.*'zprime'"):
        validate(EventGenConfig, {"process_events": {"zprime": 10}}, source="edgenn data generate events")


def test_a_background_process_with_no_selected_event_gets_a_95cl_upper_share():
    from rich.console import Console

    from edgenn.cli.verbs.data_events import composition_table
    from edgenn.datasets.event_data import EventData
    from edgenn.datasets.events_generate import background_summary

    w_sigma, qcd_sigma, qcd_generated = 2.0e4, 5.0e8, 1_000_000
    data = EventData(objects=np.zeros((10, 19, 3), np.float32), process=np.zeros(10, np.int64),
                     weights=np.full(10, w_sigma / 10), process_names=("wlnu", "qcd_pt50"),
                     background_names=("wlnu", "qcd_pt50"),
                     meta={"processes": {"wlnu": {"events_selected": 10, "events_generated": 30, "sigma_gen_pb": 6e4},
                                         "qcd_pt50": {"events_selected": 0, "events_generated": qcd_generated,
                                                      "sigma_gen_pb": qcd_sigma}}})
    summary = background_summary(data)
    assert summary["composition_percent"] == {"W -> l nu": 100.0, "QCD multijet": 0.0}
    bound = 3.0 * qcd_sigma / qcd_generated  # zero-count Poisson 95 % CL, per generated event
    assert summary["composition_upper_percent"] == {"QCD multijet": round(100 * bound / (w_sigma + bound), 3)}
    assert "W -> l nu" not in summary["composition_upper_percent"]
    console = Console(record=True, width=200)
    console.print(composition_table(summary))
    text = console.export_text()
    assert "QCD multijet" in text and "< 6.98" in text and "33.8" in text and "effective 10" in text
