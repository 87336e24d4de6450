"""One shard of trigger-level events: Pythia 8 events -> L1-like objects in the ADC2021 layout -> preselection.

A shard is (process, shard index) with its own Pythia seed and is a pure function of its ``EventShardSpec`` (and the
pythia8mc/fastjet versions), as in ``jets_pythia``; Pythia objects live only inside the call that uses them.

Objects per event (no detector smearing and no isolation, see data-generation notes section 7), each (pT, eta, phi):
  row 0       missing ET: minus the vector sum of the pT of all visible final-state particles with |eta| < 4.9
              (eta stored as 0, as in ADC2021);
  rows 1-4    the 4 leading electrons with pT > 3 GeV, |eta| < 3.0;
  rows 5-8    the 4 leading muons with pT > 3 GeV, |eta| < 2.1;
  rows 9-18   the 10 leading anti-kT R = 0.4 jets of all visible particles, pT > 15 GeV, |eta| < 4.
Absent objects are zero rows. Lepton acceptances follow the ADC2021 dataset description.

Trigger preselection (documented choice, applied per event): at least one electron or muon with pT > lepton_pt_min
(23 GeV by default: the ADC2021 single-lepton selection) OR the scalar sum of the stored jets' pT (HT) above ht_min
(350 GeV by default, near the CMS L1 HT threshold). The HT path is what lets QCD multijet events, which almost never
contain a 23 GeV lepton (0 / 500 in the notes), enter the background with a measurable efficiency.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from edgenn.datasets.jets_pythia import make_pythia, quiet_stdout

# Bump when the physics or object code changes: it is part of every shard's cache key.
GENERATOR_VERSION = "events-pythia-1"

NUM_ELECTRONS, NUM_MUONS, NUM_JETS = 4, 4, 10
NUM_OBJECTS = 1 + NUM_ELECTRONS + NUM_MUONS + NUM_JETS
OBJECT_FEATURES: tuple[str, ...] = ("pt", "eta", "phi")
OBJECT_TYPES: tuple[int, ...] = (1,) * 1 + (2,) * NUM_ELECTRONS + (3,) * NUM_MUONS + (4,) * NUM_JETS  # ADC2021 codes

ELECTRON_PT_MIN, ELECTRON_ETA_MAX = 3.0, 3.0
MUON_PT_MIN, MUON_ETA_MAX = 3.0, 2.1
JET_R, JET_PT_MIN, JET_ETA_MAX = 0.4, 15.0, 4.0
MET_ETA_MAX = 4.9

# Standard Model background processes; QCD's p-hat-T floor is set in the spec (the HT path needs hard events).
BACKGROUND_PROCESSES: dict[str, tuple[str, ...]] = {
    "qcd": ("HardQCD:all = on",),
    "wlnu": ("WeakSingleBoson:ffbar2W = on", "24:onMode = off", "24:onIfAny = 11 13 15"),
    "zll": ("WeakSingleBoson:ffbar2gmZ = on", "WeakZ0:gmZmode = 2", "23:onMode = off", "23:onIfAny = 11 13 15",
            "PhaseSpace:mHatMin = 40."),
    "ttbar": ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on"),
}
# BSM signals. Masses follow ADC2021 where Pythia allows it. The leptoquark decays to c tau: Pythia's LQ has charge
# -1/3, so the ADC2021 "LQ -> b tau" (charge -4/3 or +2/3) is not available; see the notes' caveat.
SIGNAL_PROCESSES: dict[str, tuple[str, ...]] = {
    "a_tautau": ("Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:m0 = 50.", "35:onMode = off",
                 "35:onIfMatch = 15 -15"),
    "hplus_taunu": ("Higgs:useBSM = on", "HiggsBSM:ffbar2H+- = on", "37:m0 = 60.", "37:onMode = off",
                    "37:onIfMatch = 15 16"),
    "lq_ctau": ("LeptoQuark:gg2LQLQbar = on", "LeptoQuark:qqbar2LQLQbar = on", "42:m0 = 80.",
                "42:oneChannel = 1 1.0 0 4 15"),
    "h2_zz4l": ("Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:m0 = 200.", "35:onMode = off",
                "35:onIfMatch = 23 23", "23:onMode = off", "23:onIfAny = 11 13"),
}
PROCESSES: dict[str, tuple[str, ...]] = {**BACKGROUND_PROCESSES, **SIGNAL_PROCESSES}
PROCESS_NAMES: tuple[str, ...] = tuple(PROCESSES)


@dataclasses.dataclass(frozen=True)
class EventShardSpec:
    """Everything that determines one shard's content."""

    process: str
    shard_index: int
    pythia_seed: int
    num_events: int
    fast: bool
    qcd_pt_hat_min: float
    lepton_pt_min: float
    ht_min: float

    def settings(self) -> list[str]:
        """The Pythia settings strings, in the order they are read."""
        common = ["Beams:eCM = 13000.", "Print:quiet = on", "Next:numberCount = 0", "Random:setSeed = on",
                  f"Random:seed = {self.pythia_seed}"]
        extra = [f"PhaseSpace:pTHatMin = {self.qcd_pt_hat_min!r}"] if self.process == "qcd" else []
        mode = ["PartonLevel:MPI = off"] if self.fast else []
        return common + list(PROCESSES[self.process]) + extra + mode


