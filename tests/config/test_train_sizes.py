"""The training-set-size settings: the CLI's comma list parsed, bad values refused once with the field named."""

from __future__ import annotations

import pytest

from edgenn.config.train_sizes import TrainSizeCurves
from edgenn.config.load import validate
from edgenn.errors import ConfigError


def test_comma_list_is_parsed_sorted_and_deduplicated():
    s = validate(TrainSizeCurves, {"train_sizes": "3000, 1000,10_000,1000"})
    assert s.train_sizes == (1000, 3000, 10000) and s.folds == 3 and s.max_epochs == 300


@pytest.mark.parametrize("fields, words", [
    ({"train_sizes": "1000", "folds": 1}, ["folds", "greater than or equal to 2"]),
    ({"train_sizes": "1000,abc"}, ["train_sizes", "whole numbers"]),
    ({"train_sizes": "0,100"}, ["train_sizes", ">= 1"]),
    ({"train_sizes": ""}, ["train_sizes"]),
    ({"train_sizes": "100", "metric": "f1"}, ["metric", "auc.<class>"]),
    ({"train_sizes": "100", "epochs": 3}, ["epochs"]),
])
def test_bad_settings_name_the_field(fields, words):
    with pytest.raises(ConfigError) as err:
        validate(TrainSizeCurves, fields, source="edgenn compare --train-sizes")
    text = str(err.value)
    assert all(w in text for w in words) and "\n" not in text.strip()
