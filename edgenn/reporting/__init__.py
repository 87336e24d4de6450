"""The run report: one self-contained ``report.html`` per run, stage or export directory (``write_report``)."""

from edgenn.reporting.page import REPORT_HTML, render_page, write_report
from edgenn.reporting.sources import CSIM_OUTPUTS, Sources, locate

__all__ = ["CSIM_OUTPUTS", "REPORT_HTML", "Sources", "locate", "render_page", "write_report"]
