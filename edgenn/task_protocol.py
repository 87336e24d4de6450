"""The task protocol: what a model family is trained to do, and the one place the stages ask how to do it.

A family declares its task by name (``Family.task``). The train and compress stages each have one stage function;
everything that differs between, say, jet tagging and anomaly detection (which data is read, the loss, the metrics,
the score, what the firmware computes, how a student is distilled, what a compression pass is judged by) is a method
of the task. Implementations live in ``edgenn/tasks/`` (one module per task, registered with
``edgenn.tasks.registry.register_task`` and collected by that registry's package scan, so adding a task is one module
and no edit elsewhere); this module, the contract the stages depend on, sits below them, and the stages receive
their task from the caller that looked it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Fitted:
    """What ``Task.fit`` hands back: the model the stage saves (for the VAE, its firmware scoring model, not the
    training model), its history and timing."""

    model: Any
    history: dict[str, list[float]]
    seconds: float
    training_model: Any = None  # the model as trained, when ``model`` is only its firmware part


@runtime_checkable
class Task(Protocol):
    name: str
    data_kind: str  # the recipe's data.kind this task reads ("jets", "events")
    firmware_output: str  # what the exported network computes, in the words a report uses
    has_classes: bool  # outputs class probabilities (ROC, confusion, argmax agreement), or else one score per sample

    def load_teacher(self, recipe, family) -> Any:
        """The ``ModelArtifact`` the family distils from (``Family.teacher``), or None."""

    def prepare(self, recipe, family, *, standardizer=None, split=None) -> Any:
        """The recipe's dataset, split (by ``split`` when given) and standardised: the task's data record."""

    def build(self, family, params, data) -> Any:
        """An untrained model of ``family`` for ``data``."""

    def fit(self, model, data, recipe, family, *, teacher, seed: int, progress: bool) -> Fitted: ...

    def evaluate(self, model, data, recipe, family, out: Path, *, label: str, teacher, history: dict | None,
                 stage: str) -> dict:
        """Test-split metrics of ``model``, written into ``out`` with their plots, score files and the outputs the
        report draws from (``records.stage_outputs``: the report reads these and never re-runs the model)."""

    def split_sizes(self, data) -> dict[str, int]: ...

    def check_compressible(self, recipe, family) -> None:
        """Raise ``InvalidInputError`` (before any work) when this family's model of this task cannot be compressed."""

    def compression_data(self, recipe, family, model, data, teacher) -> tuple[Any, Any]:
        """(``compression.task.TaskPlan``, ``PreparedData``) the compression passes fine-tune and measure on."""

    def compression_summary(self, model, data, recipe, family, metrics: dict | None = None) -> dict:
        """One before/after row of the compression table for ``model`` (``metrics``: its ``evaluate`` result)."""
