"""The check report: an export's figures against a budget, one line per budget limit (``edgenn check``).

Saved as JSON (``save``/``load``, schema version and content hash like every record); ``report_hash`` is the content
hash of the export report that was checked, so a saved check names exactly the figures it judged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from edgenn.errors import InvalidInputError
from edgenn.records.base import HASH_KEY, plain, read_record, seal

SCHEMA_VERSION = 1
COMMAND = "edgenn check <export> --budget <budget.yml>"


@dataclass(frozen=True)
class CheckLine:
    figure: str
    limit: str
    value: float | None
    unit: str | None
    method: str | None
    passed: bool
    reason: str
    upper: float | None = None  # upper end of the figure's 90 % interval, when compared with it
    bounds: str = ""  # the limit without its method condition, e.g. "<= 100" (what a narrow table shows)
    methods: tuple[str, ...] | None = None  # estimation methods the budget accepts for this figure; None: any


@dataclass(frozen=True)
class CheckReport:
    source: str
    lines: tuple[CheckLine, ...]
    report_hash: str | None = None  # content hash of the checked export report (None: figures not from a report)

    @property
    def passed(self) -> bool:
        return all(line.passed for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document's check part: source, verdict and lines."""
        return {"source": self.source, "passed": self.passed, "lines": [asdict(x) for x in self.lines]}

    def to_junit(self) -> str:
        from xml.sax.saxutils import escape, quoteattr

        failures = sum(not x.passed for x in self.lines)
        cases = []
        for x in self.lines:
            body = "" if x.passed else f"<failure message={quoteattr(x.reason)}/>"
            cases.append(f'  <testcase classname="edgenn.check" name={quoteattr(x.figure)}>{body}</testcase>')
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="edgenn check {escape(self.source)}" '
                f'tests="{len(self.lines)}" failures="{failures}">\n' + "\n".join(cases) + "\n</testsuite>\n")

    @property
    def content_hash(self) -> str:
        return self._document()[HASH_KEY]

    def _document(self) -> dict[str, Any]:
        return seal({**self.to_dict(), "report_hash": self.report_hash}, SCHEMA_VERSION)

    def save(self, path: Path) -> dict[str, Any]:
        from edgenn.io import atomic_write_json

        doc = self._document()
        atomic_write_json(Path(path), doc)
        return doc

    @classmethod
    def load(cls, path: Path) -> CheckReport:
        doc, _ = read_record(Path(path), kind="check report", schema_version=SCHEMA_VERSION, oldest=1,
                             hashed_from=1, command=COMMAND)
        return cls.from_dict(doc, where=str(path))

    @classmethod
    def from_dict(cls, doc: dict[str, Any], *, where: str = "check report") -> CheckReport:
        doc = plain(doc)
        if not isinstance(doc.get("source"), str) or not isinstance(doc.get("lines"), list):
            raise InvalidInputError(f"{where}: needs 'source' (a string) and 'lines' (a list).",
                                    fix=f"re-run `{COMMAND}`.")
        names = {f.name for f in fields(CheckLine)}
        lines = []
        for i, line in enumerate(doc["lines"]):
            if not isinstance(line, dict) or set(line) - names:
                raise InvalidInputError(f"{where}: lines[{i}] is not a check line.", fix=f"re-run `{COMMAND}`.")
            try:
                methods = line.get("methods")
                lines.append(CheckLine(**{**line, "methods": None if methods is None else tuple(methods)}))
            except TypeError as err:
                raise InvalidInputError(f"{where}: lines[{i}]: {err}.", fix=f"re-run `{COMMAND}`.") from None
        report = cls(doc["source"], tuple(lines), doc.get("report_hash"))
        if "passed" in doc and doc["passed"] != report.passed:
            raise InvalidInputError(f"{where}: 'passed' is {doc['passed']} but its lines say {report.passed}.",
                                    fix=f"re-run `{COMMAND}`.")
        return report
