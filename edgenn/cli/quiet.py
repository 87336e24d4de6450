"""Keep library noise (TensorFlow/Keras/absl logging, Python warnings) out of edgenn's output unless ``-v`` asks.

Runs in the root command callback, before any command imports TensorFlow: TF reads ``TF_CPP_MIN_LOG_LEVEL`` once at
import, and its Python logger keeps whatever level it finds. A library warning that tells the user something they
should act on is not dropped but turned into one edgenn line (``TRANSLATIONS``).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import warnings

# Loggers of the libraries edgenn drives; their WARNING lines are about their internals, not the user's job.
LIBRARY_LOGGERS = ("tensorflow", "absl", "keras", "h5py", "tf2onnx", "onnx", "onnxruntime", "hls4ml", "qkeras",
                   "numexpr", "matplotlib", "optuna", "ray", "py.warnings")

# (regex on the warning text, edgenn line as a ``Match.expand`` template). Only warnings whose cause the user
# controls belong here; each says what happened in edgenn's terms and what to do. Found by running the commands with
# -v on small models (tests/cli/test_quiet.py triggers each one for real).
TRANSLATIONS: tuple[tuple[re.Pattern, str], ...] = (
    # hls4ml (Resource strategy, or io_stream) replaces a reuse factor that does not divide the layer's multiplies
    # and says so in a print edgenn forwards as a warning (exporters.hls.forward_printed_warnings). The export
    # then runs another reuse factor than the one asked for.
    (re.compile(r'Invalid ReuseFactor=(\d+) in layer "([^"]+)"\.\s*Using ReuseFactor=(\d+) instead\. '
                r"Valid ReuseFactor\(s\): ([\d,]+)"),
     r"note: hls4ml: reuse factor \1 does not fit layer '\2'; hls4ml used \3 instead. Fix: pick one of \4 "
     r"(--reuse-factor, or export.fpga.layers.\2.reuse_factor in the recipe)."),
    (re.compile(r'Invalid ParallelizationFactor=(\d+) in layer "([^"]+)"\.\s*Using ParallelizationFactor=(\d+) '
                r"instead\. Valid ParallelizationFactor\(s\): ([\d,]+)"),
     r"note: hls4ml: parallelization factor \1 does not fit layer '\2'; hls4ml used \3 instead. Fix: pick one "
     r"of \4 (export.fpga.layers.\2.parallelization_factor in the recipe)."),
    # the softmax lookup table cannot be indexed by an input this narrow: hls4ml silently shrinks the table
    (re.compile(r"Softmax layer (\S+) table size is too large for input\s*bitwidth (\d+)\. Setting table size to "
                r"(\d+)"),
     r"note: hls4ml: softmax '\1' gets a \2-bit input, too narrow for its lookup table; the table was cut to \3 "
     r"entries. Fix: widen the logits' precision, or use --softmax argmax or --softmax drop (both exact)."),
)


def configure(verbose: bool) -> None:
    """Quiet (default) or verbose library output for the rest of the process."""
    _said.clear()  # one command per configure: a document lists its own command's lines only
    if verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")
        warnings.simplefilter("default")
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)
        _absl_verbosity("info")
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # its start-up notice goes to stderr in C++
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    _absl_verbosity("error")
    # "always" so repeated warnings still reach the hook; the hook drops every one it does not translate.
    warnings.simplefilter("always")
    warnings.showwarning = _translate_warning
    # Libraries that call warnings.filterwarnings later only add filters in front of ours: the hook stays.


def _absl_verbosity(level: str) -> None:
    try:
        from absl import logging as absl_logging
    except ImportError:  # absl arrives with TensorFlow; without it there is nothing to quiet
        return
    absl_logging.set_verbosity(level)


_said: list[str] = []  # in the order said: --json documents carry them too (jsonout.document)


def said() -> list[str]:
    """The edgenn lines translated from library warnings so far in this process."""
    return list(_said)


def translate(text: str) -> str | None:
    """The edgenn line for a library warning's text, or None when it is not one the user can act on."""
    for pattern, template in TRANSLATIONS:
        match = pattern.search(text)
        if match:
            return match.expand(template)
    return None


def _translate_warning(message, category, filename, lineno, file=None, line=None) -> None:
    edgenn_line = translate(str(message))
    if edgenn_line is not None and edgenn_line not in _said:  # each distinct line once per run
        _said.append(edgenn_line)
        print(edgenn_line, file=sys.stderr)
