"""Named trigger-event streams: which processes make the background and the signals, how objects are built, and
which preselection an event must pass. ``edgenn data generate events --stream NAME`` picks one.

``adc2021`` (the default) follows the ADC2021 anomaly-detection dataset (Govorkova et al., Sci. Data 9, 118 (2022),
arXiv:2107.02157): a lepton-filtered stream (>= 1 electron or muon with pT > 23 GeV), reconstructed and isolated
leptons, jets that do not double-count them, a resolution-smeared MET and objects, and ADC2021's four signals
(A -> 4l, LQ -> b tau, h0 -> tau tau, h+ -> tau nu). QCD reaches a lepton-filtered stream only through rare
heavy-flavour decays, so it is generated in p-hat-T slices, each a process of its own with its own cross-section
and filter efficiency: the slices are weighted (sigma x efficiency / events kept) and the manifest reports the
effective number of background events. ``ht_legacy`` is edgenn's first stream (lepton OR jet-HT > 350 GeV,
generator-level objects, no isolation), kept under its own name. ``zero_bias`` is CICADA's training stream: every
bunch crossing kept (a random trigger, no preselection), a soft-QCD non-diffractive interaction plus the pileup
overlay (``--pileup-mu``), the ADC2021 signals unfiltered beside it, objects reconstructed as in ``adc2021`` and the
18 x 14 calorimeter-region image of each event written with them (``calo_regions``).

docs/event_streams.md describes each choice and its source.
"""

from __future__ import annotations

import dataclasses

from edgenn.errors import InvalidInputError

_W_LNU = ("WeakSingleBoson:ffbar2W = on", "24:onMode = off", "24:onIfAny = 11 13 15")
_Z_LL = ("WeakSingleBoson:ffbar2gmZ = on", "WeakZ0:gmZmode = 2", "23:onMode = off", "23:onIfAny = 11 13 15",
         "PhaseSpace:mHatMin = 40.")
_TTBAR = ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on")


# HardQCD:all minus the hard heavy-flavour processes, which have slices of their own: together they are HardQCD:all,
# each process generated once. Heavy flavour from PDFs (flavour excitation) and from the shower stays in the light
# slices, where it belongs.
_LIGHT_QCD = ("HardQCD:gg2gg = on", "HardQCD:gg2qqbar = on", "HardQCD:qg2qg = on", "HardQCD:qq2qq = on",
              "HardQCD:qqbar2gg = on", "HardQCD:qqbar2qqbarNew = on")


def _qcd_slice(processes: tuple[str, ...], low: float, high: float | None) -> tuple[str, ...]:
    upper = (f"PhaseSpace:pTHatMax = {high!r}",) if high is not None else ()
    return (*processes, f"PhaseSpace:pTHatMin = {low!r}", *upper)


# ADC2021's four signals (Govorkova et al., arXiv:2107.02157), shared by the adc2021 and zero_bias streams.
ADC2021_SIGNALS: dict[str, tuple[str, ...]] = {
    # A: a neutral scalar of 50 GeV decaying to two off-shell Z, each to e+e- or mu+mu-.
    "ato4l": ("Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:m0 = 50.", "35:onMode = off",
              "35:onIfMatch = 23 23", "23:onMode = off", "23:onIfAny = 11 13"),
    # LQ of 80 GeV -> b tau. Pythia's LQ has charge -1/3 (it couples to u e); -4/3 makes b tau- conserve
    # charge. Pair production is pure QCD, so the charge changes only the decay.
    "lq_btau": ("LeptoQuark:gg2LQLQbar = on", "LeptoQuark:qqbar2LQLQbar = on", "42:m0 = 80.",
                "42:chargeType = -4", "42:oneChannel = 1 1.0 0 5 15"),
    "h0_tautau": ("Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:m0 = 60.", "35:onMode = off",
                  "35:onIfMatch = 15 -15"),
    "hplus_taunu": ("Higgs:useBSM = on", "HiggsBSM:ffbar2H+- = on", "37:m0 = 60.", "37:onMode = off",
                    "37:onIfMatch = 15 16"),
}


