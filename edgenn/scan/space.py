"""From a scan space and a base recipe to trial parameters and recipe variants.

``check_space`` runs once at the edge and reports every conflict between the space and the recipe. ``suggest`` asks
an Optuna trial for one value per dimension, always in the same order with the same names (the sampler's seed then
fixes the whole sequence of suggestions). ``variant`` applies parameters to the recipe with ``model_copy(update=...)``
section by section and re-validates the result once, so cross-field rules (QAT layer names) still hold.
"""

from __future__ import annotations

from typing import Any

from edgenn.config.recipe import LayerQuant, QuantBits, Recipe, ResourceTarget
from edgenn.config.scan import FloatRange, IntRange, ScanSpace, dim_bounds
from edgenn.errors import ConfigError
from edgenn.tasks.recipe_check import check_recipe
from edgenn.architectures.registry import family_params


def quantized_layers(recipe: Recipe) -> list[str]:
    from edgenn.architectures.registry import get_family

    return get_family(recipe.model.family).quantizable_layers(family_params(recipe))


def check_space(space: ScanSpace, recipe: Recipe, *, source: str = "scan space") -> None:
    """Raise one ConfigError listing every dimension the recipe cannot take (first, whatever its family refuses)."""
    check_recipe(recipe)
    s, problems = space.space, []
    qat = recipe.compress.qat if recipe.compress else None
    for name, quant in (("weight_bits", "weight"), ("activation_bits", "activation")):
        dim = getattr(s, name)
        if dim is None:
            continue
        if qat is None:
            problems.append(f"{source}: space.{name}: the recipe has no compress.qat section, so bits cannot vary. "
                            "Fix: add compress.qat to the recipe or remove this dimension.")
            continue
        integer = max([getattr(qat, quant).integer] + [getattr(lq, quant).integer for lq in qat.layers.values()
                                                        if getattr(lq, quant) is not None])
        if dim_bounds(dim)[0] < integer + 1:
            problems.append(f"{source}: space.{name}: smallest choice {dim_bounds(dim)[0]} leaves no room for the "
                            f"recipe's {integer} integer bits (compress.qat.{quant}.integer). Fix: start at "
                            f"{integer + 1} or more.")
    if s.sparsity is not None and (recipe.compress is None or recipe.compress.prune is None):
        problems.append(f"{source}: space.sparsity: the recipe has no compress.prune section. Fix: add "
                        "compress.prune to the recipe or remove this dimension.")
    if s.hidden is not None and "hidden" not in family_params(recipe).model_fields:
        problems.append(f"{source}: space.hidden: family {recipe.model.family!r} has no 'hidden' widths "
                        "(only the dense family does). Fix: remove this dimension.")
    for name in ("target_lut", "target_ebops"):
        if getattr(s, name) is not None and (recipe.compress is None or recipe.compress.learned_precision is None):
            problems.append(f"{source}: space.{name}: the recipe has no compress.learned_precision section, so there "
                            "is no beta to steer. Fix: use a learned-precision recipe (models/jet_mlp_hgq.yml) or "
                            "remove this dimension.")
    if space.sampler.kind == "nsga2" and len(space.objectives) < 2:
        problems.append(f"{source}: sampler.kind: nsga2 needs at least two objectives (got {space.objectives}). "
                        "Fix: add an objective or use kind: tpe.")
    if problems:
        raise ConfigError(problems)


def _suggest(trial: Any, name: str, dim: Any) -> Any:
    if isinstance(dim, list):
        return dim[0] if len(dim) == 1 else trial.suggest_categorical(name, dim)
    if isinstance(dim, IntRange):
        return trial.suggest_int(name, dim.low, dim.high, step=dim.step, log=dim.log)
    if isinstance(dim, FloatRange):
        return trial.suggest_float(name, dim.low, dim.high, step=dim.step)
    raise TypeError(f"unknown dimension type {type(dim).__name__}")


