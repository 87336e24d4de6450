"""Vendor report parsing on files in the real Vitis 2022.2 / Vivado formats, and the missing-tool path (exit 3)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from edgenn.errors import ExternalToolError, MissingArtifactError
from edgenn.synth.vendor import read_vendor_report

# Layout and tags as hls4ml 1.3 writes and Vitis HLS 2022.2 produces them (hls4ml/report/vivado_report.py reads
# project.tcl, <prj>/hls.app, <prj>/<solution>/syn/report/<top>_csynth.xml and vivado_synth.rpt).
CSYNTH_XML = """<profile>
<ReportVersion>
<Version>2022.2</Version>
</ReportVersion>
<UserAssignments>
<unit>ns</unit>
<ProductFamily>virtexuplus</ProductFamily>
<Part>xcvu13p-flga2577-2-e</Part>
<TopModelName>myproject</TopModelName>
<TargetClockPeriod>{target}</TargetClockPeriod>
<ClockUncertainty>1.35</ClockUncertainty>
<FlowTarget>vivado</FlowTarget>
</UserAssignments>
<PerformanceEstimates>
<PipelineType>yes</PipelineType>
<SummaryOfTimingAnalysis>
<unit>ns</unit>
<EstimatedClockPeriod>{estimated}</EstimatedClockPeriod>
</SummaryOfTimingAnalysis>
<SummaryOfOverallLatency>
<unit>clock cycles</unit>
<Best-caseLatency>{best}</Best-caseLatency>
<Average-caseLatency>{worst}</Average-caseLatency>
<Worst-caseLatency>{worst}</Worst-caseLatency>
<PipelineInitiationInterval>1</PipelineInitiationInterval>
<PipelineDepth>{worst}</PipelineDepth>
<Interval-min>1</Interval-min>
<Interval-max>{ii}</Interval-max>
</SummaryOfOverallLatency>
</PerformanceEstimates>
<AreaEstimates>
<Resources>
<BRAM_18K>{bram}</BRAM_18K>
<DSP>{dsp}</DSP>
<FF>{ff}</FF>
<LUT>{lut}</LUT>
<URAM>0</URAM>
</Resources>
<AvailableResources>
<BRAM_18K>5376</BRAM_18K>
<DSP>12288</DSP>
<FF>3456000</FF>
<LUT>1728000</LUT>
<URAM>1280</URAM>
</AvailableResources>
</AreaEstimates>
</profile>
"""

HLS_APP = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="com.autoesl.autopilot.project" name="myproject_prj" top="myproject" projectType="C/C++">
    <includePaths/>
    <libraryPaths/>
    <files xmlns="">
        <file name="firmware/myproject.cpp" sc="0" tb="false" cflags="-std=c++0x" csimflags="" blackbox="false"/>
    </files>
    <solutions xmlns="">
        <solution name="solution1" status="active"/>
    </solutions>
</project>
"""

VIVADO_SYNTH = """Copyright 1986-2022 Xilinx, Inc. All Rights Reserved.
| Design State : Synthesized
1. CLB Logic
------------
+----------------------------+-------+-------+------------+-----------+-------+
|          Site Type         |  Used | Fixed | Prohibited | Available | Util% |
+----------------------------+-------+-------+------------+-----------+-------+
| CLB LUTs*                  | {lut} |     0 |          0 |   1728000 |  2.39 |
|   LUT as Logic             | {lut} |     0 |          0 |   1728000 |  2.39 |
| CLB Registers              |  {ff} |     0 |          0 |   3456000 |  0.29 |
+----------------------------+-------+-------+------------+-----------+-------+
2. BLOCKRAM
-----------
+-------------------+------+-------+------------+-----------+-------+
|     Site Type     | Used | Fixed | Prohibited | Available | Util% |
+-------------------+------+-------+------------+-----------+-------+
| Block RAM Tile    | {bram_tiles} |     0 |          0 |      2688 |  0.00 |
+-------------------+------+-------+------------+-----------+-------+
3. ARITHMETIC
-------------
+----------------+------+-------+------------+-----------+-------+
|    Site Type   | Used | Fixed | Prohibited | Available | Util% |
+----------------+------+-------+------------+-----------+-------+
| DSPs           | {dsp} |     0 |          0 |     12288 |  0.01 |
+----------------+------+-------+------------+-----------+-------+
"""


def write_project(root, *, lut=41237, ff=9876, dsp=123, bram=4, best=9, worst=11, ii=1, target="5.00",
                  estimated="4.312"):
    (root / "project.tcl").write_text('variable project_name\nset project_name "myproject"\nvariable backend\n'
                                      'set backend "vitis"\n')
    prj = root / "myproject_prj"
    (prj / "solution1" / "syn" / "report").mkdir(parents=True)
    (prj / "hls.app").write_text(HLS_APP)
    (prj / "solution1" / "syn" / "report" / "myproject_csynth.xml").write_text(
        CSYNTH_XML.format(lut=lut, ff=ff, dsp=dsp, bram=bram, best=best, worst=worst, ii=ii, target=target,
                          estimated=estimated))
    return root


