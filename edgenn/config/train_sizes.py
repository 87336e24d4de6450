"""Settings of the training-set-size curves (``edgenn compare RECIPE... --train-sizes N,N,... --folds K``).

Validated once, where the command or ``edgenn.api.compare`` receives them; what needs the data (a size larger than the
training split) is checked by ``edgenn.scan.curves`` against the split record.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

CURVE_METRICS = ("accuracy", "mean_auc")  # plus auc.<class>


class TrainSizeCurves(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    train_sizes: tuple[int, ...] = Field(min_length=1, description="training jets per cell, e.g. 1000,3000,10000")
    folds: int = Field(3, ge=2, description="K training subsets per size (K >= 2 to have an error bar)")
    max_epochs: int = Field(300, ge=1, description="a ceiling early stopping is meant to stay under")
    patience: int | None = Field(None, ge=1, description="early-stopping patience (default: the recipe's, else 5)")
    min_val_jets: int = Field(200, ge=1, description="floor of the validation subset that early stopping reads")
    metric: str = Field("accuracy", description="what the table and plot show: accuracy, mean_auc or auc.<class>")

    @field_validator("train_sizes", mode="before")
    @classmethod
    def _parse(cls, value):
        if isinstance(value, str):  # the CLI's comma-separated list
            parts = [p.strip().replace("_", "") for p in value.split(",") if p.strip()]
            try:
                return tuple(int(p) for p in parts)
            except ValueError:
                raise ValueError(f"write whole numbers separated by commas, e.g. 1000,3000,10000 (got {value!r})")
        return value

    @field_validator("train_sizes")
    @classmethod
    def _positive_sorted(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        bad = [v for v in value if v < 1]
        if bad:
            raise ValueError(f"every size must be >= 1 training jet (got {bad}); write sizes such as 1000,3000,10000")
        return tuple(sorted(set(value)))

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value in CURVE_METRICS or (value.startswith("auc.") and len(value) > 4):
            return value
        raise ValueError(f"unknown metric {value!r}; use accuracy, mean_auc or auc.<class> (e.g. auc.t)")