def suggest(trial: Any, space: ScanSpace, recipe: Recipe) -> dict[str, Any]:
    """One value per dimension, named ``weight_bits`` or ``weight_bits.<layer>``, ``hidden.<i>``, ``sparsity``, ..."""
    s, params = space.space, {}
    layers = quantized_layers(recipe) if s.bits_per_layer else []
    for name in ("weight_bits", "activation_bits"):
        dim = getattr(s, name)
        if dim is None:
            continue
        if s.bits_per_layer:
            # the logits layer has no activation quantizer (softmax follows it)
            for layer in layers[:-1] if name == "activation_bits" else layers:
                params[f"{name}.{layer}"] = _suggest(trial, f"{name}.{layer}", dim)
        else:
            params[name] = _suggest(trial, name, dim)
    if s.sparsity is not None:
        params["sparsity"] = _suggest(trial, "sparsity", s.sparsity)
    for i, dim in enumerate(s.hidden or []):
        params[f"hidden.{i}"] = _suggest(trial, f"hidden.{i}", dim)
    if s.reuse_factor is not None:
        params["reuse_factor"] = _suggest(trial, "reuse_factor", s.reuse_factor)
    if s.strategy is not None:
        params["strategy"] = _suggest(trial, "strategy", s.strategy)
    for name in ("target_lut", "target_ebops"):
        if getattr(s, name) is not None:
            params[name] = _suggest(trial, name, getattr(s, name))
    return params


def _with_bits(q: QuantBits, bits: int) -> QuantBits:
    return q.model_copy(update={"bits": int(bits)})


def variant(recipe: Recipe, params: dict[str, Any], space: ScanSpace, *, name: str | None = None) -> Recipe:
    """The recipe with ``params`` applied (and the trial's shortened epochs); validated once."""
    from edgenn.config.load import validate

    updates: dict[str, Any] = {}
    compress = recipe.compress
    if compress is not None:
        c_upd: dict[str, Any] = {}
        if space.trial.compress_epochs is not None:
            c_upd["epochs"] = space.trial.compress_epochs
        qat = compress.qat
        if qat is not None:
            q_upd: dict[str, Any] = {}
            layers = dict(qat.layers)
            for key, quant in (("weight_bits", "weight"), ("activation_bits", "activation")):
                if key in params:  # global: the default and every per-layer override of this quantity
                    q_upd[quant] = _with_bits(getattr(qat, quant), params[key])
                    layers = {n: lq.model_copy(update={quant: _with_bits(getattr(lq, quant), params[key])})
                              if getattr(lq, quant) is not None else lq for n, lq in layers.items()}
                for p, value in params.items():
                    if p.startswith(key + "."):
                        layer = p.split(".", 1)[1]
                        lq = layers.get(layer)
                        base = (getattr(lq, quant) if lq is not None else None) or getattr(qat, quant)
                        new = _with_bits(base, value)
                        layers[layer] = lq.model_copy(update={quant: new}) if lq is not None \
                            else LayerQuant(**{quant: new})
            q_upd["layers"] = layers
            c_upd["qat"] = qat.model_copy(update=q_upd)
        if "sparsity" in params and compress.prune is not None:
            prune = compress.prune
            final = float(params["sparsity"])
            c_upd["prune"] = prune.model_copy(update={"final_sparsity": final,
                                                      "initial_sparsity": min(prune.initial_sparsity, final)})
        for key, resource in (("target_lut", "lut"), ("target_ebops", "ebops")):
            if key in params:  # the recipe's margin stays; the other resource is cleared
                margin = compress.target.margin if compress.target is not None else ResourceTarget(lut=1).margin
                c_upd["target"] = ResourceTarget(**{resource: params[key]}, margin=margin)
        updates["compress"] = compress.model_copy(update=c_upd)
    hidden = [params[f"hidden.{i}"] for i in range(len(space.space.hidden or []))]
    if hidden:
        updates["model"] = recipe.model.model_copy(update={"params": {**recipe.model.params, "hidden": hidden}})
    if space.trial.epochs is not None:
        updates["train"] = recipe.train.model_copy(update={"epochs": space.trial.epochs})
    fpga_upd = {k: params[k] for k in ("reuse_factor", "strategy") if k in params}
    if fpga_upd:
        updates["export"] = recipe.export.model_copy(update={"fpga": recipe.export.fpga.model_copy(update=fpga_upd)})
    if name is not None:
        updates["name"] = name
    new = recipe.model_copy(update=updates)
    # model_copy skips validation; one pass over the dumped variant restores every field and cross-field rule, and
    # the family check catches widths or layer names the family refuses
    source = f"scan variant {params}"
    return check_recipe(validate(Recipe, new.model_dump(mode="json"), source=source), source=source)
