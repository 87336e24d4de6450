"""Registry of model families.

A family is registered by the ``@register_family`` decorator in its own module. Built-ins are the modules of this
package, imported by one scan of the package directory (a new family is one new module, no list to edit), and
third-party families come from the ``edgenn.architectures`` entry-point group; both load on first lookup, never at
import, and a module that fails to import is an error, not a skipped family. Duplicate names raise; unknown names raise an error listing the known names and
the closest match. Family modules must not import TensorFlow at module level (``edgenn --help`` stays fast).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from edgenn.errors import InvalidInputError

InputKind = Literal["features", "constituents", "images", "events"]
# What the model is trained to do: the name of a registered task (edgenn.task_protocol; "classify", "anomaly").
Task = str
# How an anomaly family is trained: reconstruct its inputs, the VAE objective, or regress its teacher's score.
Objective = Literal["classify", "reconstruct", "vae", "regress_teacher"]


@dataclass(frozen=True)
class Family:
    name: str
    params_model: type[BaseModel]
    input_kind: InputKind
    build: Callable[..., Any]  # (params, input_shape, num_classes, qat: QatSpec | None) -> keras.Model
    quantizable_layers: Callable[[BaseModel], list[str]]
    description: str = ""
    task: Task = "classify"
    # The part of a built model that runs in firmware, when it is not the whole training model (the VAE's encoder +
    # sum(mu^2)): (built model, params) -> model. Compression quantizes the family's build, then takes this part.
    deploy: Callable[[Any, BaseModel], Any] | None = None
    objective: Objective = "classify"
    score: Literal["output", "reconstruction"] = "output"  # the anomaly score: the output, or the masked input MSE
    teacher: str | None = None  # the family this one is distilled from (the recipe's anomaly.teacher run)
    fine_tune_layer: str = "logits"  # compression fine-tunes the sub-model ending here
    compress_refusal: tuple[str, str] | None = None  # (why, fix) when the family has no firmware form to compress


_FAMILIES: dict[str, Family] = {}
_loaded = False


def register_family(name: str, *, params_model: type[BaseModel], input_kind: InputKind,
                    quantizable_layers: Callable[[BaseModel], list[str]], description: str = "",
                    task: Task = "classify", deploy: Callable[[Any, BaseModel], Any] | None = None,
                    **behaviour: Any):
    """``behaviour``: the optional ``Family`` fields after ``deploy`` (objective, score, teacher, ...)."""
    def decorator(build: Callable[..., Any]) -> Callable[..., Any]:
        if name in _FAMILIES:
            raise ValueError(f"model family {name!r} is registered twice")
        _FAMILIES[name] = Family(name, params_model, input_kind, build, quantizable_layers, description, task, deploy,
                                 **behaviour)
        return build

    return decorator


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from pathlib import Path

    from edgenn.plugins import import_package_modules

    import_package_modules(__package__, Path(__file__).parent, skip=("registry",))

    from importlib.metadata import entry_points

    for ep in entry_points(group="edgenn.architectures"):
        try:
            ep.load()
        except Exception as exc:  # a broken plugin must not be silently ignored
            raise InvalidInputError(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}",
                                    fix="fix or uninstall the plugin package.") from exc


def get_family(name: str) -> Family:
    _load_builtins()
    try:
        return _FAMILIES[name]
    except KeyError:
        known = sorted(_FAMILIES)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidInputError(f"unknown model family {name!r}; known families: {', '.join(known)}.{hint}") from None


def families() -> dict[str, Family]:
    _load_builtins()
    return dict(_FAMILIES)
