"""Named jet-sample definitions: which Pythia processes make each class, the hard-process pT window, and the feature
conventions that differ between definitions. ``edgenn data generate jets --definition NAME`` picks one.

``hls4ml`` (the default) follows the published recipe of the public hls4ml jet dataset (Coleman et al.,
arXiv:1709.08705; Duarte et al., arXiv:1804.06913; JetNet, arXiv:2106.11535 sec. 2): partons and undecayed bosons
generated in a window with Delta pT / pT = 1 % around 1 TeV, the underlying event on, anti-kT R = 0.8. The W and Z come
from a heavy scalar (Pythia's H2, m = 2016 GeV, width forced to 2 GeV) decaying to WW / ZZ: a spin-0 resonance decays
almost only to longitudinally polarised bosons (the transverse fraction falls like (m_V / m_H)^4), whose quarks share
the boson's energy evenly enough for mMDT to keep both prongs. ``WeakDoubleBoson:ffbar2WW`` instead gives mostly
transverse bosons at 1 TeV, whose asymmetric decays mMDT grooms down to a one-prong, quark-like jet. The mass puts
the boson momentum in the H2 rest frame at the window's upper edge (1005 GeV for W, 1004 GeV for Z), so the
process-level veto in ``jets_pythia`` (boson pT inside the window) keeps ~13 % of hard processes, and those cost
microseconds. ``legacy`` is edgenn's first definition (p-hat-T >= 950 GeV, ffbar -> WW / ZZ, zlogz from pT
fractions), kept under its own name so that earlier results can be reproduced.

Two candidate variants of ``hls4ml`` exist to measure, one difference at a time, what separates edgenn's jets from the
public ones (benchmarks/definition_gap.py): ``hls4ml-sample-labels`` labels every selected jet by the sample it comes
from, as the public ntuple code does (no truth matching, so uncontained decays and radiation jets keep the sample's
label), and ``hls4ml-z-no-b`` decays the Z to u, d, s, c only (MadGraph's default multiparticle ``j`` has no b; Z -> b
b-bar jets lose mass to neutrinos of semileptonic b decays, towards the W). Both share every Pythia setting of
``hls4ml`` except the Z decay, so a shard with the same seed holds the same events. ``hls4ml-particle-pt1`` clusters
only visible particles above 1 GeV, which brings the constituent counts near the public files' ones.

docs/jet_definitions.md describes each feature definition and its source.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

from edgenn.errors import InvalidInputError

_HADRONIC_W = ("24:onMode = off", "24:onIfAny = 1 2 3 4 5")
_HADRONIC_Z = ("23:onMode = off", "23:onIfAny = 1 2 3 4 5")
_LIGHT_QUARKS = ("HardQCD:qq2qq = on", "HardQCD:qqbar2qqbarNew = on")
_GLUONS = ("HardQCD:gg2gg = on", "HardQCD:qqbar2gg = on")
_TOPS = ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", *_HADRONIC_W)

# The hls4ml window: Delta pT / pT = 1 % (full width) centred at 1 TeV.
HLS4ML_WINDOW_GEV = (995.0, 1005.0)
_W_MASS, _Z_MASS = 80.385, 91.1876
# H2 mass: the W momentum in the H2 rest frame equals the window's upper edge (at process level the H2 has no pT).
HEAVY_SCALAR_MASS_GEV = round(2.0 * math.hypot(HLS4ML_WINDOW_GEV[1], _W_MASS), 1)


def _heavy_scalar(decay: str) -> tuple[str, ...]:
    return ("Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", f"35:m0 = {HEAVY_SCALAR_MASS_GEV!r}",
            # A 2 TeV scalar with SM-like couplings would be ~1 TeV wide; a narrow one keeps the boson momentum fixed.
            "35:doForceWidth = on", "35:mWidth = 2.0", "35:onMode = off", f"35:onIfMatch = {decay}")


@dataclasses.dataclass(frozen=True)
class JetSampleDefinition:
    """One jet-sample definition.

    ``pt_window`` is the hard-process pT window in GeV (``max`` None: open). For classes in ``boson_window`` it is
    applied to the boson of that PDG id by a process-level veto (2 -> 1 resonance production has no p-hat-T); for
    the others it is Pythia's ``PhaseSpace:pTHatMin/Max``. ``zlogz`` says which momentum fraction z_i the
    j_zlogz feature uses. ``labels`` says which jets of a sample keep its class: ``truth`` only jets matched to the
    class's parton or contained resonance, ``sample`` every selected jet (the public ntuples' convention).
    ``min_particle_pt`` drops softer visible particles before clustering (a reconstruction threshold).
    """

    name: str
    summary: str
    processes: dict[str, tuple[str, ...]]
    pt_window: tuple[float, float | None]
    boson_window: dict[str, int]
    zlogz: Literal["energy", "pt"]
    sources: tuple[str, ...]
    labels: Literal["truth", "sample"] = "truth"
    min_particle_pt: float = 0.0  # GeV; visible particles below it are dropped before clustering

    def hard_process_settings(self, cls: str, pt_min: float, pt_max: float | None) -> list[str]:
        """Pythia settings of class ``cls`` with the hard-process pT window [pt_min, pt_max]."""
        settings = list(self.processes[cls])
        if cls not in self.boson_window:
            settings.append(f"PhaseSpace:pTHatMin = {pt_min!r}")
            if pt_max is not None:
                settings.append(f"PhaseSpace:pTHatMax = {pt_max!r}")
        return settings


JET_DEFINITIONS: dict[str, JetSampleDefinition] = {
    "hls4ml": JetSampleDefinition(
        name="hls4ml",
        summary="public hls4ml jet dataset recipe: 1 TeV +- 0.5 % partons/bosons, longitudinal W/Z from a heavy "
                "scalar, zlogz from energy fractions",
        processes={"q": _LIGHT_QUARKS, "g": _GLUONS,
                   "W": (*_heavy_scalar("24 -24"), *_HADRONIC_W),
                   "Z": (*_heavy_scalar("23 23"), *_HADRONIC_Z),
                   "t": _TOPS},
        pt_window=HLS4ML_WINDOW_GEV,
        boson_window={"W": 24, "Z": 23},
        zlogz="energy",
        sources=("arXiv:1709.08705 (dataset generation)", "arXiv:1804.06913 sec. 3 (hls4ml jet features)",
                 "arXiv:2106.11535 sec. 2 (window Delta pT / pT = 0.01 at 1 TeV, underlying event on)",
                 "fjcontrib EnergyCorrelator 1.x (C, D, generalised D, M, N series)")),
    "legacy": JetSampleDefinition(
        name="legacy",
        summary="edgenn's first definition: p-hat-T >= 950 GeV, ffbar -> WW / ZZ (mostly transverse bosons), "
                "zlogz from pT fractions",
        processes={"q": _LIGHT_QUARKS, "g": _GLUONS,
                   "W": ("WeakDoubleBoson:ffbar2WW = on", *_HADRONIC_W),
                   "Z": ("WeakDoubleBoson:ffbar2gmZgmZ = on", "WeakZ0:gmZmode = 2", *_HADRONIC_Z),
                   "t": _TOPS},
        pt_window=(950.0, None),
        boson_window={},
        zlogz="pt",
        sources=("docs/jet_definitions.md (edgenn's own choices)",)),
}
_HLS4ML = JET_DEFINITIONS["hls4ml"]
JET_DEFINITIONS["hls4ml-sample-labels"] = dataclasses.replace(
    _HLS4ML, name="hls4ml-sample-labels", labels="sample",
    summary="hls4ml with every selected jet labelled by its sample (no truth matching), as the public ntuples",
    sources=(*_HLS4ML.sources, "public ntuple code: the two leading jets of each sample, no parton matching"))
JET_DEFINITIONS["hls4ml-z-no-b"] = dataclasses.replace(
    _HLS4ML, name="hls4ml-z-no-b",
    processes={**_HLS4ML.processes, "Z": (*_heavy_scalar("23 23"), "23:onMode = off", "23:onIfAny = 1 2 3 4")},
    summary="hls4ml with Z -> u, d, s, c only (no b b-bar), as MadGraph's default 4-flavour multiparticle j",
    sources=(*_HLS4ML.sources, "MadGraph5 default 'j' = g u c d s and antiquarks (4-flavour scheme, no b)"))
JET_DEFINITIONS["hls4ml-particle-pt1"] = dataclasses.replace(
    _HLS4ML, name="hls4ml-particle-pt1", min_particle_pt=1.0,
    summary="hls4ml clustered from visible particles with pT > 1 GeV: the public files' constituent counts",
    sources=(*_HLS4ML.sources, "constituent counts of the public 150-particle files (5/25/50/75/95 % quantiles "
             "22/34/46/61/89, mean 49.4)"))
DEFAULT_JET_DEFINITION = "hls4ml"


def jet_definition(name: str) -> JetSampleDefinition:
    """The registered definition called ``name``; an unknown name is an InvalidInputError listing the known ones."""
    try:
        return JET_DEFINITIONS[name]
    except KeyError:
        raise InvalidInputError(f"unknown jet definition {name!r}.",
                                fix=f"use one of: {', '.join(JET_DEFINITIONS)}.") from None
