"""The scan summary: what a finished ``edgenn scan`` call left in ``scan.json`` (recipe, space, budget, counts,
Pareto trials, budget lines no trial could check), as a record with schema version and content hash.

The per-trial figures stay in the study and its tables (``trials.csv``/``pareto.csv``); this record is what the
report page and a later resume read about the scan as a whole. Schema 1 files (written before the hash) still load.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import edgenn.filenames as filenames
from edgenn.errors import InvalidInputError
from edgenn.records.base import SealedFile, plain, read_record, seal

SCHEMA_VERSION = 2
COMMAND = "edgenn scan <recipe> --space <space.yml>"


@dataclass(frozen=True)
class ScanSummary(SealedFile):
    FILE: ClassVar[str] = filenames.SCAN_SUMMARY

    recipe: dict[str, Any]
    space: dict[str, Any]
    budget: dict[str, Any] | None
    num_trials: int
    num_complete: int
    pareto_trials: tuple[int, ...]
    unchecked_budget_lines: tuple[str, ...]
    objectives: tuple[str, ...]
    seconds_this_call: float

    def __post_init__(self) -> None:
        if not 0 <= self.num_complete <= self.num_trials:
            raise InvalidInputError(f"scan summary: {self.num_complete} complete of {self.num_trials} trials.")

    @property
    def name(self) -> str:
        return str(self.recipe.get("name") or "")

    def to_dict(self) -> dict[str, Any]:
        return seal(asdict(self), SCHEMA_VERSION)



    @classmethod
    def load(cls, path: Path) -> ScanSummary:
        path = Path(path)
        file = path / filenames.SCAN_SUMMARY if path.is_dir() else path
        doc, _ = read_record(file, kind="scan summary", schema_version=SCHEMA_VERSION, oldest=1, hashed_from=2,
                             command=COMMAND)
        return cls.from_dict(doc, where=str(file))

    @classmethod
    def from_dict(cls, doc: dict[str, Any], *, where: str = "scan summary") -> ScanSummary:
        doc = plain(doc)
        try:
            return cls(dict(doc["recipe"]), dict(doc["space"]), None if doc["budget"] is None else dict(doc["budget"]),
                       int(doc["num_trials"]), int(doc["num_complete"]),
                       tuple(int(t) for t in doc["pareto_trials"]), tuple(str(x) for x in doc["unchecked_budget_lines"]),
                       tuple(str(o) for o in doc["objectives"]), float(doc["seconds_this_call"]))
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidInputError(f"{where}: not a scan summary ({type(err).__name__}: {err}).",
                                    fix=f"re-run `{COMMAND}` (it resumes the study).") from None
