"""Recipe schema: what a YAML file under ``models/`` may say, validated once at the edge.

Every model is ``extra="forbid"`` so a misspelt key is an error naming the field. What depends on the registered
families and tasks (``model.params`` against the family's params model, QAT layer names, the data kind the family's
task reads) is checked above them, where a recipe enters for use: ``edgenn.tasks.recipe_check.check_recipe``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator

CLASSES = ("q", "g", "W", "Z", "t")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GenerateSpec(Strict):
    """How to make the dataset when it is not on disk yet (``edgenn data generate jets``)."""

    jets_per_class: int = Field(2000, ge=1)
    fast: bool = True
    detector: bool = Field(False, description="jets measured by the simple tracker + calorimeter response "
                                              "(`edgenn data generate jets --detector`)")

    def command(self, out: Path) -> str:
        """The ``edgenn data generate jets`` command that makes this dataset at ``out``."""
        flags = (" --fast" if self.fast else "") + (" --detector" if self.detector else "")
        return f"edgenn data generate jets --out {out} --jets-per-class {self.jets_per_class}{flags}"


class DataSpec(Strict):
    kind: Literal["jets", "events"] = Field("jets", description="jets: tagging; events: trigger anomaly detection")
    path: Path = Path("data/jets")
    format: Literal["edgenn", "hls4ml"] = "edgenn"
    features: list[str] | Literal["hlf16"] = "hlf16"
    num_constituents: int = Field(16, ge=1, le=50, description="leading particles fed to graph/set models")
    constituent_features: list[str] | None = Field(None, description="per-particle features; None: all stored")
    image_size: int = Field(32, ge=4, le=128, description="jet image pixels per side (images are built on load)")
    image_extent: float = Field(0.8, gt=0, le=2.0, description="image half-width in delta-eta and delta-phi")
    classes: list[Literal["q", "g", "W", "Z", "t"]] = Field(default_factory=lambda: list(CLASSES))
    val_fraction: float = Field(0.2, gt=0, lt=0.5)
    # up to 0.9: an anomaly threshold at FPR 1e-5 needs >= 1e5 background *test* events, more than training needs
    test_fraction: float = Field(0.2, gt=0, lt=0.9)
    generate: GenerateSpec = GenerateSpec()
    signals: list[str] | None = Field(None, description="events: BSM processes to evaluate (None: all in the data); "
                                                        "names are checked against the dataset when it is loaded")

    @field_validator("signals")
    @classmethod
    def _distinct_signals(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and (not v or len(set(v)) != len(v)):
            raise ValueError(f"must list distinct signal process names (got {v})")
        return v

    @field_validator("classes")
    @classmethod
    def _at_least_two(cls, v: list[str]) -> list[str]:
        if len(set(v)) < 2:
            raise ValueError("needs at least two distinct classes to train a classifier")
        return v

    @model_validator(mode="after")
    def _leaves_training_data(self) -> DataSpec:
        if self.val_fraction + self.test_fraction > 0.9:
            raise ValueError(f"val_fraction + test_fraction = {self.val_fraction + self.test_fraction:g} leaves less "
                             "than 10 % of the data for training; lower one of them")
        return self


class ModelSpec(Strict):
    family: str = "dense"
    params: dict[str, Any] = Field(default_factory=dict)


class EarlyStopping(Strict):
    patience: int = Field(5, ge=1)
    min_delta: float = Field(0.0, ge=0)


class TrainSpec(Strict):
    epochs: int = Field(30, ge=1)
    batch_size: int = Field(256, ge=1)
    learning_rate: float = Field(1e-3, gt=0, le=1)
    early_stopping: EarlyStopping | None = EarlyStopping()


class PruneSpec(Strict):
    final_sparsity: float = Field(0.8, ge=0, lt=1)
    initial_sparsity: float = Field(0.0, ge=0, lt=1)
    begin_fraction: float = Field(0.0, ge=0, lt=1)
    end_fraction: float = Field(0.7, gt=0, le=1)
    frequency_steps: int = Field(100, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> PruneSpec:
        if self.initial_sparsity > self.final_sparsity:
            raise ValueError("initial_sparsity must not exceed final_sparsity")
        if self.begin_fraction >= self.end_fraction:
            raise ValueError("begin_fraction must be smaller than end_fraction")
        return self


class QuantBits(Strict):
    """A fixed-point quantizer: ``bits`` total (sign included for signed), ``integer`` bits left of the point."""

    bits: int = Field(ge=1, le=32)
    integer: int = Field(ge=0, le=31)

    @model_validator(mode="after")
    def _fits(self) -> QuantBits:
        if self.integer > self.bits:
            raise ValueError(f"integer bits ({self.integer}) cannot exceed total bits ({self.bits})")
        return self


class LayerQuant(Strict):
    weight: QuantBits | None = None
    bias: QuantBits | None = None
    activation: QuantBits | None = None


class QatSpec(Strict):
    weight: QuantBits = QuantBits(bits=6, integer=0)
    bias: QuantBits = QuantBits(bits=8, integer=3)
    activation: QuantBits = QuantBits(bits=8, integer=3)
    input: QuantBits = QuantBits(bits=12, integer=4)
    layers: dict[str, LayerQuant] = Field(default_factory=dict)


class DistillSpec(Strict):
    teacher: Path | Literal["float"] = "float"
    alpha: float = Field(0.1, ge=0, le=1)
    temperature: float = Field(4.0, gt=0)


class LearnedPrecisionSpec(Strict):
    """HGQ: a bit-width learned per weight and activation, regularised by beta * EBOPs (compression/learned_precision.py)."""

    beta: float = Field(1e-5, ge=0, le=1)              # resource weight of the loss; larger -> fewer EBOPs
    init_weight_bits: float = Field(4.0, ge=0, le=16)  # fractional bits every weight starts from
    init_activation_bits: float = Field(6.0, ge=0, le=16)
    cover_factor: float = Field(1.0, ge=1.0, le=4.0)   # widen the traced activation ranges (fewer overflows)
    overflow: Literal["wrap", "saturate"] = "wrap"     # at the traced ranges; saturate costs a little more logic


class ResourceTarget(Strict):
    """A resource to fit instead of a beta: the controller steers beta during the run (compression/beta_control.py).

    ``lut`` is mapped to EBOPs through the measured da4ml-LUT-vs-EBOPs relation of ``compression/resource_map.py``.
    The result is refused (exit 1) if its traced EBOPs exceed the target by more than ``margin``; landing below it is
    allowed (the model fits), and the achieved figure is reported either way."""

    lut: int | None = Field(None, gt=0)
    ebops: float | None = Field(None, gt=0)
    margin: float = Field(0.10, gt=0, le=1)  # fraction of the target the traced EBOPs may exceed it by

    @model_validator(mode="after")
    def _one_resource(self) -> ResourceTarget:
        if (self.lut is None) == (self.ebops is None):
            raise ValueError("give exactly one of lut or ebops (e.g. target: {lut: 10000})")
        return self


class CompressSpec(Strict):
    epochs: int = Field(20, ge=1)
    learning_rate: float = Field(1e-3, gt=0, le=1)
    prune: PruneSpec | None = None
    qat: QatSpec | None = None
    distill: DistillSpec | None = None
    learned_precision: LearnedPrecisionSpec | None = None
    target: ResourceTarget | None = None  # steer learned_precision's beta to a resource instead of fixing it

    @model_validator(mode="after")
    def _something(self) -> CompressSpec:
        if self.prune is None and self.qat is None and self.distill is None and self.learned_precision is None:
            raise ValueError("names no compression pass: add at least one of prune, qat, distill, learned_precision")
        if self.learned_precision is not None and self.qat is not None:
            raise ValueError("qat and learned_precision both choose the bit-widths: keep one of them")
        if self.target is not None and self.learned_precision is None:
            raise ValueError("target steers learned_precision's beta: add learned_precision: {} (its beta is then "
                             "only the starting value)")
        return self


class LayerHls(Strict):
    """hls4ml settings of one layer (recipe ``export.fpga.layers.<name>`` and ``--hls-config`` ``layers.<name>``)."""

    reuse_factor: int | None = Field(None, ge=1)
    parallelization_factor: int | None = Field(None, ge=1)
    strategy: Literal["Latency", "Resource"] | None = None
    # ap_fixed strings by hls4ml type name (an activation has only a result); a set type replaces edgenn's derived
    # one, so the layer is measured, not assumed exact (unless the type is the derived one)
    precision: dict[Literal["result", "weight", "bias", "accum"], str] | None = None

    @field_validator("precision")
    @classmethod
    def _hls_types(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        from edgenn.config.hls_types import parse_ap_type

        for key, text in (value or {}).items():
            try:
                parse_ap_type(text)
            except ValueError as exc:
                raise ValueError(f"precision.{key}: {exc}") from None
        return value


class FpgaSpec(Strict):
    """The recipe's ``export.fpga`` section and the settings the fpga and hls_project targets take (flags and
    ``--hls-config`` on top, validated once: ``runners.export_settings``); the rtl target takes its part and clock."""

    part: str = "xcvu13p-flga2577-2-e"
    clock_period_ns: float = Field(5.0, gt=0)
    io_type: Literal["io_parallel", "io_stream"] = "io_parallel"
    # auto: the cheaper of Latency and distributed_arithmetic that meets the budget, by their estimates
    strategy: Literal["Latency", "Resource", "distributed_arithmetic", "auto"] = "Latency"
    reuse_factor: int = Field(1, ge=1)
    backend: Literal["Vitis", "Vivado"] = "Vitis"
    ii_target: int | None = Field(None, ge=1, description="cycles between inputs; edgenn chooses each layer's "
                                                          "ParallelizationFactor/ReuseFactor to meet it")
    input_rate_mhz: float | None = Field(None, gt=0, description="or the input rate (40 = LHC bunch crossings), "
                                                                 "converted to cycles with the clock")
    layers: dict[str, LayerHls] = Field(default_factory=dict, description="explicit per-layer settings (win over "
                                                                          "ii_target)")

    @field_validator("part")
    @classmethod
    def _known_part(cls, value: str) -> str:
        from edgenn.config.parts import PART_FIX, is_known_part

        if not is_known_part(value):  # checked at load, not hours later in the vendor tool
            raise ValueError(f"unknown FPGA part; {PART_FIX}")
        return value

    @model_validator(mode="after")
    def _da_constraints(self) -> FpgaSpec:
        if self.strategy == "distributed_arithmetic" and (self.reuse_factor != 1 or self.io_type != "io_parallel"):
            raise ValueError("strategy distributed_arithmetic needs reuse_factor 1 and io_type io_parallel "
                             f"(got reuse_factor {self.reuse_factor}, io_type {self.io_type})")
        if self.ii_target is not None and self.input_rate_mhz is not None:
            raise ValueError("give ii_target or input_rate_mhz, not both (40 MHz at a 5 ns clock is ii_target 5)")
        return self


class RtlSpec(Strict):
    """The recipe's ``export.rtl`` section: what only the rtl target (da4ml Verilog) takes; its part and clock are
    ``export.fpga``'s. Flags on top, validated once with them (``runners.export_settings``) into ``RtlSettings``."""

    adder_levels_per_cycle: int | None = Field(None, ge=1, description="adder levels per pipeline stage (default: "
                                                                       "one per ns of the clock period)")


