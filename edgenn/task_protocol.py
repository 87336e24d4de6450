"""The task protocol: what a model family is trained to do, and the one place the stages ask how to do it.

A family declares its task by name (``Family.task``). The train and compress stages each have one stage function;
everything that differs between, say, jet tagging and anomaly detection (which data is read, the loss, the metrics,
the score, what the firmware computes, how a student is distilled, what a compression pass is judged by) is a method
of the task. Implementations live in ``edgenn/tasks/`` (one module per task, collected by the package scan below, so
adding a task is one module and no edit elsewhere); this module, the contract the stages depend on, sits below them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from edgenn.errors import InvalidInputError


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
        """Test-split metrics of ``model`` (written with their plots and score files into ``out``)."""

    def split_sizes(self, data) -> dict[str, int]: ...

    def check_compressible(self, recipe, family) -> None:
        """Raise ``InvalidInputError`` (before any work) when this family's model of this task cannot be compressed."""

    def compression_data(self, recipe, family, model, data, teacher) -> tuple[Any, Any]:
        """(``compression.task.TaskPlan``, ``PreparedData``) the compression passes fine-tune and measure on."""

    def compression_summary(self, model, data, recipe, family, metrics: dict | None = None) -> dict:
        """One before/after row of the compression table for ``model`` (``metrics``: its ``evaluate`` result)."""


_TASKS: dict[str, Task] = {}
_scanned = False


def register_task(task_cls):
    """Class decorator: register one instance of ``task_cls`` under its ``name``."""
    task = task_cls()
    if task.name in _TASKS and type(_TASKS[task.name]) is not task_cls:
        raise ValueError(f"task {task.name!r} registered twice")
    if not isinstance(task, Task):
        raise TypeError(f"{task_cls.__name__} does not implement the task protocol (edgenn.task_protocol.Task)")
    _TASKS[task.name] = task
    return task_cls


TASKS_PACKAGE = "edgenn.tasks"  # found by name at first lookup: the implementations sit above the stages using this


def _scan() -> None:
    global _scanned
    if _scanned:
        return
    from edgenn.plugins import import_package_modules

    package = importlib.import_module(TASKS_PACKAGE)
    import_package_modules(TASKS_PACKAGE, Path(package.__file__).parent)
    _scanned = True


def registered_tasks() -> dict[str, Task]:
    _scan()
    return dict(sorted(_TASKS.items()))


def get_task(name: str) -> Task:
    tasks = registered_tasks()
    if name not in tasks:
        raise InvalidInputError(f"unknown task {name!r}.", fix=f"use one of the registered tasks: {', '.join(tasks)}.")
    return tasks[name]


def task_of(family) -> Task:
    return get_task(family.task)
