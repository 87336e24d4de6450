"""Published reference points for the hls4ml jet MLP 16-64-32-32-5, the fit of the model constants, and the error.

Every number below was read from the source named beside it; nothing is estimated or remembered. Two HLS reports
(Vivado HLS 2019.2 and Vitis HLS 2022.2 csynth of the hls4ml-tutorial part-1 model, committed to public repositories)
carry the fit. Both projects commit their trained weights too (corpus/synthesis), so the fit runs on the designs as
`edgenn export` reads them (`calibration_designs.json`: the per-layer weight statistics of the two rebuilt
designs), not on the declared widths: fitted without the weights, the LUT-per-adder-bit constant had absorbed the
constant multipliers that the weight-aware model then counted again (+40 % LUT on the tutorial MLPs). The project's own da4ml + Yosys measurement is a different architecture (distributed arithmetic) and
is compared, never fitted. Points whose design could not be pinned down are kept as data with `usable=False`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from edgenn.estimates.analytic import DEFAULT_CONSTANTS, ModelConstants, estimate, weight_statistics
from edgenn.estimates.resources import DesignSpec, LayerSpec, ResourceReport

JET_MLP_SIZES = (16, 64, 32, 32, 5)
CALIBRATION_DESIGNS = Path(__file__).with_name("calibration_designs.json")
FIGURES = ("lut", "ff", "dsp", "bram", "latency_cycles")


@dataclass(frozen=True)
class ReferencePoint:
    key: str
    source: str          # where the numbers were read
    tool: str            # what produced them
    design: str          # what was built
    figures: dict[str, float]        # design totals, only the figures the source gives
    components: dict[str, float]     # per-layer-kind sums used by the fit (same source)
    role: str            # 'fit' | 'compare' | 'recorded'
    usable: bool = True
    caveat: str = ""
    corpus_design: str = ""  # the corpus design (calibration_designs.json) this report synthesised, with weights


TUTORIAL_VIVADO_HLS_2019 = ReferencePoint(
    key="tutorial_p1_vivado_hls_2019_2",
    source=("github Hector-Plata/hls4ml-tutorial @4ac4f07a0edf530cde74aec53610e1e22a6ecc2d, "
            "model_1/hls4ml_prj/myproject_prj/solution1/syn/report/myproject_csynth.rpt"),
    tool="Vivado HLS 2019.2 csynth (HLS estimate, not post-synthesis), xcu250-figd2104-2L-e, 5 ns target",
    design="hls4ml-tutorial part 1: Dense 16-64-32-32-5 + ReLU + softmax, ap_fixed<16,6> everywhere, Latency, RF=1",
    figures={"lut": 85140, "ff": 11100, "dsp": 1520, "bram": 4, "latency_cycles": 13},
    components={"dense_lut": 36101 + 22514 + 18843 + 3392, "dense_ff": 2958 + 2201 + 1960 + 321,
                "dense_dsp": 575 + 477 + 349 + 114, "relu_lut": 1792 + 896 + 896, "softmax_lut": 664,
                "softmax_ff": 236},
    role="fit",
    corpus_design="hector_plata_tutorial_model1_4ac4f07",
)

TUTORIAL_VITIS_HLS_2022 = ReferencePoint(
    key="tutorial_p1_vitis_hls_2022_2",
    source=("github nrp-nautilus/6nrp-hls4ml @c83384d5a417642bb38ce8a523b8c4c189ecdc26, "
            "model_1/hls4ml_prj/myproject_prj/solution1/syn/report/myproject_csynth.rpt"),
    tool="Vitis HLS 2022.2 csynth (HLS estimate, not post-synthesis), xcu250-figd2104-2L-e, 5 ns target",
    design="hls4ml-tutorial part 1: Dense 16-64-32-32-5 + ReLU + softmax, ap_fixed<16,6> everywhere, Latency, RF=1",
    figures={"lut": 116694, "ff": 24233, "dsp": 2557, "bram": 8, "latency_cycles": 15},
    components={"dense_lut": 4344 + 28385 + 53363 + 26236, "dense_ff": 890 + 5814 + 8686 + 4895,
                "dense_dsp": 122 + 719 + 1097 + 614, "relu_lut": 1792 + 896 + 896, "softmax_lut": 742,
                "softmax_ff": 522},
    role="fit",
    caveat="a different training run than the 2019.2 report: weights differ, so DSP differs (2,552 vs 1,515 dense)",
    corpus_design="nrp_tutorial_model1",
)

DA4ML_YOSYS_PROJECT = ReferencePoint(
    key="edgenn_da4ml_yosys",
    source="shared/notes/hardware-reports.md sections 3 and 5 (project measurement)",
    tool="da4ml 0.6.0 RTL (latency_cutoff=5) synthesised by Yosys 0.23 synth_xilinx -family xcup (not Vivado)",
    design=("Dense 16-64-32-32-5, 6-bit weights rng(0).integers(-32, 32)/32, input ap_fixed<16,6>, "
            "hidden ap_ufixed<8,4>, no softmax, distributed arithmetic (CSE adder graph)"),
    figures={"lut": 57790, "ff": 14855, "dsp": 0, "bram": 0},
    components={},
    role="compare",
    caveat=("different architecture: da4ml shares subexpressions across a whole layer, HLS Latency strategy does not; "
            "latency (8 stages) is set by the user's cutoff, so it is not compared"),
)

HGQ_TABLE_SECONDARY = ReferencePoint(
    key="hgq_table1_secondary",
    source=("arXiv:2405.00645 Table I (QKeras models of arXiv:2006.10159 on VU9P), read only as a transcription in a "
            "public research log (BNJetTag); the primary tables were not reachable with the search tools"),
    tool="Vivado, VU9P, 200 MHz (per the transcription)",
    design="BF: 9 cycles, 56.0% DSP, 4.09% LUT; Q6: 11 cycles, 1.8% DSP, 3.36% LUT (precision/pruning not confirmed)",
    figures={},
    components={},
    role="recorded",
    usable=False,
    caveat=("not used: the transcribed DSP percentage does not reconcile with the VU9P's 6,840 DSPs and the "
            "models' precisions/pruning could not be confirmed from the primary paper"),
)

RULE4ML_NOTES = ReferencePoint(
    key="rule4ml_ml_estimate",
    source="shared/notes/hardware-reports.md section 7 (rule4ml 0.2.0 run by the project)",
    tool="rule4ml ML regressor (sMAPE 10-30 % against csynth per its authors) - an estimate, not a measurement",
    design="jet MLP, u250, Latency, RF=1: ap_fixed<6,1> 22,664 LUT / 103.5 DSP / 22.6 cycles; "
           "ap_fixed<16,6> 41,844 LUT / 706 DSP",
    figures={},
    components={},
    role="recorded",
    usable=False,
    caveat="another estimator; never a ground truth",
)

REFERENCE_POINTS = (TUTORIAL_VIVADO_HLS_2019, TUTORIAL_VITIS_HLS_2022, DA4ML_YOSYS_PROJECT, HGQ_TABLE_SECONDARY,
                    RULE4ML_NOTES)

# Documented bounds on |relative error| over the 'fit' points (docs/estimates.md); tests check the computed errors.
ERROR_BOUNDS = {"lut": 0.15, "ff": 0.10, "dsp": 0.05, "bram": 0.55, "latency_cycles": 0.15}


# ----------------------------------------------------------------------------------------------- design builders

def _dense(name: str, n_in: int, n_out: int, *, w: int, x: int, acc: int, res: int, rf: int = 1,
           strategy: str = "Latency", codes: np.ndarray | None = None) -> LayerSpec:
    if codes is None:
        return LayerSpec(name, "dense", n_in, n_out, weight_width=w, input_width=x, accum_width=acc, result_width=res,
                         num_nonzero_weights=n_in * n_out, reuse_factor=rf, strategy=strategy)
    nonzero, pow2, hist, digits = weight_statistics(codes, True)
    return LayerSpec(name, "dense", n_in, n_out, weight_width=w, input_width=x, accum_width=acc, result_width=res,
                     num_nonzero_weights=nonzero, reuse_factor=rf, strategy=strategy,
                     num_power_of_two_weights=pow2, mult_sig_bits_hist=hist, lut_mult_csd_digits=digits)


def tutorial_design(clock_period_ns: float = 5.0) -> DesignSpec:
    """The hls4ml-tutorial part-1 model as both HLS reports built it (weight values unknown)."""
    layers: list[LayerSpec] = [LayerSpec("input", "input", 16, 16, result_width=16)]
    for i, (a, b) in enumerate(zip(JET_MLP_SIZES[:-1], JET_MLP_SIZES[1:])):
        layers.append(_dense(f"fc{i + 1}", a, b, w=16, x=16, acc=16, res=16))
        if i < 3:
            layers.append(LayerSpec(f"relu{i + 1}", "relu", b, b, input_width=16, result_width=16))
    layers.append(LayerSpec("softmax", "softmax", 5, 5, input_width=16, result_width=16, accum_width=18))
    return DesignSpec(tuple(layers), clock_period_ns, part="xcu250-figd2104-2L-e")


def da4ml_project_design(clock_period_ns: float = 5.0) -> DesignSpec:
    """The project's da4ml jet MLP (hardware-reports.md section 3) as an HLS Latency design would build it."""
    rng = np.random.default_rng(0)
    codes = [rng.integers(-32, 32, (a, b)) for a, b in zip(JET_MLP_SIZES[:-1], JET_MLP_SIZES[1:])]
    layers: list[LayerSpec] = [LayerSpec("input", "input", 16, 16, result_width=16)]
    widths_in = (16, 8, 8, 8)
    for i, (a, b) in enumerate(zip(JET_MLP_SIZES[:-1], JET_MLP_SIZES[1:])):
        layers.append(_dense(f"fc{i}", a, b, w=6, x=widths_in[i], acc=32, res=32 if i < 3 else 16, codes=codes[i]))
        if i < 3:
            layers.append(LayerSpec(f"relu{i}", "relu", b, b, input_width=32, result_width=8))
    return DesignSpec(tuple(layers), clock_period_ns, part="xcvu13p-flga2577-2-e")


