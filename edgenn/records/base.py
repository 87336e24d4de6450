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
    return check_document(doc, path, kind=kind, schema_version=schema_version, oldest=oldest, hashed_from=hashed_from,
                          command=command, hashed_fields=hashed_fields)


def check_document(doc: Any, path: Path | str, *, kind: str, schema_version: int, oldest: int, hashed_from: int,
                   command: str, hashed_fields: Callable[[dict], dict] | None = None) -> tuple[dict[str, Any], int]:
    """``read_record``'s checks of an already parsed document (for records whose document sits inside another
    file, e.g. an npz)."""
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


# ----- records with array payloads (one .npz) ----------------------------------------------------------------------
RECORD_ENTRY = "__record__"  # the npz entry holding the sealed JSON document beside the arrays


def array_digest(a: Any) -> str:
    """Hash of an array's dtype, shape and bytes: what the record's content hash covers instead of the npz bytes
    (zip members carry a timestamp, so the same arrays never give the same file twice)."""
    import hashlib

    import numpy as np

    a = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()[:16]


class SealedArrays:
    """What a record saved as one ``.npz`` of a directory shares: its arrays, and a sealed JSON document (``seal``)
    that lists every array's digest, so an edited, truncated or swapped array is refused like an edited JSON record.
    The record returns its metadata from ``body()`` and its arrays from ``arrays()``."""

    FILE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int]

    def body(self) -> dict[str, Any]:
        raise NotImplementedError

    def arrays(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return seal({**self.body(), "arrays": {k: array_digest(v) for k, v in sorted(self.arrays().items())}},
                    self.SCHEMA_VERSION)

    @property
    def content_hash(self) -> str:
        return self.to_dict()[HASH_KEY]

    def save(self, directory: Path) -> dict[str, Any]:
        """Write ``directory/FILE``; returns the sealed document written into it."""
        import numpy as np

        from edgenn.io import atomic_path

        doc = self.to_dict()
        with atomic_path(Path(directory) / self.FILE) as tmp:
            with open(tmp, "wb") as fh:  # a file handle: np.savez would append .npz to the temporary name
                np.savez_compressed(fh, **{RECORD_ENTRY: np.array(json.dumps(doc, sort_keys=True))}, **self.arrays())
        return doc


def read_sealed_arrays(path: Path, *, kind: str, schema_version: int, oldest: int,
                       command: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document and arrays of a ``SealedArrays`` record at ``path``, checked like ``read_record`` (present,
    readable, a schema this edgenn reads, intact hash) and every array against its digest."""
    import zipfile

    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise MissingArtifactError(f"{path}: no {kind} here.", fix=f"run `{command}` first.")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if RECORD_ENTRY not in npz.files:
                raise InvalidInputError(f"{path}: not an edgenn {kind} (no sealed record inside).",
                                        fix=f"re-run `{command}`.")
            text = str(npz[RECORD_ENTRY])
            arrays = {k: np.asarray(npz[k]) for k in npz.files if k != RECORD_ENTRY}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InvalidInputError(f"{path}: not a readable {kind} (truncated or not an npz: {exc}).",
                                fix=f"re-run `{command}`.") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"{path}: not a readable {kind} (its record is not JSON: {exc}).",
                                fix=f"re-run `{command}`.") from None
    doc, _ = check_document(doc, path, kind=kind, schema_version=schema_version, oldest=oldest, hashed_from=oldest,
                            command=command)
    digests = doc.get("arrays")
    require(isinstance(digests, dict) and set(digests) == set(arrays), str(path),
            f"the {kind}'s arrays {sorted(arrays)} are not the ones its record lists", command)
    for name, digest in digests.items():
        require(array_digest(arrays[name]) == digest, str(path),
                f"array {name!r} does not match its digest (edited or corrupted)", command)
    return doc, arrays
