"""Synthesis figures for exports: Yosys on the da4ml RTL (method ``yosys``) and vendor HLS reports (``vendor``).

Nothing here imports hls4ml or runs a tool at import time.
"""

from edgenn.synth.stage import TOOLS, SynthResult, report_vendor, run_synth

__all__ = ["TOOLS", "SynthResult", "report_vendor", "run_synth"]
