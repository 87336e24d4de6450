"""Run manifests: what made an output, so any figure can be traced to code, environment, inputs and settings.

``manifest.json`` is the last file written into a stage's output directory (see ``edgenn.io.atomic_dir``); its
presence marks the directory complete. It holds no timestamps inside hashed content; ``created`` is informational.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from edgenn._version import __version__
from edgenn.io import MANIFEST_NAME, atomic_write_json, read_json

SCHEMA_VERSION = 1
_TRACKED = ("tensorflow", "qkeras", "tensorflow-model-optimization", "hls4ml", "da4ml", "onnx", "onnxruntime",
            "tf2onnx", "pythia8mc", "fastjet", "numpy", "h5py")


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "edgenn": __version__}
    for name in _TRACKED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_sha() -> str | None:
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None if res.returncode == 0 else None


def content_hash(obj: Any) -> str:
    """sha256 of the canonical JSON of ``obj`` (first 16 hex digits): stable IDs without timestamps or UUIDs."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks (datasets are larger than memory should hold twice)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_hash(path: Path) -> str:
    return sha256_file(path)[:16]


def write_manifest(directory: Path, **fields: Any) -> dict:
    """Write ``directory/manifest.json`` (``build_manifest``'s fields); returns it."""
    manifest = build_manifest(**fields)
    atomic_write_json(Path(directory) / MANIFEST_NAME, manifest)
    return manifest


def build_manifest(*, stage: str, recipe: dict | None = None, inputs: dict[str, str] | None = None,
                   seeds: dict[str, int] | None = None, metrics: dict | None = None, timings_s: dict | None = None,
                   passes: list[dict] | None = None, extra: dict | None = None) -> dict:
    """What made a stage's output: code, environment, command, recipe and its hash, inputs, seeds, passes, metrics,
    timings, and the stage's own ``extra`` fields."""
    return {
        "schema_version": SCHEMA_VERSION,
        "stage": stage,
        "edgenn_version": __version__,
        "git_sha": git_sha(),
        "versions": library_versions(),
        "command": sys.argv,
        "recipe": recipe,
        "recipe_hash": content_hash(recipe) if recipe is not None else None,
        "inputs": inputs or {},
        "seeds": seeds or {},
        "passes": passes or [],
        "metrics": metrics or {},
        "timings_s": timings_s or {},
        **(extra or {}),
    }


def read_manifest(directory: Path) -> dict:
    return read_json(Path(directory) / MANIFEST_NAME)
