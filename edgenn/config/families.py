"""What recipe validation needs from a model family, without the config layer importing the families.

The recipe schema sits below every stage (they all read recipes), while the family registry sits with the families,
above it. Validating ``model.params`` against the family's own schema needs the registry at run time only, so the
schema names here the little it relies on (``FamilySchema``) and finds the registry by module name on first use:
the dependency points upward only at run time, through this one named lookup, and never at import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Protocol

from pydantic import BaseModel

REGISTRY_MODULE = "edgenn.architectures.registry"


class FamilySchema(Protocol):
    """The part of ``architectures.registry.Family`` the recipe checks (and ``artifacts``) use."""

    params_model: type[BaseModel]
    task: str
    input_kind: str
    quantizable_layers: Callable[[BaseModel], list[str]]
    teacher: str | None


def lookup_family(name: str) -> FamilySchema:
    """The registered family called ``name``; an unknown name raises the registry's error listing the known ones."""
    return importlib.import_module(REGISTRY_MODULE).get_family(name)
