"""Helpers for the hardening suite: tiny synthetic jet files (no Pythia), small recipes, subprocess and signal helpers.

Synthetic data is enough here: these tests check what the toolchain does with bad, interrupted or repeated input,
not physics. Real-jet behaviour is covered by tests/datasets and tests/e2e.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
EDGENN = Path(sys.executable).parent / "edgenn"


def make_jets(directory: Path, *, per_class: int = 40, classes=("q", "g", "W", "Z", "t"), labels=None,
              features_fn=None, seed: int = 0) -> Path:
    """Write ``directory/jets.h5`` with separable random features (class k shifted by 0.7 k); returns the directory."""
    from edgenn.datasets.jet_data import CONSTITUENT_NAMES, FEATURE_NAMES, JetData, save_jets

    r = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(classes)), per_class) if labels is None else np.asarray(labels)
    f = (r.normal(size=(len(y), len(FEATURE_NAMES))) + 0.7 * y[:, None]).astype(np.float32)
    c = np.abs(r.normal(size=(len(y), 50, len(CONSTITUENT_NAMES)))).astype(np.float32) * 0.1
    if features_fn is not None:
        f = features_fn(f)
    save_jets(directory / "jets.h5", JetData(f, FEATURE_NAMES, c, CONSTITUENT_NAMES, y, tuple(classes)))
    return directory


def tiny_recipe(path: Path, dataset: Path, *, hidden=(8,), epochs: int = 2, **overrides) -> Path:
    """The shipped jet_mlp recipe shrunk to a seconds-long run on ``dataset``; ``overrides`` replace sections."""
    recipe = yaml.safe_load((ROOT / "models" / "jet_mlp.yml").read_text())
    recipe["data"].update(path=str(dataset), val_fraction=0.2, test_fraction=0.3)
    recipe["model"]["params"]["hidden"] = list(hidden)
    recipe["train"].update(epochs=epochs, batch_size=64)
    recipe["compress"]["epochs"] = 1
    recipe["export"]["validation_samples"] = 60
    recipe.update(overrides)
    path.write_text(yaml.safe_dump(recipe))
    return path


def edgenn_env() -> dict[str, str]:
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")


def start_edgenn(args: list[str], cwd: Path | None = None) -> subprocess.Popen:
    """Start ``edgenn ARGS`` as its own process group, as a shell runs a job (so Ctrl-C reaches the group)."""
    return subprocess.Popen([str(EDGENN), "--no-progress", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=cwd, env=edgenn_env(), start_new_session=True)


def run_edgenn(args: list[str], cwd: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(EDGENN), "--no-progress", *args], capture_output=True, text=True, cwd=cwd,
                          env=edgenn_env(), timeout=timeout)


def children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (from /proc, so no psutil is needed)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"edgenn exited ({proc.returncode}) before {what}:\n{err[-2000:]}")
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def send(proc: subprocess.Popen, sig: signal.Signals) -> None:
    """SIGINT goes to the whole group (what Ctrl-C does); SIGTERM to the process only (what `kill PID` does)."""
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)
    else:
        os.kill(proc.pid, sig)


def hidden_leftovers(target: Path) -> list[Path]:
    """Staging, backup and lock siblings of ``target`` that are still on disk."""
    parent = target.parent
    return sorted(parent.glob(f".{target.name}.*")) if parent.is_dir() else []
