"""Registry of the estimator's layer models: one function per ``LayerSpec.kind`` -> ``Estimate``.

A model registers itself with ``@register_layer_model(kind)`` where it is defined (``analytic``: dense, relu,
softmax, input, other; ``conv``: conv2d, pool2d, reshape; ``elementwise``: merge, batchnorm, cast; ``activations``: table, param_relu; ``resample``: upsample); the modules of
this package are imported on first lookup (``edgenn.plugins``), so a new layer model is one new module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edgenn.plugins import Registry

LayerModel = Callable  # (LayerSpec, clock_period_ns, ModelConstants) -> Estimate

_MODELS: Registry[LayerModel] = Registry(__package__, Path(__file__).parent, skip=("layer_models",),
                                         duplicate="estimator layer model {name!r} is registered twice")


def register_layer_model(kind: str):
    def decorator(fn: LayerModel) -> LayerModel:
        _MODELS.add(kind, fn)
        return fn

    return decorator


def layer_model(kind: str) -> LayerModel:
    """The model for ``kind`` (a ``LayerSpec.kind``); KeyError for a kind no module registers."""
    return _MODELS[kind]


def layer_model_kinds() -> list[str]:
    return sorted(_MODELS)
