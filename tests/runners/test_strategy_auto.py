"""strategy auto's choice rule on given figures (no hls4ml): fewest LUT-equivalents among the candidates that meet
the budget, lower bounds never shown to meet a max line, and the reason naming what decided."""

import pytest

from edgenn.config.budget import Budget
from edgenn.estimates.resources import Figure
from edgenn.runners.strategy_auto import Candidate, _pick, broken_lines, budget_lines


def figures(lut, dsp=0.0, latency_ns=50.0, ii=1, bound=""):
    return {"lut": Figure(lut, "count", "x", bound=bound), "ff": Figure(0.0, "count"),
            "dsp": Figure(dsp, "count", "x", bound=bound), "bram": Figure(0.0, "count"),
            "latency_ns": Figure(latency_ns, "ns"), "latency_cycles": Figure(latency_ns / 5, "cycles"),
            "ii_cycles": Figure(ii, "cycles")}


def cand(strategy, figs, lines):
    return Candidate(strategy, figs, broken_lines(figs, lines))


def test_fewest_lut_equivalents_wins_when_both_meet_the_budget():
    lines = budget_lines(Budget(lut={"max": 100_000}, latency_ns={"max": 100}), None)
    # 20k LUT + 50 DSP = 27k LUT-equivalents beats 30k LUT: DSPs count at 141 LUT each
    choice, why = _pick([cand("Latency", figures(20_000, dsp=50), lines),
                         cand("distributed_arithmetic", figures(30_000), lines)], lines)
    assert choice == "Latency" and "meets every budget line" in why
    choice, _ = _pick([cand("Latency", figures(20_000, dsp=100), lines),
                       cand("distributed_arithmetic", figures(30_000), lines)], lines)
    assert choice == "distributed_arithmetic"


def test_a_candidate_that_breaks_a_line_loses_even_if_cheaper():
    lines = budget_lines(Budget(latency_ns={"max": 100}), ii_target=1)
    choice, why = _pick([cand("Latency", figures(10_000, latency_ns=150), lines),
                         cand("distributed_arithmetic", figures(30_000, latency_ns=60), lines)], lines)
    assert choice == "distributed_arithmetic"
    assert "Latency breaks latency_ns 150 > 100" in why


def test_a_lower_bound_never_meets_a_max_line_and_cannot_win_a_ranking_below_a_definite_figure():
    lines = budget_lines(Budget(lut={"max": 100_000}), None)
    lower = cand("Latency", figures(20_000, bound="lower"), lines)
    assert lower.broken and "lower bound" in lower.broken[0]
    choice, _ = _pick([lower, cand("distributed_arithmetic", figures(30_000), lines)], lines)
    assert choice == "distributed_arithmetic"
    # with no lines at all, the lower bound below the definite figure still ranks nothing
    choice, why = _pick([cand("Latency", figures(20_000, bound="lower"), {}),
                         cand("distributed_arithmetic", figures(30_000), {})], {})
    assert choice == "distributed_arithmetic" and "lower bound" in why


@pytest.mark.parametrize("ii_target,expected", [(None, {}), (5, {"ii_cycles": 5.0})])
def test_budget_lines_keep_only_max_lines_a_strategy_can_change(ii_target, expected):
    assert budget_lines(None, ii_target) == expected
    lines = budget_lines(Budget(accuracy={"min": 0.5}, lut={"max": 10}, dsp={"min": 0, "max": 3}), ii_target)
    assert lines == {"lut": 10.0, "dsp": 3.0, **expected}


def test_no_candidate_meets_the_budget_picks_the_cheaper_and_says_what_it_breaks():
    lines = budget_lines(Budget(lut={"max": 1_000}), None)
    choice, why = _pick([cand("Latency", figures(20_000), lines),
                         cand("distributed_arithmetic", figures(5_000), lines)], lines)
    assert choice == "distributed_arithmetic"
    assert "no candidate meets the budget" in why and "lut 5,000 > 1,000" in why
