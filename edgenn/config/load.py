"""YAML -> typed schema, once. Every problem in a file is reported at once, each on its own line."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from edgenn.config.errors import format_pydantic_errors
from edgenn.config.examples import EXAMPLES, example_for
from edgenn.errors import ConfigError, EdgennError, InvalidInputError, MissingArtifactError
from edgenn.input_kinds import describe_file

T = TypeVar("T", bound=BaseModel)

def read_yaml(path: Path, *, kind: str = "Recipe") -> dict:
    """The YAML mapping in ``path``; ``kind`` (a key of ``EXAMPLES``) picks the example file the fixes point at."""
    path = Path(path)
    example, home = EXAMPLES.get(kind, EXAMPLES["Recipe"])
    what = describe_file(path)
    if what is not None:  # `edgenn train model.h5`: say what the file is, not that it is malformed YAML
        noun = {"Recipe": "recipe", "Budget": "budget", "ScanSpace": "scan space"}.get(kind, "YAML file")
        raise InvalidInputError(f"{path}: {what}, not a YAML {noun}.", fix=f"pass a {noun} such as {example}.")
    if not path.is_file():
        raise MissingArtifactError(f"{path}: file not found.", fix=f"check the path ({home}).")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError([f"{path}: malformed YAML{where}: {problem}. Fix: check indentation and quoting."]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not a text file. Fix: point at a YAML file."]) from None
    if data is None:
        raise ConfigError([f"{path}: file is empty. Fix: write a YAML mapping (see {example})."])
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: top level must be a mapping, got {type(data).__name__}. Fix: write key: value pairs (see {example})."])
    return data


def validate(schema: type[T], data: dict, *, source: str = "") -> T:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_pydantic_errors(exc, source=source, example=example_for(schema.__name__))) from None
    except EdgennError as exc:  # a validator that asks another module and gets an edgenn error back
        raise ConfigError([f"{source}: {exc}" if source else str(exc)]) from None


def load(schema: type[T], path: Path) -> T:
    return validate(schema, read_yaml(path, kind=schema.__name__), source=str(path))


def load_recipe(path: Path):
    from edgenn.config.recipe import Recipe

    return load(Recipe, path)


def load_budget(path: Path):
    from edgenn.config.budget import Budget

    return load(Budget, path)


def load_hls_config(path: Path):
    """An ``--hls-config`` file: the recipe's ``export.fpga`` section (per-layer ``layers`` and global settings)."""
    from edgenn.config.recipe import FpgaSpec

    return load(FpgaSpec, path)
