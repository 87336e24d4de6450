"""Datasets: generated Pythia jets (``generate_jets``), the in-memory ``JetData`` type and its HDF5 format, and a
reader for the public hls4ml jet files."""

from edgenn.datasets.generate import JetGenConfig, generate_jets
from edgenn.datasets.hls4ml_reader import read_hls4ml_jets
from edgenn.datasets.jet_data import (
    CLASS_NAMES,
    CONSTITUENT_NAMES,
    EXTRA_FEATURES,
    FEATURE_NAMES,
    HLF16,
    JetData,
    load_jets,
    save_jets,
)
from edgenn.datasets.jets_pythia import benchmark_pythia

__all__ = [
    "CLASS_NAMES",
    "CONSTITUENT_NAMES",
    "EXTRA_FEATURES",
    "FEATURE_NAMES",
    "HLF16",
    "JetData",
    "JetGenConfig",
    "benchmark_pythia",
    "generate_jets",
    "load_jets",
    "read_hls4ml_jets",
    "save_jets",
]
