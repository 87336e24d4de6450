"""Each export target's settings are validated once, at the edge (``resolve_settings``): recipe section < flags.

The same bad values the exporters used to re-check by hand (unknown part, non-positive clock, distributed arithmetic
with reuse or streaming) are refused here, each in one line naming the key, the target and what is allowed, and the
target receives a typed, frozen object. No conversion runs in this module (about a second)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from edgenn.config.recipe import FpgaSpec
from edgenn.errors import ConfigError
from edgenn.exporters.hls import HlsSettings
from edgenn.exporters.rtl import RtlSettings
from edgenn.runners.export_settings import resolve_settings
from edgenn.runners.targets import get_target


def _one_line(target: str, section: dict, flags: dict, **kw) -> str:
    with pytest.raises(ConfigError) as err:
        resolve_settings(get_target(target), section, flags, **kw)
    assert len(err.value.problems) == 1, err.value.problems
    return err.value.problems[0]


@pytest.mark.parametrize("target", ["fpga", "hls_project", "rtl"])
@pytest.mark.parametrize("flags,needle", [
    ({"part": "xcfoo123"}, r"part: unknown FPGA part.*\(got 'xcfoo123'\)"),
    ({"part": "not a part"}, r"part: unknown FPGA part"),
    ({"clock_period_ns": 0.0}, r"clock_period_ns: Input should be greater than 0 \(got 0\.0\)\. Fix: use a larger"),
    ({"clock_period_ns": -5.0}, r"clock_period_ns: Input should be greater than 0 \(got -5\.0\)"),
])
def test_bad_values_name_the_key_and_the_target(target, flags, needle):
    import re

    line = _one_line(target, {}, flags)
    assert line.startswith(f"export target {target}: ") and re.search(needle, line), line


def test_a_bad_choice_lists_the_allowed_values():
    line = _one_line("fpga", {}, {"strategy": "Fast"})
    assert "strategy" in line and "'Latency', 'Resource', 'distributed_arithmetic' or 'auto'" in line
    assert "(got 'Fast')" in line


@pytest.mark.parametrize("flags,needle", [({"strategy": "distributed_arithmetic", "reuse_factor": 4}, "reuse_factor 1"),
                                          ({"strategy": "distributed_arithmetic", "io_type": "io_stream"}, "io_parallel")])
def test_distributed_arithmetic_needs_reuse_one_and_io_parallel(flags, needle):
    assert needle in _one_line("fpga", {}, flags)


def test_a_key_the_target_does_not_take_is_refused_with_its_settings():
    line = _one_line("rtl", {}, {"strategy": "Resource"})
    assert line == ("export target rtl: strategy: not a setting of this target (set by a flag). Fix: drop it; the rtl "
                    "target's settings are: part, clock_period_ns, adder_levels_per_cycle, csim_check.")
    assert "it takes no settings" in _one_line("onnx", {}, {"part": "xcvu9p-flga2104-2-e"})
    assert "set by the --hls-config file" in _one_line("rtl", {"layers": {}}, {}, given_by_file={"layers"})


def test_recipe_section_and_flags_merge_into_one_frozen_typed_object():
    section = FpgaSpec(clock_period_ns=4.0, reuse_factor=2, layers={"fc1": {"reuse_factor": 4}}).model_dump()
    spec = resolve_settings(get_target("fpga"), section, {"reuse_factor": 3})
    assert isinstance(spec, FpgaSpec) and (spec.clock_period_ns, spec.reuse_factor) == (4.0, 3)
    with pytest.raises(ValidationError):
        spec.reuse_factor = 5  # frozen: a target cannot change what was validated
    assert HlsSettings.from_spec(spec).layers == {"fc1": {"reuse_factor": 4}}  # unset per-layer keys dropped
    # the rtl target takes the part and clock of the shared export.fpga section and ignores its hls4ml keys
    rtl = resolve_settings(get_target("rtl"), section, {"adder_levels_per_cycle": 3})
    assert rtl == RtlSettings(part=section["part"], clock_period_ns=4.0, adder_levels_per_cycle=3)
    assert resolve_settings(get_target("rtl"), {}, {}).levels_per_cycle == 5  # floor(5 ns / 1 ns per level)


def test_the_csim_cross_check_is_an_rtl_setting_that_the_fpga_targets_refuse(monkeypatch):
    """``--no-csim-check`` reaches the rtl target's settings through the API; the fpga target, whose C simulation is
    its only bit-exactness check, refuses the key in one line instead of silently ignoring it."""
    import edgenn.api
    import edgenn.runners.export

    from types import SimpleNamespace

    seen = []

    def run_export(request, progress):
        seen.append(request)
        return SimpleNamespace(directory=None)

    monkeypatch.setattr(edgenn.runners.export, "run_export", run_export)
    edgenn.api.export("runs/x", target="rtl", csim_check=False, report=False)
    edgenn.api.export("runs/x", target="rtl", report=False)
    assert seen[0].fpga_overrides == {"csim_check": False} and seen[1].fpga_overrides == {}
    rtl = resolve_settings(get_target("rtl"), {}, seen[0].fpga_overrides)
    assert rtl.csim_check is False and rtl.to_dict()["csim_check"] is False
    assert resolve_settings(get_target("rtl"), {}, seen[1].fpga_overrides).csim_check is True
    line = _one_line("fpga", {}, seen[0].fpga_overrides)
    assert line.startswith("export target fpga: csim_check: not a setting of this target (set by a flag).")


def test_every_target_declares_a_frozen_settings_model():
    from edgenn.runners.targets import registered_targets

    for name, target in registered_targets().items():
        config = target.settings.model_config
        assert config.get("frozen") and config.get("extra") == "forbid", name
        target.settings()  # every setting has a default: a target runs without flags


def test_the_recipe_rtl_section_sits_between_export_fpga_and_the_flags():
    import numpy as np

    from edgenn.config.load import load_recipe
    from edgenn.runners.export import ExportSource, target_sections
    from edgenn.runners.targets import get_target
    from edgenn_testing import ROOT

    base = load_recipe(ROOT / "models" / "jet_mlp.yml")
    recipe = base.model_copy(update={"export": base.export.model_copy(update={
        "rtl": base.export.rtl.model_copy(update={"adder_levels_per_cycle": 3})})})

    def source(r):
        return ExportSource(r.name, None, np.zeros((1, 16), np.float32), None, None, r.export.fpga.model_dump(), 1,
                            {}, {}, r.model_dump(mode="json"), target_sections=target_sections(r))

    rtl = get_target("rtl")
    assert resolve_settings(rtl, source(recipe).settings_section("rtl"), {}).levels_per_cycle == 3
    assert resolve_settings(rtl, source(recipe).settings_section("rtl"),
                            {"adder_levels_per_cycle": 2}).levels_per_cycle == 2  # the flag wins
    assert resolve_settings(rtl, source(base).settings_section("rtl"), {}).adder_levels_per_cycle is None
    # the fpga target never sees the rtl section, and refuses the rtl flag naming its own settings
    assert "adder_levels_per_cycle" not in source(recipe).settings_section("fpga")
    assert "adder_levels_per_cycle: not a setting of this target" in _one_line("fpga", {},
                                                                              {"adder_levels_per_cycle": 2})
