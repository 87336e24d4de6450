"""A real SIGINT (to the process group, as Ctrl-C sends it) or SIGTERM (to the process, as `kill` and CI timeouts
send it) during data generation, training or export leaves nothing that looks complete, and re-running the same
command finishes the job.

"Looks complete" means a target directory with manifest.json; every reader (``is_complete``) requires it.
"""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np
import pytest

from hardening_support import (alive, children, hidden_leftovers, make_jets, run_edgenn, send, start_edgenn, tiny_recipe,
                      wait_for)

INTERRUPTED = "no partial output was left behind"


def _generate_args(out: Path, cache: Path) -> list[str]:
    # two classes, ~75 jets per 50-event shard: four or more shards, so an interrupt lands mid-generation
    return ["data", "generate", "jets", "--out", str(out), "--jets-per-class", "150", "--class", "W", "--class", "q",
            "--fast", "--workers", "2", "--events-per-shard", "50", "--cache-dir", str(cache)]


def _workers(pid: int) -> list[int]:
    return [p for p in children(pid) if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")]


def _assert_nothing_complete(out: Path) -> None:
    assert not (out / "manifest.json").exists()
    assert not out.exists()
    assert not hidden_leftovers(out), hidden_leftovers(out)


def _assert_cache_entries_whole(cache: Path) -> None:
    for entry in cache.glob("*.npz"):  # any visible entry must load completely
        with np.load(entry, allow_pickle=False) as npz:
            assert npz["features"].shape[0] == npz["constituents"].shape[0]


def test_sigterm_while_workers_start_cleans_up_and_kills_workers(tmp_path):
    """Fast: interrupt as soon as the spawned workers exist (before any shard is done)."""
    out, cache = tmp_path / "jets", tmp_path / "cache"
    proc = start_edgenn(_generate_args(out, cache))
    wait_for(lambda: len(_workers(proc.pid)) >= 1, 120, "a worker process", proc)
    workers = _workers(proc.pid)
    send(proc, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert INTERRUPTED in " ".join(err.split()) and "Traceback" not in err
    wait_for(lambda: not any(alive(w) for w in workers), 10, "the workers to exit")
    _assert_nothing_complete(out)
    _assert_cache_entries_whole(cache)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_generation_resumes_from_cache(tmp_path, sig):
    out, cache = tmp_path / "jets", tmp_path / "cache"
    proc = start_edgenn(_generate_args(out, cache))
    wait_for(lambda: any(cache.glob("*.npz")), 300, "the first cached shard", proc)
    workers = _workers(proc.pid)
    send(proc, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    wait_for(lambda: not any(alive(w) for w in workers), 10, "the workers to exit")
    _assert_nothing_complete(out)
    _assert_cache_entries_whole(cache)
    cached_before = len(list(cache.glob("*.npz")))

    again = run_edgenn(_generate_args(out, cache))
    assert again.returncode == 0, again.stderr
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["shards_from_cache"] >= cached_before >= 1  # the interrupted run's shards were reused
    assert manifest["counts"] == {"W": 150, "q": 150}
    assert not hidden_leftovers(out)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_training_leaves_nothing_and_reruns(tmp_path, sig):
    import yaml

    recipe = tiny_recipe(tmp_path / "r.yml", make_jets(tmp_path / "data", per_class=200), hidden=(32, 32))
    content = yaml.safe_load(recipe.read_text())
    content["train"].update(epochs=400, early_stopping=None)  # long enough to be interrupted inside model.fit
    recipe.write_text(yaml.safe_dump(content))
    out = tmp_path / "run" / "train"
    args = ["train", str(recipe), "--out", str(out), "--no-report"]
    proc = start_edgenn(args)
    wait_for(lambda: any(p.name.startswith(f".{out.name}.tmp-") for p in hidden_leftovers(out)), 300,
             "training to start", proc)
    send(proc, sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert INTERRUPTED in " ".join(err.split()) and "Traceback" not in err
    _assert_nothing_complete(out)

    content["train"]["epochs"] = 2  # the rerun only has to prove that it completes
    recipe.write_text(yaml.safe_dump(content))
    again = run_edgenn(args)
    assert again.returncode == 0, again.stderr
    assert (out / "manifest.json").is_file() and (out / "model.h5").is_file()
    assert not hidden_leftovers(out)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_fpga_export_leaves_nothing_and_reruns(trained_run, tmp_path, sig):
    out = tmp_path / "fw"
    args = ["export", str(trained_run), "--target", "fpga", "--out", str(out), "--no-report"]
    proc = start_edgenn(args)
    staging = lambda: [p for p in hidden_leftovers(out) if p.name.startswith(f".{out.name}.tmp-")]  # noqa: E731
    # interrupt while g++ builds the C simulation (the longest step)
    wait_for(lambda: any((s / "hls" / "build_lib.sh").exists() for s in staging()), 600, "the hls4ml project", proc)
    send(proc, sig)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode != 0, err
    assert "Traceback" not in err
    _assert_nothing_complete(out)

    again = run_edgenn(args)
    assert again.returncode == 0, again.stderr
    assert (out / "manifest.json").is_file() and (out / "report.json").is_file()
    assert not hidden_leftovers(out)
