"""A recipe's family-dependent checks run where it enters (``check_recipe``, called by the API and the scan), not in
``config.load``, which sits below the families: the same bad recipes as before, refused with the same one-line fix."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from edgenn.cli.app import app
from edgenn.config.load import load_recipe
from edgenn.errors import ConfigError
from edgenn.tasks.recipe_check import check_recipe

BAD = {
    "params-typo": ("name: x\nmodel: {family: dense, params: {hidden: [8], widht: 3}}\n",
                    r"r\.yml: model\.params\.widht: Extra inputs are not permitted"),
    "unknown-family": ("name: x\nmodel: {family: dens}\n", r"r\.yml: unknown model family 'dens'.*Did you mean 'dense'"),
    "qat-layer": ("name: x\ncompress: {qat: {layers: {dense_7: {weight: {bits: 4, integer: 0}}}}}\n",
                  r"compress\.qat\.layers names unknown layer\(s\) \['dense_7'\].*dense_0"),
    "events-family-on-jets": ("name: x\nmodel: {family: autoencoder}\n",
                              r"model\.family 'autoencoder' detects anomalies in trigger events: set data\.kind: events"),
    "jets-family-on-events": ("name: x\ndata: {kind: events}\nmodel: {family: dense}\n",
                              r"data\.kind events needs a family that reads events, not 'dense' \(which reads jets\)"),
    "student-without-teacher": ("name: x\ndata: {kind: events}\nmodel: {family: ae_student}\n",
                                r"model\.family ae_student needs anomaly\.teacher"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_family_problems_are_refused_at_the_entry(tmp_path, case):
    text, needle = BAD[case]
    path = tmp_path / "r.yml"
    path.write_text(text)
    recipe = load_recipe(path)  # the schema alone holds: what is wrong needs the family registry
    with pytest.raises(ConfigError, match=needle) as err:
        check_recipe(recipe, source=str(path))
    assert len(err.value.problems) == 1 and str(path) in err.value.problems[0]


def test_every_params_problem_is_one_line(tmp_path):
    path = tmp_path / "r.yml"
    path.write_text("name: x\nmodel: {family: dense, params: {hidden: many, widht: 3}}\n")
    with pytest.raises(ConfigError) as err:
        check_recipe(load_recipe(path), source=str(path))
    fields = sorted(line.split(": ")[1] for line in err.value.problems)
    assert fields == ["model.params.hidden", "model.params.widht"]


def test_cli_refuses_before_any_work(tmp_path):
    # `edgenn train` enters through api.train: exit 2, one error line naming the field, nothing written
    path = tmp_path / "r.yml"
    path.write_text(BAD["params-typo"][0])
    result = CliRunner().invoke(app, ["train", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "model.params.widht" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
