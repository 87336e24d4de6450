"""Scan-space schema for ``edgenn scan RECIPE --space SPACE.yml``: what to vary, what to optimise, how to sample.

Every model is ``extra="forbid"`` (a misspelt key names its field). A dimension left out keeps the recipe's value.
A dimension is either a list of choices or a range::

    space:
      weight_bits: [4, 6, 8]                # compress.qat.weight.bits (all layers, or per layer with bits_per_layer)
      activation_bits: {low: 4, high: 10, step: 2}
      bits_per_layer: false
      sparsity: {low: 0.0, high: 0.9, step: 0.1}   # compress.prune.final_sparsity
      hidden: [[16, 32, 64], [8, 16, 32]]   # one dimension per hidden layer (dense family: model.params.hidden)
      reuse_factor: [1, 2, 4]               # export.fpga.reuse_factor
      strategy: [Latency, Resource]         # export.fpga.strategy
    objectives: [accuracy, lut_dsp, latency_cycles]
    sampler: {kind: nsga2, seed: 1, population_size: 8}
    trial: {epochs: 5, compress_epochs: 5}

Checks that need the recipe too (QAT present when bits are scanned, ...) live in ``edgenn.scan.space``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edgenn.config.examples import example_for


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntRange(_Strict):
    low: int
    high: int
    step: int = Field(1, ge=1)
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is larger than high ({self.high})")
        if self.log and self.step != 1:
            raise ValueError("log=true needs step 1 (Optuna cannot combine them)")
        return self

    def values_bounds(self) -> tuple[int, int]:
        return self.low, self.high


class FloatRange(_Strict):
    low: float
    high: float
    step: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> FloatRange:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is larger than high ({self.high})")
        return self

    def values_bounds(self) -> tuple[float, float]:
        return self.low, self.high


IntDim = list[int] | IntRange
FloatDim = list[float] | FloatRange


def dim_bounds(dim: IntDim | FloatDim) -> tuple[float, float]:
    """Smallest and largest value a dimension can take."""
    return (min(dim), max(dim)) if isinstance(dim, list) else dim.values_bounds()


class SpaceSpec(_Strict):
    weight_bits: IntDim | None = None
    activation_bits: IntDim | None = None
    bits_per_layer: bool = False
    sparsity: FloatDim | None = None
    hidden: list[IntDim] | None = Field(None, min_length=1)
    reuse_factor: IntDim | None = None
    strategy: list[Literal["Latency", "Resource", "distributed_arithmetic"]] | None = Field(None, min_length=1)
    # learned precision (compress.learned_precision): the resource target beta is steered to, instead of bits
    target_lut: IntDim | None = None
    target_ebops: FloatDim | None = None

    @field_validator("weight_bits", "activation_bits", "reuse_factor", "sparsity")
    @classmethod
    def _non_empty(cls, v):
        if isinstance(v, list) and not v:
            raise ValueError("needs at least one choice")
        return v

    @model_validator(mode="after")
    def _ranges(self) -> SpaceSpec:
        problems = []
        for name in ("weight_bits", "activation_bits"):
            dim = getattr(self, name)
            if dim is not None and not 1 <= dim_bounds(dim)[0] <= dim_bounds(dim)[1] <= 32:
                problems.append(f"{name}: bits must be in [1, 32] (got {dim_bounds(dim)})")
        if self.sparsity is not None and not 0 <= dim_bounds(self.sparsity)[0] <= dim_bounds(self.sparsity)[1] < 1:
            problems.append(f"sparsity: must be in [0, 1) (got {dim_bounds(self.sparsity)})")
        if self.target_lut is not None and self.target_ebops is not None:
            problems.append("target_lut and target_ebops: give one of them (both set compress.target)")
        for name in ("target_lut", "target_ebops"):
            dim = getattr(self, name)
            if dim is not None and dim_bounds(dim)[0] <= 0:
                problems.append(f"{name}: a resource target must be > 0 (got {dim_bounds(dim)})")
        if self.reuse_factor is not None and dim_bounds(self.reuse_factor)[0] < 1:
            problems.append(f"reuse_factor: must be >= 1 (got {dim_bounds(self.reuse_factor)})")
        for i, dim in enumerate(self.hidden or []):
            if dim_bounds(dim)[0] < 1:
                problems.append(f"hidden.{i}: layer widths must be >= 1 (got {dim_bounds(dim)})")
        if problems:
            raise ValueError("; ".join(problems))
        if not any(getattr(self, f) is not None for f in ("weight_bits", "activation_bits", "sparsity", "hidden",
                                                           "reuse_factor", "strategy", "target_lut",
                                                           "target_ebops")):
            raise ValueError("names no dimension: add at least one of weight_bits, activation_bits, sparsity, "
                             f"hidden, reuse_factor, strategy, target_lut, target_ebops (see "
                             f"{example_for('ScanSpace')})")
        return self


QUALITY_OBJECTIVES = ("accuracy",)  # plus auc.<class>
COST_OBJECTIVES = ("lut", "ff", "dsp", "bram", "lut_dsp", "latency_cycles", "latency_ns")
_AUC = re.compile(r"^auc\.(q|g|W|Z|t)$")


def objective_direction(name: str) -> Literal["maximize", "minimize"]:
    return "maximize" if name in QUALITY_OBJECTIVES or _AUC.match(name) else "minimize"


class SamplerSpec(_Strict):
    # gp: Gaussian-process Bayesian optimisation on scikit-learn (scan/gp_sampler.py; no torch)
    kind: Literal["nsga2", "tpe", "gp"] = "nsga2"
    seed: int = Field(1, ge=0, le=2**31 - 1)
    population_size: int = Field(8, ge=2, description="NSGA-II generation size")
    startup_trials: int = Field(8, ge=1, description="TPE/GP: random trials before the model kicks in")


class TrialSpec(_Strict):
    """Shortened training for each trial; None keeps the recipe's value."""

    epochs: int | None = Field(None, ge=1)
    compress_epochs: int | None = Field(None, ge=1)


class ScanSpace(_Strict):
    space: SpaceSpec
    objectives: list[str] = Field(default_factory=lambda: ["accuracy", "lut_dsp", "latency_cycles"], min_length=1)
    dsp_lut_equivalent: float = Field(
        141.0, gt=0,
        description="LUTs one DSP counts as in the lut_dsp objective; 141 = LUT/DSP ratio of the xcvu13p, so the sum "
                    "weighs each resource by the fraction of the device it uses")
    sampler: SamplerSpec = SamplerSpec()
    trial: TrialSpec = TrialSpec()
    pretrain_slack: float = Field(
        2.0, ge=1,
        description="a trial is pruned before training only if its pre-training estimate exceeds a budget line by "
                    "this factor (the estimate without trained weights is not a bound)")

    @field_validator("objectives")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = [o for o in v if o not in QUALITY_OBJECTIVES + COST_OBJECTIVES and not _AUC.match(o)]
        if unknown:
            raise ValueError(f"unknown objective(s) {unknown}; use accuracy, auc.<class> (q, g, W, Z, t) or one of "
                             f"{', '.join(COST_OBJECTIVES)}")
        if len(set(v)) != len(v):
            raise ValueError(f"lists an objective twice: {v}")
        return v

