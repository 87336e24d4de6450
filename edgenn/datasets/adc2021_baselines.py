"""ADC2021 anomaly-detection baselines that a public source pins, each with what exactly it measured.

Users compare edgenn's AE/VAE figures with the ADC2021 literature, so a comparison table must say which figure comes
from where and on which setup (model, inputs, score, training and test sample): two AUCs from different setups are
only comparable once those differences are in view. Only figures printed as numbers are kept (a legend, a table,
a log line); a value read off a curve by eye is not a pinned figure.

What could not be pinned (searched, docs/event_streams.md says where): the per-signal AUC and TPR-at-FPR-1e-5
tables of Govorkova et al., "Autoencoders on FPGAs for real-time, unsupervised new physics detection at 40 MHz at the
Large Hadron Collider", Nature Mach. Intell. 4, 154 (2022), arXiv:2108.03986 (DNN/CNN AE and VAE), and any
performance figure of the dataset paper (arXiv:2107.02157). No stored copy of those tables could be read; the
tutorial runs below are the only per-signal ADC2021 figures found.

Signals are named as edgenn's adc2021 stream names them (``event_streams.ADC2021_SIGNALS``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

# The ADC2021 signal files (Zenodo) behind edgenn's names, so a source's labels can be checked against the files.
ADC2021_SIGNAL_FILES: dict[str, str] = {
    "ato4l": "Ato4l_lepFilter_13TeV.h5", "lq_btau": "leptoquark_LOWMASS_lepFilter_13TeV.h5",
    "h0_tautau": "hToTauTau_13TeV_PU20.h5", "hplus_taunu": "hChToTauNu_13TeV_PU20.h5"}


@dataclasses.dataclass(frozen=True)
class Baseline:
    """One model's per-signal figures on the public ADC2021 files, from one public source.

    ``auc`` and ``tpr`` map edgenn signal names to values; ``tpr`` holds efficiencies at ``fpr`` and stays empty when
    the source prints none (a curve alone pins nothing). ``citation`` is repository@commit:path plus where in the file.
    """

    key: str
    label: str
    citation: str
    model: str
    inputs: str
    score: str
    training: str
    test: str
    auc: Mapping[str, float]
    tpr: Mapping[str, float] = dataclasses.field(default_factory=dict)
    fpr: float = 1e-5

    def __post_init__(self) -> None:
        for name, values in (("auc", self.auc), ("tpr", self.tpr)):
            bad = {s: v for s, v in values.items() if s not in ADC2021_SIGNAL_FILES or not 0.0 <= v <= 1.0}
            if bad:
                raise ValueError(f"baseline {self.key}: {name} has unknown signals or values outside [0, 1]: {bad}")


_USATLAS = "usatlas-ml-training/Anomaly-Detection@62113b7f6bfe5f54d4b6a9fd56e545ccf439c688"
# Shared by both notebooks: create_datasets.py with --events 1000000 (its default split 0.2 test, then 0.2 of the
# rest for validation), 50 epochs at batch 10,000 (64 steps per epoch: 640,000 training events), hence 200,000
# background test events (the background prediction logs print 6,250 steps: 32 events each, Keras' default batch).
_USATLAS_SAMPLE = ("1,000,000 shuffled events of background_for_training.h5: 640,000 train, 160,000 validation; "
                   "50 epochs, Adam, batch 10,000")
_USATLAS_TEST = ("200,000 background test events (FPR 1e-5 = 2 events: no efficiency there is pinned); every event "
                 "of each signal file")
_USATLAS_INPUTS = "raw (pT, eta, phi) of the 19 ADC2021 objects, not standardised, zero padding kept as input"

ADC2021_BASELINES: tuple[Baseline, ...] = (
    Baseline(
        key="usatlas-dnn",
        label="ADC2021 tutorial dense AE (US ATLAS ML training 2022)",
        citation=f"{_USATLAS}:Dense_AE.ipynb, cell 31 output (ROC legend)",
        model="dense AE 57-32-16-8-16-32-57, ReLU, no biases except the output layer",
        inputs=_USATLAS_INPUTS, score="MSE over all 57 inputs (zero padding included)",
        training=_USATLAS_SAMPLE, test=_USATLAS_TEST,
        auc={"ato4l": 0.954, "h0_tautau": 0.873, "lq_btau": 0.953, "hplus_taunu": 0.956}),
    Baseline(
        key="usatlas-cnn",
        label="ADC2021 tutorial conv AE (US ATLAS ML training 2022)",
        citation=f"{_USATLAS}:Convolutional_AE.ipynb, cell 32 output (ROC legend)",
        model="conv AE on the (19, 3, 1) object image: Conv2D 10 (3x3, swish, no bias) - AvgPool (2, 1) - Dense 8 "
              "(ReLU); decoder Dense 270 (swish) - UpSampling (2, 1) - ZeroPadding - Conv2D 1 (3x3, linear)",
        inputs=_USATLAS_INPUTS, score="MSE over all 57 inputs (zero padding included)",
        training=_USATLAS_SAMPLE, test=_USATLAS_TEST,
        auc={"ato4l": 0.959, "h0_tautau": 0.858, "lq_btau": 0.941, "hplus_taunu": 0.948}),
)


def _cell(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def comparison_table(results: Mapping[str, Mapping], signals: Sequence[str], fpr: float,
                     baselines: Sequence[Baseline] = ADC2021_BASELINES) -> list[str]:
    """Markdown lines: edgenn's rows (``results``: label -> {signal: {"auc", "efficiency"}}) and, beside them, every
    baseline's AUC and efficiency at ``fpr`` ("–" where the source pins none), then one line per baseline source."""
    lines = ["| model | " + " | ".join(f"AUC {s}" for s in signals) + " | "
             + " | ".join(f"eff {s} @ {fpr:g}" for s in signals) + " | source |",
             "|---|" + "---:|" * (2 * len(signals)) + "---|"]
    for label, per_signal in results.items():
        row = [per_signal.get(s, {}) for s in signals]
        lines.append(f"| {label} | " + " | ".join(_cell(r.get("auc"), 3) for r in row) + " | "
                     + " | ".join(_cell(r.get("efficiency"), 4) for r in row) + " | edgenn, this run |")
    for b in baselines:
        tpr = b.tpr if b.fpr == fpr else {}
        lines.append(f"| {b.label} | " + " | ".join(_cell(b.auc.get(s), 3) for s in signals) + " | "
                     + " | ".join(_cell(tpr.get(s), 4) for s in signals) + f" | [{b.key}] |")
    lines += [f"[{b.key}] {b.citation}. Model: {b.model}. Inputs: {b.inputs}. Score: {b.score}. Training: "
              f"{b.training}. Test: {b.test}." for b in baselines]
    return lines
