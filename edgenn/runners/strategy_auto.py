"""``export.fpga.strategy: auto``: choose Latency or distributed_arithmetic by their estimates, before compiling.

Both candidates are converted with hls4ml (no g++) and costed the way the export reports them: Latency by edgenn's
analytic model, distributed_arithmetic by da4ml's kernel cost (``estimates.da4ml_cost``). A candidate *meets the
budget* when every latency/II/resource ``max`` line of the budget holds on its figures; a figure that is only a lower
bound (``Figure.bound == "lower"``, e.g. the analytic model on an HGQ proxy's quantizer layers) cannot be shown to hold
a ``max`` and counts as not meeting it, unless it breaks it outright. Among those that meet it the one with the fewest
resources wins, counted as ``LUT + 141 * DSP`` (the scan's ``lut_dsp``: 141 is the xcvu13p's LUT/DSP ratio, so each
resource weighs by the fraction of the device it takes; BRAM is 0 in both for these models). With no budget, the ``ii_target`` (if set) is the only line. If neither meets it, the cheaper one is chosen
and the reason says what it breaks, so the export and ``edgenn check`` fail on the real figure, not on a guess.

Ranking two figures where the cheaper-looking one is a lower bound is not possible: then the definite figure wins,
and the reason says so. distributed_arithmetic needs reuse factor 1 and io_parallel; otherwise it is not a candidate.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

CANDIDATES = ("Latency", "distributed_arithmetic")
DSP_LUT_EQUIVALENT = 141.0  # as config.scan.ScanSpace.dsp_lut_equivalent's default
_CHECKED = ("lut", "ff", "dsp", "bram", "latency_ns", "latency_cycles", "ii_cycles")


@dataclass(frozen=True)
class Candidate:
    strategy: str
    figures: dict[str, Any]  # figure name -> estimates.Figure of the design total
    broken: tuple[str, ...]  # budget lines it breaks or cannot be shown to hold
    skipped: str = ""

    @property
    def cost(self) -> float:
        return self.figures["lut"].value + DSP_LUT_EQUIVALENT * self.figures["dsp"].value

    @property
    def lower_bound(self) -> bool:
        return any(self.figures[k].bound == "lower" for k in ("lut", "dsp"))

    def to_dict(self) -> dict:
        if self.skipped:
            return {"strategy": self.strategy, "skipped": self.skipped}
        return {"strategy": self.strategy, "lut_equivalent": self.cost, "lower_bound": self.lower_bound,
                "broken": list(self.broken),
                "figures": {k: self.figures[k].to_dict() for k in _CHECKED if k in self.figures}}


@dataclass(frozen=True)
class StrategyChoice:
    strategy: str
    reason: str
    candidates: tuple[Candidate, ...]
    budget: str  # where the lines came from

    def to_dict(self) -> dict:
        return {"strategy": self.strategy, "reason": self.reason, "budget": self.budget,
                "candidates": [c.to_dict() for c in self.candidates]}


def budget_lines(budget, ii_target: int | None) -> dict[str, float]:
    """The ``max`` lines a strategy can change: resources, latency and II (quality does not depend on it)."""
    lines = {}
    if budget is not None:
        for key in _CHECKED:
            limit = getattr(budget, key, None)
            if limit is not None and limit.max is not None:
                lines[key] = float(limit.max)
    if ii_target is not None:
        lines["ii_cycles"] = min(lines.get("ii_cycles", float("inf")), float(ii_target))
    return lines


def broken_lines(figures: dict, lines: dict[str, float]) -> tuple[str, ...]:
    out = []
    for key, limit in lines.items():
        figure = figures[key]
        if figure.value > limit:
            out.append(f"{key} {figure.value:,.0f} > {limit:,.0f}")
        elif figure.bound == "lower":
            out.append(f"{key} >= {figure.value:,.0f} (a lower bound) cannot be shown <= {limit:,.0f}")
    return tuple(out)


def estimate_strategy(model, settings, strategy: str, *, hgq: bool, x_calibration=None) -> dict:
    """Total figures of ``model`` exported with ``strategy`` (hls4ml convert only, no compile)."""
    from edgenn.estimates import design_from_hls_model, estimate

    trial = replace(settings, strategy=strategy)
    with tempfile.TemporaryDirectory(prefix="edgenn-strategy-") as tmp:
        if hgq:
            from edgenn.exporters.hgq_hls import convert_hgq_hls

            hls_model, _ = convert_hgq_hls(model, Path(tmp), trial)
        else:
            from edgenn.exporters.hls import export_hls

            hls_model = export_hls(model, Path(tmp), trial, x_calibration=x_calibration, compile=False).hls_model
        if strategy == "distributed_arithmetic":
            from edgenn.estimates.da4ml_cost import estimate_da

            report = estimate_da(hls_model)
        else:
            report = estimate(design_from_hls_model(hls_model))
    return report.total.figures()


def choose_strategy(model, settings, *, budget=None, budget_source: str = "", hgq: bool,
                    x_calibration=None) -> StrategyChoice:
    """Estimate every candidate strategy for ``model`` and pick one (module docstring). ``settings``: HlsSettings
    with any concrete strategy (it is replaced per candidate)."""
    lines = budget_lines(budget, settings.ii_target_cycles)
    source = budget_source or ("ii_target only" if lines else "no budget: fewest resources")
    candidates = []
    for strategy in CANDIDATES:
        if strategy == "distributed_arithmetic" and (settings.reuse_factor != 1 or settings.io_type != "io_parallel"):
            candidates.append(Candidate(strategy, {}, (), skipped="needs reuse_factor 1 and io_parallel"))
            continue
        figures = estimate_strategy(model, settings, strategy, hgq=hgq, x_calibration=x_calibration)
        candidates.append(Candidate(strategy, figures, broken_lines(figures, lines)))
    return StrategyChoice(*_pick([c for c in candidates if not c.skipped], lines), tuple(candidates), source)


def _describe(c: Candidate) -> str:
    return (f"{c.strategy} {'>= ' if c.lower_bound else ''}{c.figures['lut'].value:,.0f} LUT "
            f"{c.figures['dsp'].value:,.0f} DSP ({c.figures['lut'].method})")


def _pick(candidates: list[Candidate], lines: dict[str, float]) -> tuple[str, str]:
    if len(candidates) == 1:
        c = candidates[0]
        return c.strategy, f"{_describe(c)}: the only candidate" + (f"; breaks {', '.join(c.broken)}" if c.broken else "")
    meeting = [c for c in candidates if not c.broken]
    pool = meeting or candidates
    definite = [c for c in pool if not c.lower_bound]
    best = min(pool, key=lambda c: c.cost)
    others = [c for c in pool if c is not best]
    if best.lower_bound and definite and any(c.cost > best.cost for c in definite):
        # a lower bound below a definite figure ranks nothing: take the figure that is known
        best = min(definite, key=lambda c: c.cost)
        why = f"{_describe(best)} chosen: the other's figure is only a lower bound below it, so cannot be ranked"
    else:
        why = f"{_describe(best)}: fewest LUT + {DSP_LUT_EQUIVALENT}*DSP" + (
            f" (vs {', '.join(_describe(c) for c in others)})" if others else "")
    if meeting:
        budget = "meets every budget line" if lines else "no budget lines"
        rejected = [c for c in candidates if c.broken]
        if rejected:
            budget += "; " + "; ".join(f"{c.strategy} breaks {', '.join(c.broken)}" for c in rejected)
        return best.strategy, f"{why}; {budget}"
    return best.strategy, f"{why}; no candidate meets the budget ({best.strategy} breaks {', '.join(best.broken)})"


def choose_for_export(model, spec, source, out: Path, *, hgq: bool) -> StrategyChoice:
    """The export runner's call: the budget is ``source.budget`` (``--budget``) or, as ``edgenn report`` finds it,
    ``firmware/budgets/<name>.yml`` beside the output's ``firmware/<name>/<target>``."""
    from edgenn.config.load import load_budget
    from edgenn.exporters.hls import HlsSettings

    path = source.budget
    if path is None:
        candidate = Path(out).resolve().parent.parent / "budgets" / f"{source.name}.yml"
        path = candidate if candidate.is_file() else None
    budget = load_budget(path) if path is not None else None
    settings = HlsSettings.from_spec(spec.model_copy(update={"strategy": "Latency"}))
    return choose_strategy(model, settings, budget=budget, budget_source=str(path) if path else "",
                           hgq=hgq, x_calibration=source.x_calibration)
