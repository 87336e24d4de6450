"""LUTs <-> EBOPs for learned-precision models: the measured relation a ``compress.target: {lut: N}`` is mapped by.

HGQ's controller (``beta_control.py``) can only steer a figure it measures during training, the traced EBOPs. A LUT
target is turned into EBOPs with a power law ``LUT = a * EBOPs ** b`` fitted (least squares in log-log) to measured
pairs: jet MLPs (16-64-32-32-5) compressed with learned precision at fixed betas, each HGQ proxy converted with hls4ml's
distributed_arithmetic strategy and costed by da4ml (``estimates.da4ml_cost``: one LUT per adder bit). The pairs and
the command that made them are below; ``benchmarks/hgq_lut_vs_ebops.py`` re-measures them.

The relation is da4ml's LUT on the DA path for dense HGQ models; it is not a post-place-and-route count (no vendor
tool here), and other families or the Latency strategy are outside the points it was fitted on. The report says so
beside every LUT figure derived from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# (traced EBOPs, da4ml LUT) per point; measured by
#   edgenn data generate jets --out data/jets --jets-per-class 6000 --fast
#   python benchmarks/hgq_lut_vs_ebops.py --data data/jets --runs runs/lut_vs_ebops --betas ...
# (the last two from this repository's benchmarks/hgq_vs_qkeras.py on 30,000 jets, seed 42: the 15k-LUT target's cell,
# and the 5k-LUT target run with 40 compress epochs, its proxy costed by benchmarks/hgq_lut_vs_ebops.py's measure)
POINTS: tuple[tuple[float, float], ...] = (
    (14_918.0, 14_400.0),  # ../shared/notes/learned-precision.md: beta 3e-6, 15k training jets, 200 epochs
    (49_398.0, 32_969.0),  # BENCHMARKS.md: models/jet_mlp_hgq.yml on 15,000 jets
    (14_763.0, 14_640.0),  # hgq_vs_qkeras: target lut 15000, 20 compress epochs
    (2_868.0, 4_049.0),    # target lut 5000, 40 compress epochs
)


@dataclass(frozen=True)
class PowerLaw:
    name: str
    a: float
    b: float
    points: tuple[tuple[float, float], ...]

    @property
    def description(self) -> str:
        lo, hi = min(e for e, _ in self.points), max(e for e, _ in self.points)
        return (f"{self.name}: LUT = {self.a:.4g} * EBOPs^{self.b:.3f}, fitted on {len(self.points)} da4ml-costed "
                f"HGQ jet MLPs ({lo:,.0f}-{hi:,.0f} EBOPs; compression/resource_map.py)")

    def lut_for_ebops(self, ebops: float) -> float:
        return self.a * max(ebops, 0.0) ** self.b

    def ebops_for_lut(self, lut: float) -> float:
        return (lut / self.a) ** (1.0 / self.b)


def fit_power_law(name: str, points: tuple[tuple[float, float], ...]) -> PowerLaw:
    xs = [math.log(e) for e, _ in points]
    ys = [math.log(lut) for _, lut in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return PowerLaw(name, math.exp(my - b * mx), b, points)


RELATION = fit_power_law("da4ml LUT vs traced EBOPs (jet MLP, distributed_arithmetic)", POINTS)


def ebops_for_lut(lut: float) -> float:
    return RELATION.ebops_for_lut(lut)
