"""One shard of trigger-level events: Pythia 8 events -> L1-like objects in the ADC2021 layout -> preselection.

A shard is (process, shard index) with its own Pythia seed and is a pure function of its ``EventShardSpec`` (and the
pythia8mc/fastjet versions), as in ``jets_pythia``; Pythia objects live only inside the call that uses them. The
stream (``event_streams``) fixes the processes, how objects are built and the preselection.

Objects per event, each (pT, eta, phi):
  row 0       missing ET (eta stored as 0, as in ADC2021);
  rows 1-4    the 4 leading electrons with pT > 3 GeV, |eta| < 3.0;
  rows 5-8    the 4 leading muons with pT > 3 GeV, |eta| < 2.1;
  rows 9-18   the 10 leading anti-kT R = 0.4 jets, pT > 15 GeV, |eta| < 4.
Absent objects are zero rows. Lepton acceptances follow the ADC2021 dataset description.

Reconstructed streams (adc2021, ``reco_objects``): a lepton counts only if isolated (sum pT of the other visible
particles within dR < 0.3 below 12 % (e) / 25 % (mu) of its pT, Delphes CMS card values); jets are clustered from the
visible particles minus the isolated leptons and jets within dR < 0.4 of one are dropped (overlap removal, which also
removes the leptons' photon radiation); lepton, jet and MET resolutions are parametrised Gaussians seeded from the
shard's Pythia seed (``RESOLUTION``). Generator-level streams (ht_legacy, ``truth_objects``): every final-state e/mu,
jets of all visible particles, MET = minus the vector pT sum of the visible particles with |eta| < 4.9.

Pileup (``pileup_mu`` > 0): a Poisson number of minimum-bias interactions from a per-shard pool is overlaid on each
event before its objects are built (``pileup``), so it reaches isolation, jets and MET.

Preselection: an electron or muon with pT > lepton_pt_min (23 GeV: the ADC2021 filter); the ht_legacy stream also
accepts jet HT > ht_min (350 GeV), which is what let its QCD in with a measurable efficiency; the zero_bias stream
keeps every event (a random trigger) and also writes each event's calorimeter-region image (``calo_regions``).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from edgenn.datasets.calo_regions import region_images
from edgenn.datasets.event_streams import DEFAULT_EVENT_STREAM, event_stream
from edgenn.datasets.event_layout import (  # noqa: F401 - the layout names are re-exported for existing callers
    ELECTRON_ETA_MAX,
    ELECTRON_PT_MIN,
    JET_ETA_MAX,
    JET_PT_MIN,
    JET_R,
    MET_ETA_MAX,
    MUON_ETA_MAX,
    MUON_PT_MIN,
    NUM_ELECTRONS,
    NUM_JETS,
    NUM_MUONS,
    NUM_OBJECTS,
    OBJECT_FEATURES,
    OBJECT_TYPES,
    fill_rows,
)
from edgenn.datasets.event_reco import reco_objects
from edgenn.datasets.jets_pythia import PYTHIA_SEED_MAX, make_pythia, quiet_stdout
from edgenn.datasets.pileup import (
    DEFAULT_POOL_EVENTS,
    charged_hadron_subtracted,
    final_state,
    minimum_bias_settings,
    overlay,
    pool_seed,
)

# Bump when the physics or object code changes: it is part of every shard's cache key.
GENERATOR_VERSION = "events-pythia-2"
# Part of the key of shards with pileup only (shards without keep theirs): bump when the overlay changes.
PILEUP_VERSION = "pileup-2"  # 2: charged pileup in the tracker subtracted

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
    stream: str = DEFAULT_EVENT_STREAM
    pileup_mu: float = 0.0  # mean number of overlaid minimum-bias interactions (``pileup``); 0: none
    pileup_pool_events: int = DEFAULT_POOL_EVENTS

    def settings(self) -> list[str]:
        """The Pythia settings strings, in the order they are read."""
        stream = event_stream(self.stream)
        common = ["Beams:eCM = 13000.", "Print:quiet = on", "Next:numberCount = 0", "Random:setSeed = on",
                  f"Random:seed = {self.pythia_seed}"]
        extra = ([f"PhaseSpace:pTHatMin = {self.qcd_pt_hat_min!r}"]
                 if stream.qcd_pt_hat_min and self.process == "qcd" else [])
        mode = ["PartonLevel:MPI = off"] if self.fast else []
        return common + list(stream.processes[self.process]) + extra + mode


@dataclasses.dataclass(frozen=True)
class EventShardResult:
    spec: EventShardSpec
    objects: np.ndarray  # (n_selected, 19, 3) float32
    num_events: int  # generated
    sigma_gen_pb: float  # Pythia's estimate of the generated cross-section after this shard's events
    sigma_err_pb: float
    seconds: float
    regions: np.ndarray | None = None  # (n_selected, 18, 14) float32 region ET, for streams with calo_regions


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
    stream = event_stream(spec.stream)
    regions = None
    if spec.pileup_mu > 0:
        pool, _ = make_pythia(minimum_bias_settings(pool_seed(spec.pythia_seed, PYTHIA_SEED_MAX)))
        pool_all = final_state(pool.nextBatch(spec.pileup_pool_events).prt)
        pool_prt = charged_hadron_subtracted(pool_all, pool.particleData.charge)
        # Its own stream: the reconstruction's random numbers below stay those of the shard without pileup. The
        # subtraction removes particles, never pool events, so the same seed overlays the same interactions on the
        # calorimeter image, which sees all of their energy (``calo_regions``).
        if stream.calo_regions:
            merged, _ = overlay(final_state(prt), pool_all, spec.pileup_mu, _overlay_rng(spec))
            regions = region_images(merged)
        prt, _ = overlay(final_state(prt), pool_prt, spec.pileup_mu, _overlay_rng(spec))
    elif stream.calo_regions:
        regions = region_images(prt)
    if stream.reconstructed:
        objects = reco_objects(prt, np.random.default_rng(spec.pythia_seed))
    else:
        objects = truth_objects(prt)
    if stream.preselected:
        keep = preselect(objects, lepton_pt_min=spec.lepton_pt_min, ht_min=spec.ht_min if stream.ht_path else None)
    else:  # a random trigger: every crossing is recorded
        keep = np.ones(len(objects), bool)
    return EventShardResult(spec=spec, objects=objects[keep], num_events=len(events), sigma_gen_pb=sigma_pb,
                            sigma_err_pb=sigma_err_pb, seconds=time.perf_counter() - start,
                            regions=None if regions is None else regions[keep])


def _overlay_rng(spec: EventShardSpec) -> np.random.Generator:
    return np.random.default_rng((spec.pythia_seed, 1))


def truth_objects(prt) -> np.ndarray:  # noqa: ANN001 - awkward particle record array from Pythia.nextBatch
    """(n_events, 19, 3) float32 generator-level objects (see module docstring) from Pythia's particle records."""
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
        fill_rows(out, first, count, lep)
    parts = ak.zip({"px": p.px, "py": p.py, "pz": p.pz, "E": p.e}, with_name="Momentum4D")
    cluster = fastjet.ClusterSequence(parts, fastjet.JetDefinition(fastjet.antikt_algorithm, JET_R))
    jets = cluster.inclusive_jets(min_pt=JET_PT_MIN)
    jets = ak.zip({"px": jets.px, "py": jets.py, "pz": jets.pz, "E": jets.E}, with_name="Momentum4D")
    jets = jets[abs(jets.eta) < JET_ETA_MAX]
    fill_rows(out, 1 + NUM_ELECTRONS + NUM_MUONS, NUM_JETS, jets)
    if n and not np.isfinite(out).all():  # e.g. a pathological eta of a zero-pT object; never expected
        out = np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
    return out


def preselect(objects: np.ndarray, *, lepton_pt_min: float, ht_min: float | None) -> np.ndarray:
    """Boolean (n,): an electron or muon above ``lepton_pt_min`` GeV, or (``ht_min`` not None) jet HT above it."""
    leptons = objects[:, 1:1 + NUM_ELECTRONS + NUM_MUONS, 0]
    passed = (leptons > lepton_pt_min).any(axis=1)
    if ht_min is not None:
        passed |= objects[:, 1 + NUM_ELECTRONS + NUM_MUONS:, 0].sum(axis=1) > ht_min
    return passed
