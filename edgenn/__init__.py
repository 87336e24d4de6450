"""edgenn: physics data to bit-exact FPGA firmware for nanosecond neural networks.

The public API mirrors the CLI: ``generate_data``, ``train``, ``compress``, ``export``, ``check``, ``report``.
"""

from edgenn._version import __version__

from edgenn.api import check, compress, export, generate_data, report, train

__all__ = ["__version__", "check", "compress", "export", "generate_data", "report", "train"]
