import re

import pytest

from edgenn.datasets.adc2021_baselines import ADC2021_BASELINES, ADC2021_SIGNAL_FILES, Baseline, comparison_table
from edgenn.datasets.event_streams import EVENT_STREAMS


def test_baselines_name_the_adc2021_stream_signals():
    # A renamed or added signal must not silently drop out of the comparison.
    signals = set(EVENT_STREAMS["adc2021"].signals)
    assert set(ADC2021_SIGNAL_FILES) == signals
    for b in ADC2021_BASELINES:
        assert set(b.auc) == signals, b.key


def test_every_baseline_cites_a_pinned_commit_and_file():
    for b in ADC2021_BASELINES:
        assert re.match(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}:\S+", b.citation), b.citation
        assert all((b.model, b.inputs, b.score, b.training, b.test)), b.key
    assert len({b.key for b in ADC2021_BASELINES}) == len(ADC2021_BASELINES)


def test_a_baseline_refuses_unknown_signals_and_values_outside_zero_one():
    common = dict(key="k", label="l", citation="c", model="m", inputs="i", score="s", training="t", test="t")
    with pytest.raises(ValueError, match="a_tautau"):
        Baseline(**common, auc={"a_tautau": 0.9})
    with pytest.raises(ValueError, match="1.2"):
        Baseline(**common, auc={"ato4l": 1.2})


def test_comparison_table_puts_each_figure_in_its_signal_column():
    signals = ["ato4l", "hplus_taunu"]
    ours = {"edgenn AE": {"ato4l": {"auc": 0.937, "efficiency": 0.0018}, "hplus_taunu": {"auc": 0.658,
                                                                                       "efficiency": 0.0}}}
    pinned = Baseline(key="paper", label="paper VAE", citation="o/r@" + "0" * 40 + ":t.tex", model="m", inputs="i",
                      score="s", training="t", test="t", auc={"ato4l": 0.91}, tpr={"ato4l": 0.0123})
    lines = comparison_table(ours, signals, 1e-5, baselines=(pinned,))
    cells = {line.split(" | ")[0].lstrip("| "): [c.strip() for c in line.strip("|").split("|")[1:]]
             for line in lines[2:4]}
    assert cells["edgenn AE"][:4] == ["0.937", "0.658", "0.0018", "0.0000"]
    # The source pins no h+ figure: a dash, never a number taken from another column.
    assert cells["paper VAE"] == ["0.910", "–", "0.0123", "–", "[paper]"]
    assert lines[4].startswith("[paper] o/r@") and "Score: s." in lines[4]
    # An efficiency pinned at another FPR is not shown as one at this FPR.
    other = comparison_table(ours, signals, 1e-3, baselines=(pinned,))
    assert other[3].split("|")[4].strip() == "–"
