"""On-disk cache of generated shards: named numpy arrays plus a small JSON record, keyed by a content hash.

A key is the sha256 of everything that determines the shard (generator version, settings, seeds, library versions),
so a changed setting or library never reuses stale data. Entries are single ``.npz`` files written atomically
(``edgenn.io``): an interrupted run leaves either a complete entry or none. An unreadable entry counts as absent and
is overwritten by the next run.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from edgenn.io import atomic_write_bytes

log = logging.getLogger(__name__)

_META_KEY = "__meta__"


def default_cache_dir(kind: str) -> Path:
    """``$EDGENN_CACHE_DIR/<kind>`` if the variable is set, else ``~/.cache/edgenn/<kind>``."""
    root = os.environ.get("EDGENN_CACHE_DIR")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "edgenn"
    return base / kind


def cache_key(payload: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``payload`` (sorted keys, no whitespace)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ShardCache:
    """A directory of ``<key>.npz`` entries."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.npz"

    def get(self, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files if name != _META_KEY}
                meta = json.loads(str(npz[_META_KEY]))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("ignoring unreadable cache entry %s (%s); it will be regenerated", path, exc)
            return None
        return arrays, meta

    def put(self, key: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Path:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays, **{_META_KEY: np.array(json.dumps(meta, sort_keys=True))})
        path = self.path(key)
        atomic_write_bytes(path, buffer.getvalue())
        return path
