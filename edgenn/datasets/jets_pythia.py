"""One shard of boosted jets: Pythia 8 events -> anti-kT R = 0.8 jets -> truth-matched, selected jets -> features.

A shard is (class, shard index) with its own Pythia seed; it is a pure function of its ``ShardSpec`` (and the
pythia8mc/fastjet versions), which is what makes on-disk caching and byte-identical reruns possible. Pythia objects
live only inside the call that uses them, so shards can run in separate worker processes.

With ``detector`` on, the jets are clustered from measured particles (``detector_response``: tracks and calorimeter
towers); truth matching still uses the generator record.

Physics (13 TeV; processes and hard-process pT window from the named ``jet_definitions`` entry): the two leading jets of each event are kept if they lie in the pT window and
|eta| < eta_max and (definitions with ``labels: truth``) match the truth object of the class within dR < R: a light
quark (q), a gluon (g), or a W / Z / top resonance whose decay quarks (2 for W, Z; 3 for t) all lie within R of the
jet (contained decays). ``labels: sample`` definitions keep every jet in the window, as the public ntuples do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
from collections.abc import Iterator, Sequence

import numpy as np

from edgenn.datasets.detector_response import measured_particles
from edgenn.datasets.jet_data import CLASS_NAMES
from edgenn.datasets.jet_definitions import DEFAULT_JET_DEFINITION, jet_definition
from edgenn.datasets.jet_features import compute_jet_features, quiet_fastjet_warnings
from edgenn.errors import InvalidInputError

# Bump when the physics or feature code changes: it is part of every shard's cache key.
GENERATOR_VERSION = "jets-pythia-2"

PYTHIA_SEED_MAX = 900_000_000

_RESONANCE_ID = {"W": 24, "Z": 23, "t": 6}
_DECAY_QUARKS = {"W": 2, "Z": 2, "t": 3}


@dataclasses.dataclass(frozen=True)
class ShardSpec:
    """Everything that determines one shard's content."""

    cls: str
    shard_index: int
    pythia_seed: int
    num_events: int
    fast: bool
    pt_hat_min: float
    pt_min: float
    pt_max: float
    eta_max: float
    jet_r: float
    pt_hat_max: float | None = None
    definition: str = DEFAULT_JET_DEFINITION
    detector: bool = False  # constituents through detector_response (tracker + calorimeter towers)

    def settings(self) -> list[str]:
        """The Pythia settings strings, in the order they are read."""
        common = ["Beams:eCM = 13000.", "Print:quiet = on", "Next:numberCount = 0", "Random:setSeed = on",
                  f"Random:seed = {self.pythia_seed}"]
        mode = ["PartonLevel:MPI = off"] if self.fast else []
        process = jet_definition(self.definition).hard_process_settings(self.cls, self.pt_hat_min, self.pt_hat_max)
        return common + process + mode

    def boson_window(self) -> tuple[int, float, float] | None:
        """(PDG id, pT min, pT max) of the process-level boson veto, or None when p-hat-T does the job."""
        boson = jet_definition(self.definition).boson_window.get(self.cls)
        if boson is None:
            return None
        return boson, self.pt_hat_min, self.pt_hat_max if self.pt_hat_max is not None else float("inf")