def test_csynth_xml_becomes_vendor_figures(tmp_path):
    figs = read_vendor_report(write_project(tmp_path, lut=41237, ff=9876, dsp=123, bram=4, worst=11, ii=2))["figures"]
    assert {k: figs[k]["value"] for k in ("lut", "ff", "dsp", "bram", "latency_cycles", "ii_cycles")} == \
        {"lut": 41237, "ff": 9876, "dsp": 123, "bram": 4, "latency_cycles": 11, "ii_cycles": 2}
    assert {f["method"] for f in figs.values()} == {"vendor"}
    assert figs["clock_period_ns"]["value"] == pytest.approx(4.312)
    assert figs["latency_ns"]["value"] == pytest.approx(11 * 5.0)  # the slower of target and estimate


def test_estimated_clock_slower_than_target_sets_latency_ns(tmp_path):
    figs = read_vendor_report(write_project(tmp_path, worst=10, target="5.00", estimated="6.250"))["figures"]
    assert figs["latency_ns"]["value"] == pytest.approx(62.5)


def test_vivado_synthesis_report_replaces_csynth_resources(tmp_path):
    write_project(tmp_path, lut=50000, ff=20000, dsp=300, bram=8)
    (tmp_path / "vivado_synth.rpt").write_text(VIVADO_SYNTH.format(lut=38111, ff=9001, dsp=77, bram_tiles=3))
    figs = read_vendor_report(tmp_path)["figures"]
    assert (figs["lut"]["value"], figs["ff"]["value"], figs["dsp"]["value"], figs["bram"]["value"]) == \
        (38111, 9001, 77, 6)
    assert "Vivado synthesis" in figs["lut"]["note"]
    assert figs["latency_cycles"]["value"] == 11  # latency still from csynth


def test_project_without_reports_names_the_fix(tmp_path):
    (tmp_path / "project.tcl").write_text('set project_name "myproject"\nset backend "vitis"\n')
    (tmp_path / "myproject_prj").mkdir()
    with pytest.raises(MissingArtifactError, match="synth"):
        read_vendor_report(tmp_path)
    with pytest.raises(MissingArtifactError, match="project.tcl"):
        read_vendor_report(tmp_path / "myproject_prj")


def test_vendor_tool_missing_is_exit_3(tmp_path, monkeypatch):
    from edgenn.cli.app import app
    from edgenn.synth.vendor import require_tool

    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no vitis-run / vivado_hls
    with pytest.raises(ExternalToolError, match="vitis-run"):
        require_tool("vitis")
    result = CliRunner().invoke(app, ["synth", str(tmp_path), "--tool", "vivado"])
    assert result.exit_code == 3, result.output
    assert "vivado_hls not found" in result.output


def test_report_vendor_cli_prints_vendor_figures(tmp_path):
    from edgenn.cli.app import app

    (tmp_path / "hls").mkdir()
    write_project(tmp_path / "hls", lut=12345)  # an FPGA export directory holds the project in hls/
    result = CliRunner().invoke(app, ["report-vendor", str(tmp_path), "--out", str(tmp_path / "vendor")])
    assert result.exit_code == 0, result.output
    assert "12,345" in result.output and "vendor" in result.output
    from edgenn.io import read_json

    assert read_json(tmp_path / "vendor" / "report.json")["figures"]["lut"]["value"] == 12345


# 7-series layout (Vivado 2019.2/2020.1 report_utilization on a Zynq-7020 / xc7z020): sections "Slice Logic", "Memory",
# "DSP", no Prohibited column, and a lone RAMB18 reported as half a Block RAM tile.
VIVADO_SYNTH_7SERIES = """Copyright 1986-2020 Xilinx, Inc. All Rights Reserved.
| Device       : 7z020clg400-1
1. Slice Logic
--------------
+----------------------------+-------+-------+-----------+-------+
|          Site Type         |  Used | Fixed | Available | Util% |
+----------------------------+-------+-------+-----------+-------+
| Slice LUTs*                | {lut} |     0 |     53200 |  4.00 |
|   LUT as Logic             | {lut} |     0 |     53200 |  4.00 |
| Slice Registers            |  {ff} |     0 |    106400 |  0.17 |
+----------------------------+-------+-------+-----------+-------+
2. Memory
---------
+-------------------+------+-------+-----------+-------+
|     Site Type     | Used | Fixed | Available | Util% |
+-------------------+------+-------+-----------+-------+
| Block RAM Tile    | {bram_tiles} |     0 |       140 |  0.36 |
|   RAMB36/FIFO*    |    0 |     0 |       140 |  0.00 |
|   RAMB18          |    1 |     0 |       280 |  0.36 |
|     RAMB18E1 only |    1 |       |           |       |
+-------------------+------+-------+-----------+-------+
3. DSP
------
+----------------+------+-------+-----------+-------+
|    Site Type   | Used | Fixed | Available | Util% |
+----------------+------+-------+-----------+-------+
| DSPs           | {dsp} |     0 |       220 |  0.45 |
|   DSP48E1 only | {dsp} |       |           |       |
+----------------+------+-------+-----------+-------+
"""


