"""Typed artifacts passed between stages; each knows its directory, recipe and metrics, saves and loads itself.

``ModelArtifact.save`` is the one writer of a model directory (train, compress, scan trials) and ``ModelArtifact.load``
its one reader. A directory is an artifact only if it is complete (``manifest.json`` present); anything else is reported as missing
with the command that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

import edgenn.filenames as filenames
from edgenn.config.recipe import Recipe
from edgenn.errors import InvalidInputError, MissingArtifactError
from edgenn.io import is_complete, read_json
from edgenn.records.base import HASH_KEY, SCHEMA_KEY, read_record, record_hash, seal
from edgenn.records.model_metrics import ModelMetrics

MODEL_FILE = filenames.MODEL
RECIPE_FILE = filenames.RECIPE
METRICS_FILE = filenames.METRICS
STANDARDIZER_FILE = filenames.STANDARDIZER
# the model as trained, when the saved model is only its firmware part (the VAE: encoder + sum(mu^2))
TRAINING_MODEL_FILE = filenames.TRAINING_MODEL

MODEL_SCHEMA_VERSION = 2  # 2: the manifest is a record (files hashed, content hash); 1: a plain run manifest
# what a model directory holds, under the content hash; the other manifest fields (git SHA, command, library
# versions, input paths, timings) describe the run that wrote it and may differ for the same content. The files'
# own hashes stay outside it: Keras writes a different .h5 byte stream for the same weights on every save, so
# two identical runs would never share a hash; ``verify`` checks the files against them instead.
_RECORD_FIELDS = ("stage", "recipe_hash", "seeds", "passes", "metrics")


def _require_complete(directory: Path, what: str, command: str) -> None:
    if not Path(directory).is_dir():
        raise MissingArtifactError(f"{directory}: no {what} here.", fix=f"run `{command}` first.")
    if not is_complete(directory):
        raise MissingArtifactError(f"{directory}: incomplete {what} (no manifest.json: an interrupted run?).",
                                   fix=f"re-run `{command}`.")


@dataclass(frozen=True)
class ModelFiles:
    """What a stage hands its model directory besides the record's own fields: the live Keras model and what later
    stages read beside it (a compressed model keeps the trained run's standardiser and split: same model, same rows).
    """

    model: Any
    standardizer: Any = None  # edgenn.standardize.Standardizer
    split: Any = None  # edgenn.splits.SplitRecord
    training_model: Any = None  # the model as trained, when ``model`` is only its firmware part (the VAE)


@dataclass(frozen=True)
class ModelArtifact:
    """A trained (stage 'train') or compressed (stage 'compress') Keras model with its recipe and typed metrics.

    ``content_hash`` is the directory record's: sealed in its manifest from schema 2 on, and for a schema-1 directory
    (written before the record) computed on load from the same manifest fields, so every later stage can name the
    model it read; only a schema-2 directory lists its files' hashes (``files``, checked by ``verify``)."""

    directory: Path
    stage: str
    recipe: Recipe
    metrics: ModelMetrics = field(default_factory=ModelMetrics)
    content_hash: str | None = None
    files: dict = field(default_factory=dict)  # file name -> sha256 prefix, as written (schema 2)
    schema_version: int = MODEL_SCHEMA_VERSION

    def __post_init__(self) -> None:
        if not isinstance(self.metrics, ModelMetrics):  # a stage hands over the dict it wrote to metrics.json
            object.__setattr__(self, "metrics", ModelMetrics.from_dict(self.metrics, where=str(self.directory)))

    @property
    def model_path(self) -> Path:
        return self.directory / MODEL_FILE

    def load_model(self):
        from edgenn.modelio import load_model

        return load_model(self.model_path, trust_model=True)  # written by edgenn itself

    def standardizer(self):
        from edgenn.standardize import Standardizer

        p = self.directory / STANDARDIZER_FILE
        # None also for a run made before its family's inputs were standardised: the families know which of those
        # must be refused (architectures.registry.standardizer_of), this layer below them does not
        return Standardizer.load(p) if p.is_file() else None

    def split(self):
        """The rows the training stage drew (``splits.npz``); None for runs made before splits were saved, whose
        consumers re-draw the split from the recipe's seed (the same rows, as before)."""
        from edgenn.splits import SPLIT_FILE, SplitRecord

        p = self.directory / SPLIT_FILE
        return SplitRecord.load(p) if p.is_file() else None

    @classmethod
    def load(cls, directory: Path) -> ModelArtifact:
        directory = Path(directory)
        _require_complete(directory, "trained or compressed model", "edgenn train <recipe>")
        manifest, version = read_record(directory / filenames.MANIFEST, kind="model manifest",
                                  schema_version=MODEL_SCHEMA_VERSION, oldest=1, hashed_from=MODEL_SCHEMA_VERSION,
                                  command="edgenn train <recipe>", hashed_fields=_record_fields)
        from edgenn.config.load import read_yaml, validate

        files = manifest.get("files", {}) if version >= 2 else {}
        # the small files are read now, so they are checked now: an edited recipe or metrics file is refused here,
        # not after an export has been built from it (the model file is checked by verify(), when it is loaded)
        for name in (RECIPE_FILE, METRICS_FILE):
            _check_file(directory, name, files)
        # a run written by another edgenn version may not fit today's schema: report it, never a traceback
        recipe = validate(Recipe, read_yaml(directory / RECIPE_FILE), source=str(directory / RECIPE_FILE))
        where = str(directory / METRICS_FILE)
        try:
            metrics = read_json(directory / METRICS_FILE) if (directory / METRICS_FILE).is_file() else {}
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InvalidInputError(f"{where}: not readable (truncated or not JSON: {exc}).",
                                    fix=f"re-run the stage that wrote {directory}.") from None
        if not isinstance(metrics, dict):
            raise InvalidInputError(f"{where}: not a metrics table (a JSON {type(metrics).__name__}).",
                                    fix=f"re-run the stage that wrote {directory}.")
        content = manifest.get(HASH_KEY) if version >= 2 else record_hash(_record_fields(manifest))
        return cls(directory, manifest["stage"], recipe, ModelMetrics.from_dict(metrics, where=where), content, files,
                   version)

    def verify(self) -> None:
        """Re-hash the directory's files against its manifest: a model file replaced or edited since is refused."""
        for name in self.files:
            _check_file(self.directory, name, self.files)

    def save(self, staging: Path, files: ModelFiles, **run) -> ModelArtifact:
        """Write this record's model directory into ``staging`` (the ``io.atomic_dir`` of ``directory``, which may
        already hold the stage's plots and ``outputs.npz``): ``files``, the recipe, ``metrics.json`` and, last, the
        manifest sealing them (``run``: the stage's inputs, seeds, passes and timings_s). The one writer of model
        directories (train, compress, scan trials); returns the record as saved, with its content and file hashes."""
        from edgenn.io import atomic_write_json

        staging = Path(staging)
        _write_files(staging, files.model, self.recipe, standardizer=files.standardizer, split=files.split,
                     training_model=files.training_model)
        atomic_write_json(staging / METRICS_FILE, self.metrics.to_dict())
        # the compress stage's before/after section is a table for the report (metrics.json), not a figure the
        # manifest seals
        sealed = {k: v for k, v in self.metrics.items() if k != "compression"}
        doc = _write_manifest(staging, stage=self.stage, recipe=self.recipe, metrics=sealed, **run)
        return replace(self, content_hash=doc[HASH_KEY], files=doc["files"], schema_version=MODEL_SCHEMA_VERSION)


def _check_file(directory: Path, name: str, files: dict) -> None:
    """``directory/name`` against the hash its manifest lists (nothing to check when it lists none: schema 1)."""
    from edgenn.manifest import file_hash

    if name not in files:
        return
    path = directory / name
    found = file_hash(path) if path.is_file() else "missing"
    if found != files[name]:
        raise InvalidInputError(f"{path}: hash {found} is not the manifest's {files[name]} (replaced or edited after "
                                "the stage wrote it).", fix=f"re-run the stage that wrote {directory}.")


def _record_fields(doc: dict) -> dict:
    return {k: doc[k] for k in (*_RECORD_FIELDS, SCHEMA_KEY) if k in doc}


def _write_manifest(staging: Path, *, stage: str, recipe: Recipe, **fields) -> dict:
    """The last file of a model directory: the run manifest with every file's hash, sealed as a record, so a later
    stage can tell the directory it reads from an edited or half-copied one."""
    from edgenn.io import atomic_write_json
    from edgenn.manifest import build_manifest, file_hash

    staging = Path(staging)
    files = {p.name: file_hash(p) for p in sorted(staging.iterdir()) if p.is_file() and p.name != filenames.MANIFEST}
    run = build_manifest(stage=stage, recipe=recipe.model_dump(mode="json"), extra={"files": files}, **fields)
    doc = {**run, **seal({k: run[k] for k in _RECORD_FIELDS}, MODEL_SCHEMA_VERSION)}
    atomic_write_json(staging / filenames.MANIFEST, doc)
    return doc


def _write_files(staging: Path, model, recipe: Recipe, *, standardizer=None, split=None,
                 training_model=None) -> None:
    """The payload files of a model directory: the model, its standardiser, the rows it was split on, its recipe."""
    from edgenn.modelio import save_model
    from edgenn.splits import SPLIT_FILE

    staging = Path(staging)
    save_model(model, staging / MODEL_FILE)
    if standardizer is not None:
        standardizer.save(staging / STANDARDIZER_FILE)
    if split is not None:
        split.save(staging / SPLIT_FILE)
    if training_model is not None:
        save_model(training_model, staging / TRAINING_MODEL_FILE)
    write_recipe(recipe, staging / RECIPE_FILE)


def write_recipe(recipe: Recipe, path: Path) -> None:
    from edgenn.io import atomic_write_text

    atomic_write_text(path, yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False))


def resolve_model_dir(path: Path) -> Path:
    """A run directory (``runs/<name>``) resolves to its latest model stage: compress if present, else train."""
    path = Path(path)
    if (path / filenames.MANIFEST).is_file():
        return path
    for stage in ("compress", "train"):
        if is_complete(path / stage):
            return path / stage
    _require_complete(path / "train", "trained model", "edgenn train <recipe>")
    return path  # unreachable: _require_complete raised
