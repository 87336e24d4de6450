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

# (regex on the warning text, edgenn line). Only warnings whose cause the user controls belong here.
TRANSLATIONS: tuple[tuple[re.Pattern, str], ...] = ()


def configure(verbose: bool) -> None:
    """Quiet (default) or verbose library output for the rest of the process."""
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


_said: set[str] = set()


def _translate_warning(message, category, filename, lineno, file=None, line=None) -> None:
    text = str(message)
    for pattern, edgenn_line in TRANSLATIONS:
        if pattern.search(text) and edgenn_line not in _said:
            _said.add(edgenn_line)
            print(edgenn_line, file=sys.stderr)
            return
