"""The task registry: each task registers itself with ``@register_task`` in its own module of this package.

The package's modules are imported by one scan on first lookup (adding a task is one module and no edit elsewhere).
The registry sits with the implementations, above the train and compress stages that use a task: those stages
receive the task from their caller (the API, the scan) instead of looking it up by a package name from below.
"""

from __future__ import annotations

from pathlib import Path

from edgenn.errors import InvalidInputError
from edgenn.plugins import Registry
from edgenn.task_protocol import Task

# a module imported again registers its class again: the same task, not a duplicate
_TASKS: Registry[Task] = Registry(__package__, Path(__file__).parent, skip=("registry", "recipe_check"),
                                  duplicate="task {name!r} registered twice", same=lambda a, b: type(a) is type(b))


def register_task(task_cls):
    """Class decorator: register one instance of ``task_cls`` under its ``name``."""
    task = task_cls()
    if not isinstance(task, Task):
        raise TypeError(f"{task_cls.__name__} does not implement the task protocol (edgenn.task_protocol.Task)")
    _TASKS.add(task.name, task)
    return task_cls


def registered_tasks() -> dict[str, Task]:
    return dict(sorted(_TASKS.items()))


def get_task(name: str) -> Task:
    if name not in _TASKS:
        raise InvalidInputError(f"unknown task {name!r}.", fix=f"use one of the registered tasks: {', '.join(sorted(_TASKS))}.")
    return _TASKS[name]


def task_of(family) -> Task:
    return get_task(family.task)
