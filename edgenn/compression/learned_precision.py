"""Learned precision (HGQ v1): the passes that rebuild a model with HGQ layers and fix its learned bit-widths.

``learned_precision`` rebuilds the trained dense model with HGQ layers of the same names and copies the float weights
across; the state's ``learned_precision`` spec then tells the ``fine_tune`` run to reset HGQ's traced ranges every
epoch (``ResetMinMax``). The resource term ``beta * EBOPs`` needs no plan: each HGQ layer adds it to the model's
losses, so it composes with distillation (which only swaps the task loss) as it is.

``fix_learned_precision`` comes after the run: it traces the activation ranges on the training split (the integer
bits), measures the exact EBOPs and the per-layer bit-width distribution, and hands on HGQ's proxy model, which is
what hls4ml converts bit-exactly. The record also says how far the proxy (which wraps or saturates at the traced
ranges) agrees with the HGQ model it came from, on the validation split.

With ``compress.target`` the beta is not fixed: ``learned_precision`` puts a ``BetaController``
(``beta_control.py``) on the state, the fine-tune run steers beta with it on the traced EBOPs, and
``fix_learned_precision`` judges the traced EBOPs against the target: more than ``target.margin`` above it is refused
with ``BudgetFailedError`` (exit 1) before anything is written.
"""

from __future__ import annotations

import time

import numpy as np
from pydantic import BaseModel, ConfigDict

from edgenn.compression.base import CompressionState, Pass, PassRecord, register_pass
from edgenn.compression.predict import predict_eager
from edgenn.config.recipe import LearnedPrecisionSpec, ResourceTarget
from edgenn.errors import BudgetFailedError, InvalidInputError

SUPPORTED_FAMILIES = ("dense", "deepsets")


def check_learned_precision(family_name: str, spec) -> None:
    if family_name not in SUPPORTED_FAMILIES:
        raise InvalidInputError(
            f"compress.learned_precision: model family {family_name!r} has no HGQ build yet (supported: "
            f"{', '.join(SUPPORTED_FAMILIES)}).", fix="use compress.qat for this family, or the dense or deepsets family.")
    if spec.prune is not None:
        raise InvalidInputError(
            "compress.learned_precision with compress.prune: HGQ prunes by learning 0-bit weights, and tfmot's "
            "pruning wrapper does not accept HGQ layers.",
            fix="remove compress.prune (raise learned_precision.beta for a sparser model).")


@register_pass
class LearnedPrecision(Pass):
    """Rebuild the dense or deepsets model with HGQ layers (same names) and copy the trained weights across."""

    name = "learned_precision"
    params_model = LearnedPrecisionSpec

    def __init__(self, params: LearnedPrecisionSpec, *, family_params, target: ResourceTarget | None = None,
                 epochs: int = 1, family_name: str = "dense") -> None:
        super().__init__(params)
        self.family_params = family_params
        self.family_name = family_name
        self.target = target
        self.epochs = epochs  # of the fine-tune run the controller steers

    def apply(self, state: CompressionState) -> tuple[CompressionState, PassRecord]:
        from edgenn.compression.hgq_model import build_hgq

        t0 = time.perf_counter()
        data = state.data
        model = build_hgq(self.family_name, self.family_params, data.train.x.shape[1:], len(data.class_names),
                          self.params)
        source = {layer.name: layer for layer in state.model.layers}
        copied = []
        for layer in model.layers:
            if type(layer).__name__ == "HDense":  # kernel and bias first; HGQ's own bit-width variables stay fresh
                layer.kernel.assign(source[layer.name].kernel)
                layer.bias.assign(source[layer.name].bias)
                copied.append(layer.name)
        details: dict = {"layers": copied}
        control = None
        if self.target is not None:
            from edgenn.compression.beta_control import BetaController

            control = BetaController(target_ebops(self.target), self.params.beta, epochs=self.epochs)
            details["target"] = target_record(self.target)
        new_state = state.evolve(model=model, learned_precision=self.params, beta_control=control)
        return new_state, self.record(state, new_state, changed=True, started=t0, details=details)