@dataclasses.dataclass(frozen=True)
class ShardResult:
    spec: ShardSpec
    features: np.ndarray  # (n, F) float32
    constituents: np.ndarray  # (n, 50, P) float32
    num_events: int
    seconds: float


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("pythia8mc", "fastjet", "awkward"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null: FastJet's C++ banner goes to stdout, which is kept for machine output."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _boson_window_hook(boson_id: int, pt_min: float, pt_max: float):  # noqa: ANN202 - pythia8mc.UserHooks
    """A UserHooks vetoing hard processes without a boson ``|id| == boson_id`` whose pT lies in [pt_min, pt_max].

    The veto runs after the resonance decays and before the shower, so a rejected process costs microseconds; it is
    the 2 -> 1 analogue of the p-hat-T window (the public sample's window is on the undecayed bosons' pT).
    """
    import pythia8mc

    class BosonWindow(pythia8mc.UserHooks):
        def canVetoProcessLevel(self) -> bool:
            return True

        def doVetoProcessLevel(self, process) -> bool:  # noqa: ANN001 - pythia8mc.Event
            for i in range(process.size()):
                particle = process[i]
                if particle.idAbs() == boson_id and pt_min <= particle.pT() <= pt_max:
                    return False
            return True

    return BosonWindow()


def make_pythia(settings: list[str], boson_window: tuple[int, float, float] | None = None):  # noqa: ANN202
    """(Pythia, hook or None): Pythia keeps only a raw pointer to the hook, so the caller must hold it while running."""
    import pythia8mc

    from edgenn.errors import ExternalToolError

    pythia = pythia8mc.Pythia("", False)
    for line in settings:
        if not pythia.readString(line):  # a typo in a settings string must fail loudly, not be ignored
            raise ExternalToolError(f"Pythia rejected the setting {line!r}.")
    hook = None
    if boson_window is not None:
        hook = _boson_window_hook(*boson_window)
        pythia.setUserHooksPtr(hook)
    if not pythia.init():
        raise ExternalToolError(f"Pythia failed to initialise with settings {settings}.")
    return pythia, hook


def generate_shard(spec: ShardSpec) -> ShardResult:
    """Run Pythia for ``spec.num_events`` events and return the selected jets' features and constituents.

    Nothing reaches stdout (FastJet's banner is diverted) and fastjet's generic exclusive-jet warning is muted.
    """
    return generate_shard_group((spec,))[0]


def generate_shard_group(specs: Sequence[ShardSpec]) -> list[ShardResult]:
    """One Pythia run shared by specs that differ only after generation (labels, detector response, jet window).

    Each result equals ``generate_shard`` of its spec (same seed and settings give the same events, and every
    feature is a per-jet function), so comparing definitions on one run costs the generation once, and specs that
    see the same particles share one feature computation over the jets any of them keeps. ``seconds`` is the shared
    generation plus the spec's view of the jets. Specs whose Pythia settings, boson window or event count differ
    are refused.
    """
    first = specs[0]
    run = (first.settings(), first.boson_window(), first.num_events)
    for spec in specs[1:]:
        if (spec.settings(), spec.boson_window(), spec.num_events) != run:
            raise InvalidInputError(
                f"shard specs {first.definition!r} and {spec.definition!r} cannot share a Pythia run.",
                fix="group only specs with identical Pythia settings, seed and event count.")
    with quiet_stdout(), quiet_fastjet_warnings():
        start = time.perf_counter()
        pythia, _hook = make_pythia(first.settings(), first.boson_window())
        events = pythia.nextBatch(first.num_events)
        shared = time.perf_counter() - start
        views: dict[tuple, list[int]] = {}
        for i, spec in enumerate(specs):
            definition = jet_definition(spec.definition)
            view = (spec.detector, spec.jet_r, definition.zlogz, definition.min_particle_pt)
            views.setdefault(view, []).append(i)
        results: list[ShardResult | None] = [None] * len(specs)
        for members in views.values():
            group = [specs[i] for i in members]
            features, constituents, masks, own = _view_jets(group, events, pythia.particleData.charge)
            for i, spec, mask in zip(members, group, masks, strict=True):
                results[i] = ShardResult(spec=spec, features=features[mask], constituents=constituents[mask],
                                         num_events=len(events), seconds=shared + own)
        return results


def _view_jets(specs: list[ShardSpec], events, charge):  # noqa: ANN001, ANN202 - awkward arrays, pythia8mc
    """Features of the jets any of ``specs`` keeps (all see the same particles, jet radius, zlogz and particle pT
    threshold), computed once,
    with one boolean mask per spec over them, and the seconds it took. Every feature is a function of its own jet,
    so a spec's rows equal what it would get alone."""
    import awkward as ak
    import fastjet
    import vector

    vector.register_awkward()
    start = time.perf_counter()
    first = specs[0]
    prt = events.prt
    aid = abs(prt.id)
    visible = prt[(prt.status > 0) & (aid != 12) & (aid != 14) & (aid != 16)]
    cut = jet_definition(first.definition).min_particle_pt
    if cut > 0:
        visible = visible[visible.p.pt > cut]
    if first.detector:
        # Seeded from the shard's own Pythia seed, so a shard stays a pure function of its spec.
        parts = measured_particles(visible, charge, np.random.default_rng(first.pythia_seed))
    else:
        parts = ak.zip({"px": visible.p.px, "py": visible.p.py, "pz": visible.p.pz, "E": visible.p.e},
                       with_name="Momentum4D")
    cluster = fastjet.ClusterSequence(parts, fastjet.JetDefinition(fastjet.antikt_algorithm, first.jet_r))
    min_pt = 0.5 * min(spec.pt_min for spec in specs)  # loose pre-cut; the real windows are applied below
    jets, cons = cluster.inclusive_jets(min_pt=min_pt), cluster.constituents(min_pt=min_pt)
    # Keeping both leading jets roughly doubles the yield per event at no extra generation cost.
    order = ak.argsort(jets.pt, axis=1, ascending=False)
    jets, cons = jets[order][:, :2], cons[order][:, :2]

    truth = _truth_matched(jets, prt, first.cls, first.jet_r)
    kept = []
    for spec in specs:
        keep = (jets.pt > spec.pt_min) & (jets.pt < spec.pt_max) & (abs(jets.eta) < spec.eta_max)
        kept.append(keep & truth if jet_definition(spec.definition).labels == "truth" else keep)
    union = kept[0]
    for keep in kept[1:]:
        union = union | keep
    masks = [ak.to_numpy(ak.flatten(keep[union])).astype(bool) for keep in kept]
    sel_jets, sel_cons = ak.flatten(jets[union]), ak.flatten(cons[union], axis=1)
    features, constituents = compute_jet_features(sel_jets, sel_cons, zlogz=jet_definition(first.definition).zlogz)
    return features.astype(np.float32), constituents, masks, time.perf_counter() - start


def _truth_matched(jets, prt, cls: str, radius: float):  # noqa: ANN001, ANN202 - awkward arrays
    """Boolean (events x jets): the jet is within ``radius`` of a truth object of class ``cls``."""
    import awkward as ak

    status, aid = abs(prt.status), abs(prt.id)
    # Status 23: outgoing partons of the hard process and resonance-decay quarks (pre-shower); 22: resonances.
    if cls == "q":
        targets = prt.p[(status == 23) & (aid <= 3)]
    elif cls == "g":
        targets = prt.p[(status == 23) & (aid == 21)]
    else:
        targets = prt.p[(status == 22) & (aid == _RESONANCE_ID[cls])]
    close = _min_delta_r(jets, targets) < radius
    if cls in _DECAY_QUARKS:
        quarks = prt.p[(status == 23) & (aid <= 5)]
        pairs = ak.cartesian({"j": jets, "q": quarks}, nested=True)
        inside = ak.sum(pairs.j.deltaR(pairs.q) < radius, axis=2)
        close = close & (ak.fill_none(inside, 0) >= _DECAY_QUARKS[cls])
    return close


def _min_delta_r(jets, targets):  # noqa: ANN001, ANN202 - awkward arrays
    import awkward as ak

    pairs = ak.cartesian({"j": jets, "t": targets}, nested=True)
    return ak.fill_none(ak.min(pairs.j.deltaR(pairs.t), axis=2), 99.0)


def benchmark_pythia(n_events: int, cls: str, fast: bool, *, seed: int = 1, definition: str = "legacy") -> float:
    """Events per second of Pythia alone (init excluded) for one class; the reference for data-generation speed.

    The default stays ``legacy`` so that speed figures recorded before the hls4ml definition remain comparable.
    """
    if cls not in CLASS_NAMES:
        raise InvalidInputError(f"benchmark_pythia: unknown class {cls!r}.", fix=f"use one of {CLASS_NAMES}.")
    window = jet_definition(definition).pt_window
    spec = ShardSpec(cls=cls, shard_index=0, pythia_seed=seed, num_events=n_events, fast=fast, pt_hat_min=window[0],
                     pt_hat_max=window[1], pt_min=800.0, pt_max=1600.0, eta_max=2.0, jet_r=0.8, definition=definition)
    with quiet_stdout():
        pythia, _hook = make_pythia(spec.settings(), spec.boson_window())
        start = time.perf_counter()
        events = pythia.nextBatch(n_events)
        seconds = time.perf_counter() - start
    return len(events) / seconds
