"""Synchronisation analysis: adiabatic sweeps of the coupling up and down (hysteresis), local order-parameter
profiles over the node variable, phase snapshots and the theory curve, as one typed result with a plot.

An adiabatic sweep integrates at each coupling ``K_1 < K_2 < ...`` from the state the previous coupling ended in
(upward), then back down from the top state (downward); where two attractors coexist (e.g. the bimodal law,
:class:`Bimodal`) the two branches differ: hysteresis. The same sweep runs on a particle network (``r = |Z|``
of the phases, local ``|z_i|`` from the graph) and on an Ott–Antonsen flow (``r = |mean_m z_m|``, local
``|z_m|``), which gives the theory curve for Lorentzian-type laws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from neurodyn._checks import as_tensor, positive_float, positive_int
from neurodyn._progress import progress_bar
from neurodyn.errors import InvalidInputError
from neurodyn.networks.coupling import SineCoupling
from neurodyn.networks.graphs import CompleteGraph
from neurodyn.networks.ott_antonsen import oa_order_parameter
from neurodyn.networks.particles import ParticleNetwork, is_phase_model
from neurodyn.networks.phasors import simulate_phasors
from neurodyn.networks.simulate import local_order_parameter, order_parameter_r, simulate
from neurodyn.results import Result, Status


@dataclass(frozen=True)
class SyncSettings:
    """How each coupling of a sweep is run.

    Attributes:
        t_settle: integration time per coupling (time units).
        dt: RK4 step.
        average_last: ``r`` is averaged over the last ``average_last`` time units of each coupling.
        every: record ``r`` every ``every`` steps.
        slices: number of node slices of the local order-parameter profile.
        snapshot: at most this many nodes kept in the phase snapshot.
        floor: an Ott–Antonsen state whose norm falls below ``floor`` is rescaled to it before the next coupling
            (an exactly incoherent state is an equilibrium that no instability could leave; a particle network's
            finite-N fluctuations, ``r ~ N^{-1/2}``, play this role). The default ``1e-3`` matches N ~ 10^6;
            just above an onset the growth from it takes ``ln(r / floor) / rate`` time units, so the theory's
            upward branch there needs a long enough ``t_settle``.
        compile: run all-to-all Kuramoto networks with the fused phasor step (``simulate_phasors(compile=True)``:
            compiled once, then several times faster at large N); other systems run as they are. Default ``False``.
    """

    t_settle: float = 100.0
    dt: float = 0.05
    average_last: float = 50.0
    every: int = 5
    slices: int = 20
    snapshot: int = 2000
    floor: float = 1e-3
    compile: bool = False

    def __post_init__(self):
        for name in ("t_settle", "dt", "average_last", "floor"):
            positive_float(getattr(self, name), name=name)
        for name in ("every", "slices", "snapshot"):
            positive_int(getattr(self, name), name=name)
        if self.average_last > self.t_settle:
            raise InvalidInputError(f"average_last = {self.average_last} exceeds t_settle = {self.t_settle}")


@dataclass(frozen=True)
class SyncSweep(Result):
    """Order parameter against coupling, both ways, with profiles, a snapshot and theory.

    Attributes:
        K: ``(k,)`` couplings, increasing.
        r_up, r_up_std: ``(k,)`` time-averaged ``r`` and its standard deviation, sweeping up.
        r_down, r_down_std: the same sweeping down (NaN when not swept down).
        hysteresis: ``max_K |r_down - r_up|`` (0 without a down sweep); a loop shows as a value above
            ``hysteresis_floor`` (:attr:`hysteretic`), below it the branches differ by no more than the
            fluctuation.
        positions: ``(M,)`` slice midpoints of the profiles.
        profiles: ``(k, M)`` mean local ``|z|`` per slice at the end of each coupling (upward).
        snapshot_positions, snapshot_phases: node positions and phases in ``(-pi, pi]`` at the top coupling.
        theory_K, theory_r_up, theory_r_down: a theory curve (empty when none was given).
        K_c_theory: the theoretical onset (NaN when not given).
        status: ``ok`` when ``r`` has settled at every coupling both ways: the means over the first and the second
            half of the averaging window differ by at most ``noise``; ``unconverged`` otherwise (the couplings
            in ``unsettled``: increase ``t_settle``), ``too short`` when a window holds fewer than 4 records.
        noise: the finite-size fluctuation scale of ``r``: ``1 / sqrt(N)`` for ``N`` particles (the incoherent
            state's ``r``), ``floor`` for an Ott–Antonsen flow (its stand-in for ``N ~ floor^-2``).
        hysteresis_floor: ``3 noise``: the smallest ``hysteresis`` counted as a loop.
        unsettled: the couplings (either direction) where ``r`` had not settled. reason: the status in words.
    """

    K: torch.Tensor
    r_up: torch.Tensor
    r_up_std: torch.Tensor
    r_down: torch.Tensor
    r_down_std: torch.Tensor
    hysteresis: float
    positions: torch.Tensor
    profiles: torch.Tensor
    snapshot_positions: torch.Tensor
    snapshot_phases: torch.Tensor
    theory_K: torch.Tensor
    theory_r_up: torch.Tensor
    theory_r_down: torch.Tensor
    K_c_theory: float
    status: Status = Status.OK
    noise: float = 0.0
    hysteresis_floor: float = 0.0
    unsettled: tuple[float, ...] = ()
    reason: str = ""

    @property
    def hysteretic(self) -> bool:
        """Whether the up and down branches differ by more than the fluctuation (``hysteresis >
        hysteresis_floor``) in a sweep whose ``r`` settled at every coupling: branches that have not relaxed (near
        the onset, where relaxation is slow) differ without any hysteresis, so an unsettled sweep is never
        called hysteretic."""
        return self.status.ok and self.hysteresis > self.hysteresis_floor

    def plot(self, axes=None):
        """Three panels: ``r`` against ``K`` (up, down, theory, ``K_c``), the local profiles, the phase snapshot.
        Returns the axes."""
        import matplotlib.pyplot as plt

        if axes is None:
            axes = plt.subplots(1, 3, figsize=(13, 3.8))[1]
        ax = axes[0]
        ax.errorbar(self.K.numpy(), self.r_up.numpy(), yerr=self.r_up_std.numpy(), fmt="o-", label="sweep up")
        if bool(torch.isfinite(self.r_down).any()):
            ax.errorbar(self.K.numpy(), self.r_down.numpy(), yerr=self.r_down_std.numpy(), fmt="s--",
                        label="sweep down")
        if len(self.theory_K):
            ax.plot(self.theory_K.numpy(), self.theory_r_up.numpy(), "k-", lw=1, label="theory")
            ax.plot(self.theory_K.numpy(), self.theory_r_down.numpy(), "k:", lw=1)
        if math.isfinite(self.K_c_theory):
            ax.axvline(self.K_c_theory, color="grey", ls="--", label="theory K_c")
        ax.set(xlabel="K", ylabel="r")
        ax.legend(fontsize=8)
        for i in range(len(self.K)):
            axes[1].plot(self.positions.numpy(), self.profiles[i].numpy(), color=plt.cm.viridis(i / max(1, len(
                self.K) - 1)))
        axes[1].set(xlabel="node position y", ylabel="local |z(y)|", title="profiles (colour: K up)")
        axes[2].plot(self.snapshot_positions.numpy(), self.snapshot_phases.numpy(), ".", ms=2)
        axes[2].set(xlabel="node position y", ylabel="phase", title=f"phases at K = {float(self.K[-1]):g}")
        return axes


def _observers(system, slices: int):
    """``(r(x), local profile(x): (slices,))`` for a particle network or an Ott–Antonsen flow."""
    if isinstance(system, ParticleNetwork):
        n = system.n
        if n < slices:
            raise InvalidInputError(f"the network has N = {n} nodes, fewer than slices = {slices}")
        bins = torch.div(torch.arange(n) * slices, n, rounding_mode="floor")
        counts = torch.bincount(bins, minlength=slices).to(torch.float64)

        def profile(x):
            z = local_order_parameter(system.graph, x).abs().to(torch.float64)
            return torch.zeros(slices, dtype=torch.float64).index_add_(0, bins, z) / counts

        return order_parameter_r, profile
    if getattr(system, "name", "") == "Ott-Antonsen":
        return (lambda s: oa_order_parameter(s).mean(-1).abs()), (lambda s: oa_order_parameter(s).abs())
    raise InvalidInputError(f"{getattr(system, 'name', system)!r} is neither a ParticleNetwork nor an Ott-Antonsen "
                            "flow; the synchronisation sweep needs one of them")


@dataclass(frozen=True)
class _Branch:
    """One direction of a sweep: per coupling the mean ``r`` and its deviation, the local profiles, the
    difference of the means over the two halves of the averaging window (``drift``; NaN when the window holds
    fewer than 4 records) and the final state."""

    r: torch.Tensor
    r_std: torch.Tensor
    profiles: torch.Tensor
    drift: torch.Tensor
    final: torch.Tensor


def _noise(system, settings: SyncSettings) -> float:
    """The fluctuation scale of ``r``: ``1 / sqrt(N)`` for particles, ``floor`` for an Ott–Antonsen flow."""
    return 1.0 / math.sqrt(system.n) if isinstance(system, ParticleNetwork) else settings.floor


def _branch(system, Ks, x, settings: SyncSettings, observe, profile, advance) -> _Branch:
    """Adiabatic sweep over ``Ks``."""
    r, r_std, profiles, drift = [], [], [], []
    oa = not isinstance(system, ParticleNetwork)
    phasors = isinstance(system, ParticleNetwork) and isinstance(system.graph, CompleteGraph) and isinstance(
        system.coupling, SineCoupling) and is_phase_model(system)
    for K in Ks.tolist():
        if phasors:  # all-to-all Kuramoto: no trigonometry per stage, r recorded from the phasors
            run = simulate_phasors(system.with_params(K=K), x, t_end=settings.t_settle, dt=settings.dt,
                                   every=settings.every, compile=settings.compile)
        else:
            run = simulate(system.with_params(K=K), x, t_end=settings.t_settle, dt=settings.dt, observe=observe,
                           every=settings.every)
        window = run.values[run.times >= settings.t_settle - settings.average_last - 1e-12]
        r.append(float(window.mean()))
        half = len(window) // 2
        drift.append(float((window[-half:].mean() - window[:half].mean()).abs()) if len(window) >= 4 else math.nan)
        r_std.append(float(window.std()) if len(window) > 1 else 0.0)
        x = run.final
        profiles.append(profile(x))
        if advance:
            advance(1)
        norm = float(x.norm())
        if oa and norm < settings.floor:
            x = x / norm * settings.floor if norm > 0 else torch.full_like(x, settings.floor / math.sqrt(len(x)))
    return _Branch(torch.tensor(r, dtype=torch.float64), torch.tensor(r_std, dtype=torch.float64),
                   torch.stack(profiles), torch.tensor(drift, dtype=torch.float64), x)


def synchrony_sweep(system, K, x0: torch.Tensor, *, settings: SyncSettings | None = None, down: bool = True,
                    theory=None, K_c_theory: float | None = None, progress: bool = False) -> SyncSweep:
    """Adiabatic sweep of the coupling up (and down), with local profiles, a phase snapshot and theory.

    Args:
        system: a :class:`ParticleNetwork` with parameter ``"K"`` (e.g. :func:`kuramoto`; all-to-all Kuramoto
            runs on unit phasors, :func:`simulate_phasors`) or an Ott–Antonsen flow (:func:`ott_antonsen`).
        K: 1-d couplings (sorted increasing here).
        x0: the initial state ``(n,)`` at the lowest coupling.
        settings: :class:`SyncSettings` (default ``SyncSettings()``).
        down: also sweep back down from the top state (to see hysteresis).
        theory: ``None``; a function ``K -> r`` (e.g. ``lambda K: oa_stationary_r(gamma, K)``), drawn on 200
            points; or a :class:`SyncSweep` of the limit (e.g. of the Ott–Antonsen flow), whose two branches are
            drawn.
        K_c_theory: the theoretical onset (e.g. :func:`critical_coupling`), drawn as a line.
        progress: show a progress bar (one unit per coupling and direction).

    Returns:
        A :class:`SyncSweep`.

    See also: :func:`sweep_coupling` (all couplings at once from one state, for the onset), :func:`simulate`.
    """
    settings = settings or SyncSettings()
    Ks = as_tensor(K, name="K", dtype=torch.float64, device=None)
    if Ks.ndim != 1 or len(Ks) == 0:
        raise InvalidInputError(f"K must be a non-empty 1-d list of couplings, got shape {tuple(Ks.shape)}")
    Ks = Ks.sort().values
    if system.params is None or "K" not in system.params:
        raise InvalidInputError(f"{system.name!r} has no parameter 'K' to sweep")
    observe, profile = _observers(system, settings.slices)
    x = torch.as_tensor(x0, dtype=system.dtype)
    if x.shape != (system.dim,):
        raise InvalidInputError(f"x0 has shape {tuple(x.shape)}; give one state of {system.name!r}, ({system.dim},)")
    with progress_bar(progress, len(Ks) * (2 if down else 1), "couplings") as advance:
        up = _branch(system, Ks, x, settings, observe, profile, advance)
        r_up, s_up, profiles, top = up.r, up.r_std, up.profiles, up.final
        r_down = s_down = torch.full_like(r_up, float("nan"))
        drift = up.drift
        if down:
            back = _branch(system, Ks.flip(0), top, settings, observe, profile, advance)
            r_down, s_down = back.r.flip(0), back.r_std.flip(0)
            drift = torch.maximum(drift, back.drift.flip(0))  # NaN propagates: a short window either way
    positions = (torch.arange(settings.slices, dtype=torch.float64) + 0.5) / settings.slices
    keep = torch.linspace(0, top.shape[-1] - 1, min(settings.snapshot, top.shape[-1])).round().long()
    if isinstance(system, ParticleNetwork):
        snap_pos = (keep.to(torch.float64) + 0.5) / system.n
        snap = torch.remainder(top[keep] + math.pi, 2 * math.pi) - math.pi
    else:
        z = oa_order_parameter(top)
        snap_pos, snap = (torch.arange(len(z), dtype=torch.float64) + 0.5) / len(z), z.angle()
    tK, tu, td = _theory(theory, Ks)
    hyst = float((r_down - r_up).abs().max()) if down else 0.0
    noise = _noise(system, settings)
    status, unsettled, reason = _settled(Ks, drift, noise, settings)
    return SyncSweep(Ks, r_up, s_up, r_down, s_down, hyst, positions, profiles, snap_pos, snap, tK, tu, td,
                     float("nan") if K_c_theory is None else float(K_c_theory), status=status, noise=noise,
                     hysteresis_floor=3 * noise, unsettled=unsettled, reason=reason)


def _settled(Ks, drift, noise: float, settings: SyncSettings) -> tuple[Status, tuple[float, ...], str]:
    """The sweep's status from the half-window drifts (see :class:`SyncSweep`)."""
    if bool(torch.isnan(drift).any()):
        return (Status.TOO_SHORT, tuple(Ks[torch.isnan(drift)].tolist()),
                f"fewer than 4 records of r in the averaging window (average_last = {settings.average_last}, dt = "
                f"{settings.dt}, every = {settings.every}): lengthen average_last or record more often")
    bad = drift > noise
    if bool(bad.any()):
        K = tuple(Ks[bad].tolist())
        return (Status.UNCONVERGED, K, f"r has not settled at K = {', '.join(f'{k:g}' for k in K)}: the means "
                f"over the two halves of the averaging window differ by up to {float(drift[bad].max()):.3g}, more "
                f"than the fluctuation {noise:.3g}; increase t_settle")
    return Status.OK, (), ""


def _theory(theory, Ks):
    empty = torch.zeros(0, dtype=torch.float64)
    if theory is None:
        return empty, empty, empty
    if isinstance(theory, SyncSweep):
        down = theory.r_down if bool(torch.isfinite(theory.r_down).all()) else theory.r_up
        return theory.K, theory.r_up, down
    if callable(theory):
        grid = torch.linspace(float(Ks[0]), float(Ks[-1]), 200, dtype=torch.float64)
        values = torch.tensor([float(theory(float(k))) for k in grid], dtype=torch.float64)
        return grid, values, values
    raise InvalidInputError(f"theory must be None, a function K -> r or a SyncSweep, got {type(theory).__name__}")
