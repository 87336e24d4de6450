"""The export report: what ``edgenn export`` wrote into ``firmware/<name>/<target>/report.json``, as one record.

Every target (and ``edgenn synth``, whose report ``edgenn check`` reads the same way) writes report.json only through
``ExportReport.save``; ``edgenn check``, ``edgenn report`` and the scan read it through ``ExportReport.load``.
Typed parts: the figures (``records.figures.Figure``), the one bit-exactness record (``records.bitexact``), notes,
lineage, task, and the target sections settings, resources, precision, project and onnx (``records.export_sections``:
the target builds each as its record, ``section_record``, and readers use the properties of the same names).
``sections`` holds them and each target's other JSON sections (timings_s, estimate, ...) under their report.json keys;
``to_dict`` writes every section as written, so the file and its hash stay what the target wrote.

Schema 2 adds the content hash and gives every target the same ``bitexact`` record; schema 1 files (written before)
are read and upgraded: their fpga ``bitexact`` had this shape already, and an rtl one's per-implementation checks
become the record's ``outputs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import edgenn.filenames as filenames
from edgenn.errors import InvalidInputError
from edgenn.records.base import HASH_KEY, SealedFile, SCHEMA_KEY, plain, read_record, seal
from edgenn.records.bitexact import BitExactReport, OutputStats
from edgenn.records.export_sections import (SECTION_TYPES, OnnxSection, PrecisionSection, ProjectSection,
                                            ResourcesSection, SectionRecord, SettingsSection, UnreadableSection,
                                            read_section)
from edgenn.records.figures import Figure, figures_from_dicts, figures_to_dicts

SCHEMA_VERSION = 2
OLDEST_READABLE = 1
COMMAND = "edgenn export <model> --target <target>"
_TYPED = ("target", "name", "task", "figures", "bitexact", "notes", "lineage", SCHEMA_KEY, HASH_KEY)


@dataclass(frozen=True)
class ExportReport(SealedFile):
    FILE: ClassVar[str] = filenames.REPORT_JSON

    target: str
    name: str
    figures: dict[str, Figure]
    bitexact: BitExactReport | None = None  # None: the target makes no bit-exactness claim (hls_project, onnx)
    notes: tuple[str, ...] = ()
    lineage: dict[str, str] = field(default_factory=dict)
    task: str | None = None
    sections: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        clash = sorted(set(self.sections) & set(_TYPED))
        if clash:
            raise ValueError(f"sections {clash} are typed fields of the export report, not free sections")
        if not all(isinstance(f, Figure) for f in self.figures.values()):
            raise TypeError("ExportReport.figures holds Figure records")
        for name, kind in SECTION_TYPES.items():  # a target writes its sections through their records only
            value = self.sections.get(name)
            if value is not None and not isinstance(value, (kind, UnreadableSection)):
                raise TypeError(f"ExportReport.sections[{name!r}] must be a {kind.__name__} (records.export_sections."
                                f"section_record), not {type(value).__name__}")

    def figure(self, name: str) -> Figure | None:
        return self.figures.get(name)

    # the target sections as typed records (records.export_sections); one that did not parse when the file was loaded
    # costs its readers one InvalidInputError line, not the whole report
    @property
    def settings(self) -> SettingsSection | None:
        return self._section("settings")

    @property
    def resources(self) -> ResourcesSection | None:
        return self._section("resources")

    @property
    def precision(self) -> PrecisionSection | None:
        return self._section("precision")

    @property
    def project(self) -> ProjectSection | None:
        return self._section("project")

    @property
    def onnx(self) -> OnnxSection | None:
        return self._section("onnx")

    def _section(self, name: str):
        value = self.sections.get(name)
        if isinstance(value, UnreadableSection):
            raise value.error()
        return value

    def figures_dict(self) -> dict[str, dict[str, Any]]:
        return figures_to_dicts(self.figures)

    def to_dict(self) -> dict[str, Any]:
        """The report.json document (schema version and content hash included)."""
        body: dict[str, Any] = {"target": self.target, "name": self.name, "figures": self.figures_dict(),
                                "notes": list(self.notes), "lineage": dict(self.lineage),
                                **{k: v.to_dict() if isinstance(v, SectionRecord) else v
                                   for k, v in self.sections.items()}}
        if self.task is not None:
            body["task"] = self.task
        if self.bitexact is not None:
            body["bitexact"] = self.bitexact.to_dict()
        return seal(body, SCHEMA_VERSION)

    @classmethod
    def load(cls, path: Path) -> ExportReport:
        """From an export directory or its report.json; ``MissingArtifactError``/``InvalidInputError`` name what is
        missing, truncated, edited or of an unreadable schema."""
        path = Path(path)
        file = path / filenames.REPORT_JSON if path.is_dir() else path
        doc, version = read_record(file, kind="export report", schema_version=SCHEMA_VERSION,
                                   oldest=OLDEST_READABLE, hashed_from=2, command=COMMAND)
        return cls.from_dict(doc, version, where=str(file))

    @classmethod
    def from_dict(cls, doc: dict[str, Any], version: int = SCHEMA_VERSION, *, where: str = "report") -> ExportReport:
        doc = plain(doc)
        if version == 1:
            doc.setdefault("name", "")  # schema-1 synthesis reports named no run
        for key in ("target", "name"):
            if not isinstance(doc.get(key), str):
                raise InvalidInputError(f"{where}: '{key}' must be a string (got {doc.get(key)!r}).",
                                        fix=f"re-run `{COMMAND}`.")
        if "figures" not in doc:
            raise InvalidInputError(f"{where}: has no 'figures' section.", fix=f"re-run `{COMMAND}`.")
        figures = figures_from_dicts(doc["figures"], f"{where}: figures")
        bitexact = doc.get("bitexact")
        if version == 1:
            bitexact = _upgrade_bitexact_v1(bitexact, doc.pop("bitexact_record", None), doc.get("target"))
        record = None if bitexact is None else BitExactReport.from_dict(bitexact, f"{where}: bitexact")
        notes, lineage, task = doc.get("notes", []), doc.get("lineage", {}), doc.get("task")
        if not isinstance(notes, list) or not isinstance(lineage, dict) or not (task is None or isinstance(task, str)):
            raise InvalidInputError(f"{where}: notes must be a list, lineage an object and task a string.",
                                    fix=f"re-run `{COMMAND}`.")
        sections = {k: read_section(k, v, f"{where} ({doc['target']})") if k in SECTION_TYPES else v
                    for k, v in doc.items() if k not in _TYPED}
        return cls(doc["target"], doc["name"], figures, record, tuple(str(n) for n in notes),
                   {str(k): str(v) for k, v in lineage.items()}, task, sections)


def _upgrade_bitexact_v1(bitexact: Any, summary: Any, target: Any) -> Any:
    """A schema-1 rtl report kept its checks as {implementation: agreement} beside a ``bitexact_record`` summary."""
    if target != "rtl" or not isinstance(bitexact, dict) or not isinstance(summary, dict):
        return bitexact
    outputs = [OutputStats(name, int(c["num_values"]), float(c["exact_fraction"]), float(c["max_abs_diff"]), None,
                           True, f"{name} vs the reference logits", c.get("num_mismatched_samples"))
               for name, c in bitexact.items() if isinstance(c, dict)]
    final = next((o for o in outputs if o.name == "verilator"), None) or next(
        (o for o in outputs if o.name == "da4ml_interpreter"), None)
    record = BitExactReport(int(summary["samples"]), final.num_values if final else 0,
                            float(summary["exact_fraction"]), float(summary["max_abs_diff"]),
                            summary.get("argmax_agreement"), None, None, None, tuple(outputs),
                            f"{final.name if final else 'RTL'} vs the reference logits", (), None,
                            str(summary.get("reference_kind", "exact reference")),
                            final.name if final else "RTL")
    return record.to_dict()
