"""The settings of one export, merged and validated once: recipe ``export.fpga`` < ``--hls-config FILE`` < flags.

Every target declares its settings model (``runners.targets``); ``resolve_settings`` builds that frozen object here,
once, and the target receives it typed (it never re-validates or reads defaults from a dict). The recipe's
``export.fpga`` section is the hardware section every hardware target reads: a target takes the keys of it that it
declares (the rtl target its part and clock) and leaves the rest. A key given explicitly (a flag, an ``--hls-config``
key) that the target does not declare is refused, naming the key, the target and its settings.

An ``--hls-config`` file has the schema of a recipe's ``export.fpga`` section (``config.recipe.FpgaSpec``, validated
by ``config.load``): per-layer ``layers: {<layer>: {reuse_factor, parallelization_factor, strategy, precision}}`` and,
optionally, the global keys. Only the keys the file sets replace the recipe's; its per-layer entries are merged layer
by layer. Every per-layer name must be a layer of the model the user gave (after Sequential/nested models are
flattened); an unknown one is refused before any conversion, listing the model's layer names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from edgenn.errors import ConfigError, InvalidInputError


def merge_hls_config(fpga: dict[str, Any], path: Path | None) -> dict[str, Any]:
    """``fpga`` (an ``export.fpga`` dict) with the settings of the file at ``path`` on top."""
    if path is None:
        return fpga
    from edgenn.config.load import load_hls_config

    given = load_hls_config(Path(path)).model_dump(exclude_unset=True)
    layers = {name: dict(entry) for name, entry in fpga.get("layers", {}).items()}
    for name, entry in given.pop("layers", {}).items():
        layers[name] = {**layers.get(name, {}), **{k: v for k, v in entry.items() if v is not None}}
    return {**fpga, **given, "layers": layers}


def hls_config_keys(path: Path | None) -> set[str]:
    """The keys an ``--hls-config`` file sets (each must be a setting of the target it is given to)."""
    if path is None:
        return set()
    from edgenn.config.load import load_hls_config

    return set(load_hls_config(Path(path)).model_dump(exclude_unset=True))


def resolve_settings(target, section: dict[str, Any], overrides: dict[str, Any], *,
                     given_by_file: set[str] = frozenset()) -> BaseModel:
    """``target.settings`` from the recipe's ``section`` (the keys the target declares) with ``overrides`` (flags,
    and the keys of an ``--hls-config`` file, ``given_by_file``) on top; one ``ConfigError`` lists every problem."""
    from edgenn.config.errors import format_pydantic_errors

    fields = list(target.settings.model_fields)
    allowed = ", ".join(fields) if fields else "none (it takes no settings)"
    problems = []
    for key in sorted((set(overrides) | set(given_by_file)) - set(fields)):
        origin = "the --hls-config file" if key in given_by_file and key not in overrides else "a flag"
        problems.append(f"export target {target.name}: {key}: not a setting of this target (set by {origin}). "
                        f"Fix: drop it; the {target.name} target's settings are: {allowed}.")
    if problems:
        raise ConfigError(problems)
    values = {key: section[key] for key in fields if key in section}
    values.update(overrides)
    try:
        return target.settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(format_pydantic_errors(exc, source=f"export target {target.name}")) from None


def check_layer_names(model: Any, layers: dict[str, Any], *, where: str = "export.fpga.layers") -> None:
    """Refuse per-layer settings for a layer the model does not have, naming the layers it has."""
    names = [layer.name for layer in model.layers]
    unknown = sorted(set(layers) - set(names))
    if unknown:
        raise InvalidInputError(f"{where} names unknown layer(s) {unknown}; model '{model.name}' has layers "
                                f"{names}.", fix="use these layer names (model.summary() prints them).")
