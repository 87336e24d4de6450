"""Every failure a user can cause is an EdgennError subclass.

The CLI maps each class to an exit code and prints ``str(error)`` as one line (no traceback):
0 ok, 1 budget broken, 2 invalid input, 3 external tool missing. Messages say what is wrong, where,
and how to fix it, e.g. ``models/jet_mlp.yml: train.epochs: must be >= 1 (got 0). Fix: ...``.
"""

from __future__ import annotations


class EdgennError(Exception):
    """Base class; ``exit_code`` is what the CLI returns."""

    exit_code = 2

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(message if fix is None else f"{message} Fix: {fix}")


class InvalidInputError(EdgennError):
    """Bad recipe, bad flag, bad data file, bad model file."""

    exit_code = 2


class ConfigError(InvalidInputError):
    """A YAML recipe, budget or scan file failed validation; may hold several problems."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class MissingArtifactError(InvalidInputError):
    """A dataset, run or export directory that a command needs does not exist (or is incomplete)."""


class UnsupportedModelError(InvalidInputError):
    """A model contains a layer or construct a target cannot handle; the message names the layer."""


class ExternalToolError(EdgennError):
    """A required external program (g++, yosys, vivado, verilator) is missing or failed."""

    exit_code = 3


class BudgetFailedError(EdgennError):
    """``edgenn check`` found at least one broken budget line."""

    exit_code = 1


class LockedError(InvalidInputError):
    """Another edgenn process is writing the same output directory."""
