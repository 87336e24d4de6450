"""Typed artifacts passed between stages; each knows its directory, recipe and metrics, and loads itself.

A directory is an artifact only if it is complete (``manifest.json`` present); anything else is reported as missing
with the command that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

import edgenn.filenames as filenames
from edgenn.config.recipe import Recipe
from edgenn.errors import MissingArtifactError
from edgenn.io import is_complete, read_json

MODEL_FILE = filenames.MODEL
RECIPE_FILE = filenames.RECIPE
METRICS_FILE = filenames.METRICS
STANDARDIZER_FILE = filenames.STANDARDIZER
# the model as trained, when the saved model is only its firmware part (the VAE: encoder + sum(mu^2))
TRAINING_MODEL_FILE = filenames.TRAINING_MODEL


def _require_complete(directory: Path, what: str, command: str) -> None:
    if not Path(directory).is_dir():
        raise MissingArtifactError(f"{directory}: no {what} here.", fix=f"run `{command}` first.")
    if not is_complete(directory):
        raise MissingArtifactError(f"{directory}: incomplete {what} (no manifest.json: an interrupted run?).",
                                   fix=f"re-run `{command}`.")


@dataclass(frozen=True)
class ModelArtifact:
    """A trained (stage 'train') or compressed (stage 'compress') Keras model with its recipe and metrics."""

    directory: Path
    stage: str
    recipe: Recipe
    metrics: dict = field(default_factory=dict)

    @property
    def model_path(self) -> Path:
        return self.directory / MODEL_FILE

    def load_model(self):
        from edgenn.modelio import load_model

        return load_model(self.model_path, trust_model=True)  # written by edgenn itself

    def standardizer(self):
        from edgenn.standardize import Standardizer

        p = self.directory / STANDARDIZER_FILE
        if p.is_file():
            return Standardizer.load(p)
        from edgenn.config.families import lookup_family

        if self.recipe.data.kind == "jets" and lookup_family(self.recipe.model.family).input_kind == "constituents":
            # runs from before constituent standardisation: preparing their data now would fit a fresh standardiser
            # and feed the model inputs it was never trained on, so refuse instead of exporting a wrong model
            raise MissingArtifactError(
                f"{self.directory}: no {STANDARDIZER_FILE}; this constituent model was trained before constituents "
                "were standardised.", fix=f"retrain it with `edgenn train` on its recipe ({RECIPE_FILE} here).")
        return None

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
        manifest = read_json(directory / filenames.MANIFEST)
        from edgenn.config.load import read_yaml, validate

        # a run written by another edgenn version may not fit today's schema: report it, never a traceback
        recipe = validate(Recipe, read_yaml(directory / RECIPE_FILE), source=str(directory / RECIPE_FILE))
        metrics = read_json(directory / METRICS_FILE) if (directory / METRICS_FILE).is_file() else {}
        return cls(directory, manifest["stage"], recipe, metrics)


def write_model_files(staging: Path, model, recipe: Recipe, *, standardizer=None, split=None,
                      training_model=None) -> None:
    """The files of every model directory (train, compress, scan trials): the model, its standardiser, the rows it
    was split on and its recipe; the one writer, so the directory format lives here and nowhere else."""
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


def write_compressed_files(staging: Path, model, trained: ModelArtifact, recipe: Recipe) -> None:
    """A compressed model keeps the trained run's standardiser and split: it is the same model on the same rows."""
    write_model_files(staging, model, recipe, standardizer=trained.standardizer(), split=trained.split())


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