@dataclasses.dataclass(frozen=True)
class EventShardResult:
    spec: EventShardSpec
    objects: np.ndarray  # (n_selected, 19, 3) float32
    num_events: int  # generated
    sigma_gen_pb: float  # Pythia's estimate of the generated cross-section after this shard's events
    sigma_err_pb: float
    seconds: float


def generate_event_shard(spec: EventShardSpec) -> EventShardResult:
    """Run Pythia for ``spec.num_events`` events; return the objects of those passing the preselection."""
    with quiet_stdout():
        return _generate(spec)


def _generate(spec: EventShardSpec) -> EventShardResult:
    import vector

    vector.register_awkward()
    start = time.perf_counter()
    pythia, _ = make_pythia(spec.settings())
    events = pythia.nextBatch(spec.num_events)
    info = pythia.infoPython()
    sigma_pb, sigma_err_pb = float(info.sigmaGen()) * 1e9, float(info.sigmaErr()) * 1e9  # Pythia reports mb
    prt = events.prt
    objects = event_objects(prt)
    keep = preselect(objects, lepton_pt_min=spec.lepton_pt_min, ht_min=spec.ht_min)
    return EventShardResult(spec=spec, objects=objects[keep], num_events=len(events), sigma_gen_pb=sigma_pb,
                            sigma_err_pb=sigma_err_pb, seconds=time.perf_counter() - start)


def event_objects(prt) -> np.ndarray:  # noqa: ANN001 - awkward particle record array from Pythia.nextBatch
    """(n_events, 19, 3) float32 objects (see module docstring) from Pythia's particle records."""
    import awkward as ak
    import fastjet

    n = len(prt)
    out = np.zeros((n, NUM_OBJECTS, 3), dtype=np.float32)
    final = prt[prt.status > 0]
    faid = abs(final.id)
    visible = final[(faid != 12) & (faid != 14) & (faid != 16)]
    p = visible.p
    central = abs(p.eta) < MET_ETA_MAX
    mex = -ak.to_numpy(ak.sum(p.px[central], axis=1))
    mey = -ak.to_numpy(ak.sum(p.py[central], axis=1))
    out[:, 0, 0] = np.hypot(mex, mey)
    out[:, 0, 2] = np.arctan2(mey, mex)
    for pid, first, count, pt_min, eta_max in ((11, 1, NUM_ELECTRONS, ELECTRON_PT_MIN, ELECTRON_ETA_MAX),
                                               (13, 1 + NUM_ELECTRONS, NUM_MUONS, MUON_PT_MIN, MUON_ETA_MAX)):
        lep = final.p[(faid == pid)]
        lep = lep[(lep.pt > pt_min) & (abs(lep.eta) < eta_max)]
        _fill(out, first, count, lep)
    parts = ak.zip({"px": p.px, "py": p.py, "pz": p.pz, "E": p.e}, with_name="Momentum4D")
    cluster = fastjet.ClusterSequence(parts, fastjet.JetDefinition(fastjet.antikt_algorithm, JET_R))
    jets = cluster.inclusive_jets(min_pt=JET_PT_MIN)
    jets = ak.zip({"px": jets.px, "py": jets.py, "pz": jets.pz, "E": jets.E}, with_name="Momentum4D")
    jets = jets[abs(jets.eta) < JET_ETA_MAX]
    _fill(out, 1 + NUM_ELECTRONS + NUM_MUONS, NUM_JETS, jets)
    if n and not np.isfinite(out).all():  # e.g. a pathological eta of a zero-pT object; never expected
        out = np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
    return out


def _fill(out: np.ndarray, first: int, count: int, vectors) -> None:  # noqa: ANN001 - awkward Momentum arrays
    """Write the ``count`` leading (by pT) objects of each event into rows first..first+count-1, zero padded."""
    import awkward as ak

    order = ak.argsort(vectors.pt, axis=1, ascending=False)
    lead = vectors[order][:, :count]
    for col, values in enumerate((lead.pt, lead.eta, lead.phi)):
        padded = ak.fill_none(ak.pad_none(values, count, axis=1, clip=True), 0.0)
        out[:, first:first + count, col] = ak.to_numpy(padded).astype(np.float32)


def preselect(objects: np.ndarray, *, lepton_pt_min: float, ht_min: float) -> np.ndarray:
    """Boolean (n,): an electron or muon above ``lepton_pt_min`` GeV, or jet HT above ``ht_min`` GeV."""
    leptons = objects[:, 1:1 + NUM_ELECTRONS + NUM_MUONS, 0]
    ht = objects[:, 1 + NUM_ELECTRONS + NUM_MUONS:, 0].sum(axis=1)
    return (leptons > lepton_pt_min).any(axis=1) | (ht > ht_min)