def corpus_design(key: str) -> DesignSpec:
    """A fit point's design as the export path read it (stored weight statistics, calibration_designs.json)."""
    data = json.loads(CALIBRATION_DESIGNS.read_text())["designs"][key]
    layers = tuple(LayerSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in layer.items()})
                   for layer in data["layers"])
    return DesignSpec(layers, data["clock_period_ns"], part=data["part"], io_type=data["io_type"], tool=data["tool"])


def _design_for(point: ReferencePoint) -> DesignSpec:
    if point.corpus_design:
        return corpus_design(point.corpus_design)
    return da4ml_project_design() if point is DA4ML_YOSYS_PROJECT else tutorial_design()


# ----------------------------------------------------------------------------------------------------- the fit

def _kind_sum(report: ResourceReport, design: DesignSpec, kind: str, figure: str) -> float:
    kinds = {layer.name: layer.kind for layer in design.layers}
    return sum(getattr(e, figure).value for e in report.layers if kinds[e.name] == kind)


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def fit_constants(points: tuple[ReferencePoint, ...] | None = None) -> ModelConstants:
    """Scale constants = geometric mean over the fit points of (reported component / model component at scale 1);
    the FF per DSP of a Dense is read per tool generation (reported Dense FF / reported Dense DSP)."""
    points = points or tuple(p for p in REFERENCE_POINTS if p.role == "fit")
    unit = replace(DEFAULT_CONSTANTS, lut_per_adder_bit=1.0, ff_per_register_bit=1.0, relu_lut_per_bit=1.0,
                   softmax_lut_per_table_bit=1.0)
    ratios: dict[str, list[float]] = {"lut": [], "ff": [], "relu": [], "softmax": []}
    per_dsp: dict[str, float] = {}
    for point in points:
        design = _design_for(point)
        report = estimate(design, unit)
        c = point.components
        ratios["lut"].append(c["dense_lut"] / _kind_sum(report, design, "dense", "lut"))
        ratios["ff"].append(c["softmax_ff"] / _kind_sum(report, design, "softmax", "ff"))
        ratios["relu"].append(c["relu_lut"] / _kind_sum(report, design, "relu", "lut"))
        ratios["softmax"].append(c["softmax_lut"] / _kind_sum(report, design, "softmax", "lut"))
        per_dsp[design.tool] = c["dense_ff"] / c["dense_dsp"]
    return replace(DEFAULT_CONSTANTS, lut_per_adder_bit=round(_geomean(ratios["lut"]), 2),
                   ff_per_register_bit=round(_geomean(ratios["ff"]), 2),
                   relu_lut_per_bit=round(_geomean(ratios["relu"]), 2),
                   softmax_lut_per_table_bit=round(_geomean(ratios["softmax"]), 2),
                   ff_per_dsp_vivado=round(per_dsp.get("Vivado", DEFAULT_CONSTANTS.ff_per_dsp_vivado), 2),
                   ff_per_dsp_vitis=round(per_dsp.get("Vitis", DEFAULT_CONSTANTS.ff_per_dsp_vitis), 2))


