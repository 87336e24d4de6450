"""The task registry: each task registers itself with ``@register_task`` in its own module of this package.

The package's modules are imported by one scan on first lookup (adding a task is one module and no edit elsewhere).
The registry sits with the implementations, above the train and compress stages that use a task: those stages
receive the task from their caller (the API, the scan) instead of looking it up by a package name from below.
"""

from __future__ import annotations

from pathlib import Path

from edgenn.errors import InvalidInputError
from edgenn.task_protocol import Task

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


def _scan() -> None:
    global _scanned
    if _scanned:
        return
    from edgenn.plugins import import_package_modules

    import_package_modules(__package__, Path(__file__).parent, skip=("registry", "recipe_check"))
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
