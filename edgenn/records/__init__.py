"""Typed records of what the later stages produce: export reports (figures, one bit-exactness record), check reports,
scan results and datasets. Each is frozen, carries a ``schema_version`` and a content hash, saves and loads itself,
and refuses a truncated, edited, newer or too-old file with one line naming the problem and the fix."""

from edgenn.records.bitexact import BitExactReport, OutputStats
from edgenn.records.check import CheckLine, CheckReport
from edgenn.records.export import ExportReport
from edgenn.records.figures import Figure, Interval

__all__ = ["BitExactReport", "CheckLine", "CheckReport", "ExportReport", "Figure", "Interval", "OutputStats"]
