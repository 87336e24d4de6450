"""The JSON envelope every record shares: ``schema_version``, a content hash over everything else, and one reader
that turns a missing, truncated, edited, newer or too-old file into a one-line error naming the fix.

The hash is taken over the JSON form (lists, not tuples; numpy scalars as Python numbers), so a record hashes the
same before saving and after loading, and editing any value of a saved file is detected on the next load.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.io import json_default
from edgenn.manifest import content_hash

SCHEMA_KEY = "schema_version"
HASH_KEY = "content_hash"


def plain(obj: Any) -> Any:
    """``obj`` as the JSON document it is saved as (so its hash is the saved file's)."""
    return json.loads(json.dumps(obj, default=json_default))


def seal(body: dict[str, Any], schema_version: int) -> dict[str, Any]:
    """``body`` with its schema version and the content hash of both."""
    doc = plain({**body, SCHEMA_KEY: schema_version})
    doc.pop(HASH_KEY, None)
    doc[HASH_KEY] = content_hash(doc)
    return doc


class SealedFile:
    """What a record saved as one file of a directory shares: its hash and its save. The record's ``to_dict``
    returns the sealed document (``seal``); ``FILE`` is its file name in the directory."""

    FILE: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def content_hash(self) -> str:
        return self.to_dict()[HASH_KEY]

    def save(self, directory: Path) -> dict[str, Any]:
        """Write ``directory/FILE``; returns the document written."""
        from edgenn.io import atomic_write_json

        doc = self.to_dict()
        atomic_write_json(Path(directory) / self.FILE, doc)
        return doc


def record_hash(doc: dict[str, Any]) -> str:
    return content_hash({k: v for k, v in doc.items() if k != HASH_KEY})


def read_record(path: Path, *, kind: str, schema_version: int, oldest: int, hashed_from: int, command: str,
                hashed_fields: Callable[[dict], dict] | None = None) -> tuple[dict[str, Any], int]:
    """The JSON document of a ``kind`` record at ``path`` and its schema version, checked: readable, a JSON object,
    a schema this edgenn reads (``oldest`` .. ``schema_version``), and, from ``hashed_from`` on, an intact hash
    (over ``hashed_fields(doc)`` when the file also holds fields outside the record, e.g. a run manifest's)."""
    path = Path(path)
    if not path.is_file():
        raise MissingArtifactError(f"{path}: no {kind} here.", fix=f"run `{command}` first.")
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"{path}: not a readable {kind} (truncated or not JSON: {exc}).",
                                fix=f"re-run `{command}`.") from None
    if not isinstance(doc, dict):
        raise InvalidInputError(f"{path}: not an edgenn {kind} (a JSON {type(doc).__name__}, not an object).",
                                fix=f"re-run `{command}`.")
    version = doc.get(SCHEMA_KEY)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInputError(f"{path}: no {SCHEMA_KEY} (not an edgenn {kind}).",
                                fix=f"re-run `{command}`.")
    if version > schema_version:
        raise InvalidInputError(f"{path}: {kind} schema {version} is newer than this edgenn reads ({schema_version}).",
                                fix="upgrade edgenn.")
    if version < oldest:
        raise InvalidInputError(f"{path}: {kind} schema {version} is older than this edgenn reads (>= {oldest}).",
                                fix=f"re-run `{command}` with this edgenn.")
    if version >= hashed_from or HASH_KEY in doc:
        if doc.get(HASH_KEY) != record_hash(hashed_fields(doc) if hashed_fields else doc):
            raise InvalidInputError(f"{path}: the {kind}'s content hash does not match its content (edited or "
                                    "corrupted).", fix=f"re-run `{command}` instead of editing its output.")
    return doc, version


def require(condition: bool, where: str, what: str, command: str) -> None:
    """A broken field of a record: one line naming where it is and what is wrong."""
    if not condition:
        raise InvalidInputError(f"{where}: {what}.", fix=f"re-run `{command}`.")
