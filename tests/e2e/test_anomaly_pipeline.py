"""Tiny end-to-end anomaly pipeline: real Pythia events -> autoencoder, VAE (sum mu^2) and distilled student."""

from __future__ import annotations

import numpy as np
import pytest

from edgenn.config.recipe import Recipe
from edgenn.datasets.events_generate import EventGenConfig, generate_events
from edgenn.errors import InvalidInputError
from edgenn.training.stage import run_training


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    base = tmp_path_factory.mktemp("anomaly")
    config = EventGenConfig(events_per_process=120, processes=("wlnu", "zll", "h2_zz4l"), events_per_shard=150,
                            fast=True, workers=2, max_shards_per_process=4)
    generate_events(config, base / "events", progress=False, cache_dir=base / "cache")
    return base


def _recipe(base, family, epochs=15, **extra):
    return Recipe(name=f"t_{family}", seed=3, data={"kind": "events", "path": str(base / "events"),
                                                    "val_fraction": 0.25, "test_fraction": 0.3},
                  model={"family": family}, train={"epochs": epochs, "batch_size": 32, "early_stopping": None},
                  **extra)


def test_three_families_train_and_score(events):
    ae = run_training(_recipe(events, "autoencoder"), events / "ae", progress=False)
    # four leptons from a 200 GeV scalar are far from W/Z + jets: the AE must rank them above the background
    assert ae.metrics["auc"]["h2_zz4l"] > 0.6
    assert ae.metrics["fpr_resolved"] is False and ae.metrics["min_resolvable_fpr"] > 1e-5
    assert (events / "ae" / "scores.png").stat().st_size > 0
    vae = run_training(_recipe(events, "vae"), events / "vae", progress=False)
    model = vae.load_model()
    assert [type(layer).__name__ for layer in model.layers][-2:] == ["Multiply", "Dense"]
    assert vae.metrics["auc"]["h2_zz4l"] > 0.5


# Why this stays xfail (measured, issue 4): the cross-section mixture of 120 W and 120 Z events leaves ~61 background
# training events. The teacher AE overfits them, so its log-MSE targets on those events (mean -1.4, sd 0.9) are far
# below its errors on the test events (mean +0.8, sd 2.4: unseen background and the 200 GeV scalar's four leptons).
# The student must therefore extrapolate far outside its training targets from 61 examples of 57 inputs; its test
# correlation with the teacher ranged from -0.6 to +0.8 across seeds and student sizes (16-8, 8, 32-16; with and
# without target standardisation and L1), i.e. it is set by the sample, not by the code. Larger samples are
# measured in BENCHMARKS.md (anomaly detection) (benchmarks/anomaly.py), which reports the correlation.
@pytest.mark.xfail(strict=False, reason="~61 background training events: student-teacher correlation is noise "
                                        "(-0.6..0.8 across seeds); see the comment above and BENCHMARKS.md (anomaly detection)")
def test_student_follows_teacher(events):
    if not (events / "ae" / "manifest.json").is_file():
        run_training(_recipe(events, "autoencoder"), events / "ae", progress=False)
    student = run_training(_recipe(events, "ae_student", epochs=100, anomaly={"teacher": str(events / "ae")}),
                           events / "student", progress=False)
    assert student.metrics["teacher_correlation"] > 0.5


def test_unknown_signal_is_one_clear_error(events):
    r = _recipe(events, "autoencoder").model_copy(update={"data": _recipe(events, "autoencoder").data.model_copy(
        update={"signals": ["zprime"]})})
    with pytest.raises(InvalidInputError, match=r"data.signals: unknown signal\(s\) \['zprime'\].*has h2_zz4l"):
        run_training(r, events / "bad", progress=False)


def test_wrong_feature_count_and_nan_rows_are_rejected():
    from edgenn.training.anomaly import check_inputs

    with pytest.raises(InvalidInputError, match=r"shape \(3, 56\), anomaly models take \(N, 57\)"):
        check_inputs(np.zeros((3, 56)), "x")
    x = np.zeros((4, 57))
    x[1, 5] = np.nan
    x[3, 0] = np.inf
    with pytest.raises(InvalidInputError, match="2 of 4 rows contain NaN or Inf"):
        check_inputs(x, "x")