class ExportSpec(Strict):
    fpga: FpgaSpec = FpgaSpec()
    rtl: RtlSpec = RtlSpec()
    validation_samples: int = Field(10000, ge=1)
    # what the firmware does with a softmax head: drop (logits, exact), argmax (class, exact), table (hls4ml's tables)
    softmax: Literal["drop", "argmax", "table"] = "drop"

    @model_serializer(mode="wrap")
    def _canonical(self, handler):
        # A recipe that leaves export.rtl at its defaults dumps (recipe.yml, manifests) and hashes as it did before
        # the section existed, so run and recipe hashes of existing recipes do not change.
        data = handler(self)
        if self.rtl == RtlSpec() and isinstance(data, dict):
            data.pop("rtl", None)
        return data


class AnomalySpec(Strict):
    """Trigger-style evaluation of anomaly-detection families (autoencoder, vae, ae_student)."""

    target_fpr: float = Field(1e-5, gt=0, lt=1, description="background acceptance at which signal efficiency is "
                                                             "quoted")
    target_rate_khz: float | None = Field(None, gt=0, lt=40_000, description="alternatively a trigger rate out "
                                                                              "of 40 MHz; overrides target_fpr")
    teacher: Path | None = Field(None, description="ae_student: trained autoencoder run whose log reconstruction "
                                                   "error the student regresses")
    # The teacher can label any input, not only real events: noisy copies of the background teach the student the
    # teacher's response off the background manifold, where signals sit and where a ReLU student trained on background
    # alone extrapolates freely (measured on a small sample: student-teacher r 0.83-0.88 without, 0.92-0.95 with).
    student_augment: float = Field(1.0, ge=0, le=10, description="ae_student: teacher-labelled noisy copies per "
                                                                 "training event (0 = real events only)")

    @property
    def fpr(self) -> float:
        return self.target_rate_khz / 40_000.0 if self.target_rate_khz is not None else self.target_fpr


class Recipe(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    seed: int = Field(42, ge=0, le=2**31 - 1)
    data: DataSpec = DataSpec()
    model: ModelSpec = ModelSpec()
    train: TrainSpec = TrainSpec()
    compress: CompressSpec | None = None
    export: ExportSpec = ExportSpec()
    anomaly: AnomalySpec | None = None
