"""edgenn: physics data to bit-exact FPGA firmware for nanosecond neural networks."""

__version__ = "0.1.0"