@dataclass(frozen=True)
class Comparison:
    key: str
    role: str
    figure: str
    reference: float
    estimate: float

    @property
    def relative_error(self) -> float:
        """(estimate - reference) / reference; ``inf`` when the reference is 0 and the estimate is not."""
        if self.reference == 0:
            return 0.0 if self.estimate == 0 else math.inf
        return (self.estimate - self.reference) / self.reference


def compare(constants: ModelConstants = DEFAULT_CONSTANTS) -> tuple[Comparison, ...]:
    """Estimate every usable reference design and pair each reported total with our figure."""
    rows: list[Comparison] = []
    for point in REFERENCE_POINTS:
        if not point.usable:
            continue
        total = estimate(_design_for(point), constants).total
        for figure in FIGURES:
            if figure in point.figures:
                rows.append(Comparison(point.key, point.role, figure, point.figures[figure],
                                       getattr(total, figure).value))
    return tuple(rows)


def max_abs_error(rows: tuple[Comparison, ...], role: str = "fit") -> dict[str, float]:
    out: dict[str, float] = {}
    for row in rows:
        if row.role == role:
            out[row.figure] = max(out.get(row.figure, 0.0), abs(row.relative_error))
    return out


def comparison_markdown(rows: tuple[Comparison, ...]) -> str:
    lines = ["| reference | role | figure | reported | analytic | rel. error |", "|---|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.key} | {r.role} | {r.figure} | {r.reference:,.0f} | {r.estimate:,.0f} | "
                     f"{r.relative_error:+.0%} |")
    return "\n".join(lines)


__all__ = ["REFERENCE_POINTS", "ERROR_BOUNDS", "ReferencePoint", "Comparison", "fit_constants", "compare",
           "max_abs_error", "comparison_markdown", "tutorial_design", "da4ml_project_design", "corpus_design"]