@pytest.mark.parametrize("tiles, ramb18", [("0.5", 1), ("2.5", 5), ("3", 6)])
def test_fractional_block_ram_tiles_come_from_vivado_not_csynth(tmp_path, tiles, ramb18):
    write_project(tmp_path, lut=9000, ff=4000, dsp=30, bram=12)
    (tmp_path / "vivado_synth.rpt").write_text(VIVADO_SYNTH_7SERIES.format(lut=2129, ff=181, dsp=1, bram_tiles=tiles))
    parsed = read_vendor_report(tmp_path)
    figs = parsed["figures"]
    assert figs["bram"]["value"] == ramb18 and "Vivado synthesis" in figs["bram"]["note"]
    assert (figs["lut"]["value"], figs["ff"]["value"], figs["dsp"]["value"]) == (2129, 181, 1)
    assert parsed["source"]["vivado_synth"]["DSP_TYPE"] == 1.0  # DSP48E1: a 7-series part


def write_accelerator(root, *, core: bool, wrapper_lut=15000, core_lut=9000):
    (root / "project.tcl").write_text('variable project_name\nset project_name "myproject"\nvariable backend\n'
                                      'set backend "vivadoaccelerator"\nvariable part\nset part "xc7z020clg400-1"\n')
    prj = root / "myproject_prj"
    report = prj / "solution1" / "syn" / "report"
    report.mkdir(parents=True)
    (prj / "vivado_hls.app").write_text(HLS_APP.replace('top="myproject"', 'top="myproject_axi"'))
    kw = dict(ff=5000, dsp=20, bram=2, best=9, worst=11, ii=1, target="10.00", estimated="8.1")
    (report / "myproject_axi_csynth.xml").write_text(CSYNTH_XML.format(lut=wrapper_lut, **kw))
    if core:
        (report / "myproject_csynth.xml").write_text(CSYNTH_XML.format(lut=core_lut, **kw))
    (root / "vivado_synth.rpt").write_text(VIVADO_SYNTH_7SERIES.format(lut=14000, ff=6000, dsp=20, bram_tiles="1"))


def test_accelerator_project_reports_the_core_not_the_axi_wrapper(tmp_path):
    write_accelerator(tmp_path, core=True)
    parsed = read_vendor_report(tmp_path)
    assert parsed["source"]["scope"] == "core"
    assert parsed["figures"]["lut"]["value"] == 9000  # the core's csynth, not the wrapper's (15000) nor Vivado's
    assert parsed["source"]["vivado_synth_scope"] == "axi_wrapper"


def test_accelerator_without_core_report_says_it_is_the_wrapper(tmp_path):
    write_accelerator(tmp_path, core=False)
    parsed = read_vendor_report(tmp_path)
    assert parsed["source"]["scope"] == "axi_wrapper"
    assert parsed["figures"]["lut"]["value"] == 14000  # Vivado synthesis of the same (wrapper) top
    assert all("AXI wrapper" in parsed["figures"][k]["note"] for k in ("lut", "ff", "dsp", "bram", "latency_cycles"))


def test_project_tcl_without_backend_is_read(tmp_path):
    write_project(tmp_path, lut=4321)
    (tmp_path / "project.tcl").write_text('variable project_name\nset project_name "myproject"\nvariable part\n'
                                          'set part "xcku115-flvb2104-2-i"\n')  # hls4ml < 0.7: no backend line
    parsed = read_vendor_report(tmp_path)
    assert parsed["figures"]["lut"]["value"] == 4321 and parsed["source"]["backend"] == "unspecified"


def test_project_tcl_without_name_is_a_clear_cli_error(tmp_path):
    from edgenn.cli.app import app

    (tmp_path / "hls").mkdir()
    (tmp_path / "hls" / "project.tcl").write_text("variable part\nset part \"xc7z020clg400-1\"\n")
    result = CliRunner().invoke(app, ["report-vendor", str(tmp_path), "--out", str(tmp_path / "vendor")])
    assert result.exit_code == 2, result.output
    assert "project_name" in result.output and "Traceback" not in result.output