def target_ebops(target: ResourceTarget) -> float:
    from edgenn.compression.resource_map import ebops_for_lut

    return float(target.ebops) if target.ebops is not None else ebops_for_lut(target.lut)


def target_record(target: ResourceTarget) -> dict:
    from edgenn.compression.resource_map import RELATION

    out = {"resource": "lut" if target.lut is not None else "ebops", "value": target.lut or target.ebops,
           "target_ebops": target_ebops(target), "margin": target.margin}
    if target.lut is not None:
        out["lut_relation"] = RELATION.description
    return out


def judge_target(target: ResourceTarget, ebops: float, history: list[dict] | None = None) -> dict:
    """The achieved figure against the target; raises ``BudgetFailedError`` if it is more than the margin over.
    ``history``: the controller's per-epoch record, summarised in the message (how far beta and the EBOPs moved)."""
    from edgenn.compression.resource_map import RELATION

    record = target_record(target)
    limit = record["target_ebops"] * (1 + target.margin)
    record.update(achieved_ebops=ebops, achieved_lut_estimate=RELATION.lut_for_ebops(ebops),
                  ratio=ebops / record["target_ebops"], met=ebops <= limit)
    if not record["met"]:
        asked = (f"lut {target.lut} (= {record['target_ebops']:,.0f} EBOPs by {RELATION.name})"
                 if target.lut is not None else f"ebops {target.ebops:,.0f}")
        steered = ""
        if history:
            first, last = history[0], history[-1]
            steered = (f" Over {len(history)} epochs beta went {first['beta']:.3g} -> {last['next_beta']:.3g} and the "
                       f"EBOPs {first['ebops']:,.0f} -> {last['ebops']:,.0f}.")
        raise BudgetFailedError(
            f"compress.target: {asked} missed: the model has {ebops:,.0f} EBOPs, {record['ratio']:.2f}x the target "
            f"(allowed: {1 + target.margin:.2f}x, target.margin {target.margin:g}); nothing was written.{steered}",
            fix="give the run more compress.epochs or a higher compress.learning_rate (a learned bit-width moves about "
                "one learning rate per step, whatever beta is), or raise the target.")
    return record


class FixParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    cover_factor: float = 1.0
    overflow: str = "wrap"
    target: ResourceTarget | None = None


@register_pass
class FixLearnedPrecision(Pass):
    """Trace the ranges, measure EBOPs and bits, and hand on HGQ's proxy model (what the firmware equals)."""

    name = "fix_learned_precision"
    params_model = FixParams

    def apply(self, state: CompressionState) -> tuple[CompressionState, PassRecord]:
        from edgenn.compression.hgq_model import bit_distribution, layer_ebops, proxy_model, trace_ebops

        t0 = time.perf_counter()
        model = state.model
        ebops = trace_ebops(model, state.data.train.x, self.params.cover_factor)
        per_layer = layer_ebops(model)
        bits = bit_distribution(model)
        history = state.beta_control.history if state.beta_control is not None else None
        judged = judge_target(self.params.target, ebops, history) if self.params.target is not None else None
        proxy = proxy_model(model, aggressive=self.params.overflow == "wrap")
        agreement = proxy_agreement(model, proxy, state.data.val.x)
        new_state = state.evolve(model=proxy, learned_precision=None)
        return new_state, self.record(state, new_state, changed=True, started=t0, details={
            "ebops": ebops, "ebops_per_layer": per_layer, "bits": bits, "proxy_agreement_val": agreement,
            **({"target": judged} if judged is not None else {})})


def proxy_agreement(hgq_model, proxy, x: np.ndarray) -> dict:
    """How far the proxy (wrapping/saturating at the traced ranges) agrees with the HGQ model it was made from."""
    a, b = predict_eager(hgq_model, x), predict_eager(proxy, x)
    return {"samples": int(len(x)), "argmax_agreement": float(np.mean(a.argmax(1) == b.argmax(1))),
            "output_max_abs_diff": float(np.max(np.abs(a - b))) if len(x) else 0.0}
