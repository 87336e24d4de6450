"""The dataset artifact: a generated jet or trigger-event dataset directory (``jets.h5`` or ``events.h5`` beside
``manifest.json``), as one record for both kinds.

Its ``manifest.json`` is a run manifest (``edgenn.manifest.build_manifest``: edgenn version, git SHA, library
versions, command, timings) carrying the dataset's own fields under the keys the dataset manifests have always used
(``config``, ``counts``, ``num_jets``/``num_events``, ``dataset``, ``dataset_sha256``, shard statistics, and for
events ``processes``, ``mixture_fractions``, ``background``), with a schema version and content hash. ``verify()``
re-hashes the data file (minutes for a large dataset, so only on request); schema-1 manifests (before the hash)
still load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import edgenn.filenames as filenames
from edgenn.errors import InvalidInputError
from edgenn.records.base import HASH_KEY, plain, read_record, seal

SCHEMA_VERSION = 2
KINDS = {"jets": (filenames.JETS, "num_jets"), "events": (filenames.EVENTS, "num_events")}
_TYPED = ("stage", "config", "counts", "dataset", "dataset_sha256", "versions", "schema_version", HASH_KEY,
          "num_jets", "num_events")
# fields every run manifest has (edgenn.manifest.build_manifest): kept in the file, not part of the dataset's record
_RUN_FIELDS = ("edgenn_version", "git_sha", "command", "recipe", "recipe_hash", "inputs", "seeds", "passes",
               "metrics", "timings_s")


def _command(kind: str) -> str:
    return f"edgenn data generate {kind} --out <dir>"


@dataclass(frozen=True)
class DatasetArtifact:
    kind: str  # "jets" or "events"
    config: dict[str, Any]  # the generator's settings (JetGenConfig / EventGenConfig)
    counts: dict[str, int]  # rows per class or process
    num_rows: int
    dataset_sha256: str  # of the data file: it is byte-identical for identical configs, so this names the data
    versions: dict[str, str] = field(default_factory=dict)  # generator libraries (pythia8mc, fastjet, awkward)
    details: dict[str, Any] = field(default_factory=dict)  # kind- and run-specific fields, under their file keys
    directory: Path | None = field(default=None, compare=False)  # where it was loaded from (not hashed)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInputError(f"dataset kind {self.kind!r}: must be one of {sorted(KINDS)}.")
        if self.num_rows != sum(self.counts.values()):
            raise InvalidInputError(f"{self.kind} dataset: {self.num_rows} rows but its counts sum to "
                                    f"{sum(self.counts.values())}.", fix=f"re-run `{_command(self.kind)}`.")
        clash = sorted(set(self.details) & set(_TYPED))
        if clash:
            raise ValueError(f"details {clash} are typed fields of the dataset artifact")

    @property
    def data_file(self) -> str:
        return KINDS[self.kind][0]

    @property
    def data_path(self) -> Path:
        if self.directory is None:
            raise ValueError("a dataset artifact made in memory has no directory")
        return self.directory / self.data_file

    @property
    def stage(self) -> str:
        return f"data.generate.{self.kind}"

    def _body(self) -> dict[str, Any]:
        return {"stage": self.stage, "config": self.config, "counts": self.counts, KINDS[self.kind][1]: self.num_rows,
                "dataset": self.data_file, "dataset_sha256": self.dataset_sha256, **self.details}

    @property
    def content_hash(self) -> str:
        return seal({**self._body(), "versions": self.versions}, SCHEMA_VERSION)[HASH_KEY]

    def save(self, directory: Path, *, seconds: float | None = None) -> dict[str, Any]:
        """Write ``directory/manifest.json`` (last, so the directory counts as complete); returns it. The content
        hash covers the dataset's fields and its generator versions, not the environment or the timings."""
        from edgenn.io import atomic_write_json
        from edgenn.manifest import build_manifest

        run = build_manifest(stage=self.stage, timings_s={} if seconds is None else {"total": round(seconds, 3)})
        doc = {**{k: run[k] for k in _RUN_FIELDS}, "environment_versions": run["versions"],
               **seal({**self._body(), "versions": self.versions}, SCHEMA_VERSION)}
        atomic_write_json(Path(directory) / filenames.MANIFEST, doc)
        return doc

    @classmethod
    def load(cls, directory: Path) -> DatasetArtifact:
        """The record of a dataset directory; refuses a manifest that is truncated, edited, of another schema or
        of no dataset kind, and a directory whose data file is missing."""
        directory = Path(directory)
        path = directory / filenames.MANIFEST
        doc, _ = read_record(path, kind="dataset manifest", schema_version=SCHEMA_VERSION, oldest=1,
                             hashed_from=SCHEMA_VERSION, command="edgenn data generate jets|events --out <dir>",
                             hashed_fields=lambda d: {k: v for k, v in d.items()
                                                      if k not in _RUN_FIELDS and k != "environment_versions"})
        record = cls.from_dict(doc, where=str(path), directory=directory)
        if not record.data_path.is_file():
            from edgenn.errors import MissingArtifactError

            raise MissingArtifactError(f"{record.data_path}: the dataset's data file is missing.",
                                       fix=f"re-run `{_command(record.kind)}`.")
        return record

    @classmethod
    def from_dict(cls, doc: dict[str, Any], *, where: str = "dataset manifest",
                  directory: Path | None = None) -> DatasetArtifact:
        doc = plain(doc)
        kind = str(doc.get("stage", "")).removeprefix("data.generate.")
        if kind not in KINDS:
            raise InvalidInputError(f"{where}: stage {doc.get('stage')!r} is not a dataset stage.",
                                    fix="point at a directory written by `edgenn data generate jets|events`.")
        fix = f"re-run `{_command(kind)}`."
        rows_key = KINDS[kind][1]
        try:
            counts = {str(k): int(v) for k, v in doc["counts"].items()}
            details = {k: v for k, v in doc.items()
                       if k not in _TYPED and k not in _RUN_FIELDS and k != "environment_versions"}
            return cls(kind, dict(doc["config"]), counts, int(doc[rows_key]), str(doc["dataset_sha256"]),
                       {str(k): str(v) for k, v in (doc.get("versions") or {}).items()}, details, directory)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise InvalidInputError(f"{where}: not a {kind} dataset manifest ({type(err).__name__}: {err}).",
                                    fix=fix) from None

    def verify(self) -> None:
        """Re-hash the data file: a dataset regenerated or edited since its manifest was written is refused."""
        from edgenn.manifest import sha256_file

        found = sha256_file(self.data_path)
        if found != self.dataset_sha256:
            raise InvalidInputError(f"{self.data_path}: its sha256 {found[:16]}... is not the manifest's "
                                    f"{self.dataset_sha256[:16]}... (regenerated or edited).",
                                    fix=f"re-run `{_command(self.kind)}`.")


def dataset_file(directory: Path, kind: str) -> Path:
    """The data file of a dataset directory: through its record when it has a manifest (checked: readable, intact,
    of this ``kind``), else the conventional name (a directory of hand-placed files)."""
    directory = Path(directory)
    if not (directory / filenames.MANIFEST).is_file():
        return directory / KINDS[kind][0]
    record = DatasetArtifact.load(directory)
    if record.kind != kind:
        raise InvalidInputError(f"{directory}: is a {record.kind} dataset; a {kind} dataset is needed here.",
                                fix=f"point at the output of `{_command(kind)}`.")
    return record.data_path