@dataclasses.dataclass(frozen=True)
class EventStream:
    """One stream. ``background`` and ``signals`` map process names to Pythia settings.

    ``reconstructed``: isolated leptons, overlap removal and parametrised resolution (``events_pythia``); otherwise
    generator-level objects. ``ht_path``: an event may also pass on jet HT (the legacy stream). ``qcd_pt_hat_min``:
    the legacy stream's single QCD process takes its p-hat-T floor from the config (None: the slices fix theirs).
    """

    name: str
    summary: str
    background: dict[str, tuple[str, ...]]
    signals: dict[str, tuple[str, ...]]
    reconstructed: bool
    ht_path: bool
    qcd_pt_hat_min: bool
    sources: tuple[str, ...]
    max_shards: dict[str, int] = dataclasses.field(default_factory=dict)  # default shard caps per process
    preselected: bool = True  # False: a random (zero-bias) trigger, every generated event is kept
    calo_regions: bool = False  # write each event's calorimeter-region image (``calo_regions``) beside its objects

    @property
    def processes(self) -> dict[str, tuple[str, ...]]:
        return {**self.background, **self.signals}

    @property
    def process_names(self) -> tuple[str, ...]:
        return tuple(self.processes)


EVENT_STREAMS: dict[str, EventStream] = {
    "adc2021": EventStream(
        name="adc2021",
        summary="ADC2021 layout and filter: >= 1 isolated e/mu with pT > 23 GeV, overlap removal, smeared objects "
                "and MET, QCD in weighted p-hat-T slices, ADC2021's four signals",
        background={"wlnu": _W_LNU, "zll": _Z_LL, "ttbar": _TTBAR,
                    # p-hat-T slices: the filter efficiency grows steeply with p-hat-T (b and c hadrons hard enough to
                    # give an isolated 23 GeV lepton), so the harder slices hold most passing events per CPU second.
                    "qcd_pt20": _qcd_slice(_LIGHT_QCD, 20.0, 50.0), "qcd_pt50": _qcd_slice(_LIGHT_QCD, 50.0, 120.0),
                    "qcd_pt120": _qcd_slice(_LIGHT_QCD, 120.0, 300.0), "qcd_pt300": _qcd_slice(_LIGHT_QCD, 300.0, None),
                    # Heavy-flavour enrichment: semileptonic b and c decays are where QCD's isolated leptons come
                    # from, and hard bb / cc are ~1 % of the inclusive cross-section.
                    "qcd_bb_pt20": _qcd_slice(("HardQCD:hardbbbar = on",), 20.0, None),
                    "qcd_cc_pt20": _qcd_slice(("HardQCD:hardccbar = on",), 20.0, None)},
        signals=ADC2021_SIGNALS,
        reconstructed=True, ht_path=False, qcd_pt_hat_min=False,
        # QCD passes the isolated-lepton filter at ~1e-5: by default each slice stops after 4 shards (its efficiency
        # is then an upper bound); --max-shards-per-process or --events asks for real QCD statistics.
        max_shards={"qcd_pt20": 4, "qcd_pt50": 4, "qcd_pt120": 4, "qcd_pt300": 4, "qcd_bb_pt20": 4,
                    "qcd_cc_pt20": 4},
        sources=("arXiv:2107.02157 (ADC2021 dataset: filter, objects, signals, SM composition)",
                 "Delphes CMS card (lepton isolation cone and thresholds)")),
    "ht_legacy": EventStream(
        name="ht_legacy",
        summary="edgenn's first stream: e/mu pT > 23 GeV OR jet HT > 350 GeV, generator-level objects, QCD with "
                "p-hat-T > 100 GeV",
        background={"qcd": ("HardQCD:all = on",), "wlnu": _W_LNU, "zll": _Z_LL, "ttbar": _TTBAR},
        signals={"a_tautau": ("Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:m0 = 50.", "35:onMode = off",
                              "35:onIfMatch = 15 -15"),
                 "hplus_taunu": ("Higgs:useBSM = on", "HiggsBSM:ffbar2H+- = on", "37:m0 = 60.", "37:onMode = off",
                                 "37:onIfMatch = 15 16"),
                 "lq_ctau": ("LeptoQuark:gg2LQLQbar = on", "LeptoQuark:qqbar2LQLQbar = on", "42:m0 = 80.",
                             "42:oneChannel = 1 1.0 0 4 15"),
                 "h2_zz4l": ("Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:m0 = 200.", "35:onMode = off",
                             "35:onIfMatch = 23 23", "23:onMode = off", "23:onIfAny = 11 13")},
        reconstructed=False, ht_path=True, qcd_pt_hat_min=True,
        sources=("docs/event_streams.md (edgenn's own choices)",)),
    "zero_bias": EventStream(
        name="zero_bias",
        summary="CICADA's training stream: every crossing kept (random trigger), a soft-QCD non-diffractive "
                "interaction + pileup (--pileup-mu), 18 x 14 calorimeter-region images, ADC2021's signals unfiltered",
        # Non-diffractive only for the interaction that makes the crossing: the pileup pool (``pileup``) already
        # draws all inelastic processes, diffraction included, so a crossing is one non-diffractive interaction plus
        # Poisson(mu) inelastic ones; diffractive events leave almost nothing in |eta| < 3 (docs/cicada.md).
        background={"minbias": ("SoftQCD:nonDiffractive = on",)},
        signals=ADC2021_SIGNALS,
        reconstructed=True, ht_path=False, qcd_pt_hat_min=False, preselected=False, calo_regions=True,
        sources=("CMS CICADA (calorimeter-image anomaly detection trained on zero-bias data), docs/cicada.md",
                 "arXiv:2107.02157 (ADC2021 signals)")),
}
DEFAULT_EVENT_STREAM = "adc2021"
# Seeds are laid out per stream-local process index; this many slots per stream keeps every seed unique.
MAX_PROCESSES_PER_STREAM = 16

