
import pytest

from edgenn.config.budget import Budget
from edgenn.errors import MissingArtifactError
from edgenn.verification.budget import check_export, check_figures
from edgenn_testing import write_export_report

FIGS = {
    "accuracy": {"value": 0.71, "unit": "fraction", "method": "csim"},
    "auc.t": {"value": 0.93, "unit": "fraction", "method": "csim"},
    "latency_ns": {"value": 35.0, "unit": "ns", "method": "analytic"},
    "lut": {"value": 30000, "unit": "count", "method": "analytic"},
    "bit_exact_fraction": {"value": 1.0, "unit": "fraction", "method": "csim"},
}


def budget(**kw):
    return Budget.model_validate(kw)


def test_all_within_limits_pass():
    r = check_figures(FIGS, budget(accuracy={"min": 0.7}, auc={"t": {"min": 0.9}}, latency_ns={"max": 100},
                                   lut={"max": 60000, "method": ["analytic", "da4ml"]},
                                   bit_exact_fraction={"min": 1.0}))
    assert r.passed and len(r.lines) == 5


@pytest.mark.parametrize("kw,reason", [
    ({"accuracy": {"min": 0.72}}, "0.71 < 0.72"),
    ({"lut": {"max": 29999}}, "30000 > 29999"),
    ({"lut": {"max": 60000, "method": ["yosys", "vendor"]}}, "made by method 'analytic'"),
    ({"dsp": {"max": 10}}, "missing from the report"),
    ({"auc": {"W": {"min": 0.5}}}, "missing from the report"),
])
def test_broken_lines_fail_with_reason(kw, reason):
    r = check_figures(FIGS, budget(**kw))
    assert not r.passed
    assert reason in r.lines[0].reason


def test_wrong_unit_fails_closed():
    figs = dict(FIGS, latency_ns={"value": 7, "unit": "cycles", "method": "analytic"})
    r = check_figures(figs, budget(latency_ns={"max": 100}))
    assert not r.passed and "unit is 'cycles'" in r.lines[0].reason


def test_unreadable_report_fails_every_line(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "report.json").write_text("{not json")
    r = check_export(tmp_path, budget(accuracy={"min": 0.1}, lut={"max": 1}))
    assert not r.passed and all("unreadable" in x.reason for x in r.lines)


def test_incomplete_export_dir_is_refused(tmp_path):
    write_export_report(tmp_path, FIGS)
    with pytest.raises(MissingArtifactError, match="incomplete export"):
        check_export(tmp_path, budget(accuracy={"min": 0.1}))


def test_junit_lists_failures():
    r = check_figures(FIGS, budget(accuracy={"min": 0.9}, latency_ns={"max": 100}))
    xml = r.to_junit()
    assert 'tests="2" failures="1"' in xml and "<failure" in xml


def _efficiency(resolved: bool) -> dict:
    note = "signal efficiency at background FPR 1e-05" + ("" if resolved else
                                                          "; NOT resolved: 225 background events resolve FPR >= 0.0044")
    return {"value": 0.4, "unit": "fraction", "method": "csim", "note": note, "resolved": resolved}


def test_anomaly_efficiency_and_teacher_correlation_are_budget_keys():
    figs = {"efficiency.h2_zz4l": _efficiency(True),
            "teacher_correlation": {"value": 0.83, "unit": "ratio", "method": "csim"}}
    r = check_figures(figs, budget(efficiency={"h2_zz4l": {"min": 0.3}}, teacher_correlation={"min": 0.8}))
    assert r.passed and [x.figure for x in r.lines] == ["efficiency.h2_zz4l", "teacher_correlation"]
    r = check_figures(figs, budget(efficiency={"h2_zz4l": {"min": 0.5}}, teacher_correlation={"min": 0.9}))
    assert [x.reason for x in r.lines] == ["0.4 < 0.5", "0.83 < 0.9"]


def test_efficiency_at_an_unresolved_rate_fails_even_when_inside_the_limit():
    r = check_figures({"efficiency.h2_zz4l": _efficiency(False)}, budget(efficiency={"h2_zz4l": {"min": 0.1}}))
    assert not r.passed
    assert r.lines[0].reason.startswith("not a measurement:") and "NOT resolved: 225 background" in r.lines[0].reason