# ADC2021's SM composition of the lepton-filtered background, in % of the events of its training file (the dataset
# paper's table of SM processes). The table itself could not be read here; the same four numbers are stated, as the
# composition of the 4 million events of background_for_training.h5, by a dataset author's public tutorial
# (docs/event_streams.md has both and what was searched).
ADC2021_COMPOSITION_PERCENT = {"W -> l nu": 59.2, "QCD multijet": 33.8, "Z -> l l": 6.7, "ttbar": 0.3}
ADC2021_COMPOSITION_SOURCE = ("Govorkova et al., LHC physics dataset for unsupervised New Physics detection at 40 MHz, "
                              "Sci. Data 9, 118 (2022), doi:10.1038/s41597-022-01187-8, arXiv:2107.02157 (table "
                              "not read here); the same four numbers for the 4M events of background_for_training.h5: "
                              "thaarres/quantumUniverse_pynqZ2@e29a80c202f3ab79ebd43fd0850e0715d19c1979:"
                              "part1_ADmodel.ipynb, first cell (T. Aarrestad, a dataset author)")


def event_stream(name: str) -> EventStream:
    """The registered stream ``name``; an unknown name is an InvalidInputError listing the known ones."""
    try:
        return EVENT_STREAMS[name]
    except KeyError:
        raise InvalidInputError(f"unknown event stream {name!r}.",
                                fix=f"use one of: {', '.join(EVENT_STREAMS)}.") from None


def composition_group(process: str) -> str:
    """The ADC2021 composition row a background process belongs to."""
    if process.startswith("qcd"):
        return "QCD multijet"
    return {"wlnu": "W -> l nu", "zll": "Z -> l l", "ttbar": "ttbar"}.get(process, process)
