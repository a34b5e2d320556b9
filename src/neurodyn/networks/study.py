"""Kuramoto networks named by a few settings, and sweeps over coupling and size on the Dask sweep machinery.

:class:`KuramotoConfig` names one run (graph kind, N, K, frequency law, seed, times); :func:`build_kuramoto` makes
its network; :func:`measure_kuramoto` runs it and returns one row of a :class:`~neurodyn.sweep.ResultStore`;
:func:`sweep_kuramoto` runs a grid of them through :func:`neurodyn.sweep.run` (embedded Dask cluster, an existing
one, or this process), resumable like every sweep.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
import traceback
from dataclasses import asdict, dataclass, fields

import torch

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import InvalidInputError
from neurodyn.networks.frequencies import Bimodal, Gaussian, Lorentzian
from neurodyn.networks.graphon import constant_graphon
from neurodyn.networks.graphs import CompleteGraph
from neurodyn.networks.ott_antonsen import critical_coupling, oa_stationary_r
from neurodyn.networks.particles import kuramoto

GRAPHS = ("complete", "erdos-renyi")
LAWS = ("lorentzian", "gaussian", "bimodal")


@dataclass(frozen=True)
class KuramotoConfig:
    """One Kuramoto run: ``graph`` (``complete``, or ``erdos-renyi`` with edge probability ``p``, drawn from
    ``seed``), ``n`` oscillators with the ``n`` quantiles of the frequency ``law`` (``lorentzian`` half-width,
    ``gaussian`` standard deviation or ``bimodal`` half-width = ``width``; ``bimodal`` peaks at ``+-separation``),
    coupling ``K``, initial phases uniform from ``seed``, RK4 step ``dt`` up to ``t_end``, ``r`` averaged over
    ``[average_from, t_end]``. Its :attr:`id` is a hash of all of it."""

    n: int = 1000
    K: float = 1.0
    graph: str = "complete"
    p: float = 1.0
    law: str = "lorentzian"
    width: float = 0.5
    separation: float = 0.0
    seed: int = 0
    t_end: float = 100.0
    dt: float = 0.05
    average_from: float = 50.0

    def __post_init__(self):
        if self.graph not in GRAPHS:
            raise InvalidInputError(f"graph must be one of {', '.join(GRAPHS)}, got {self.graph!r}")
        if self.law not in LAWS:
            raise InvalidInputError(f"law must be one of {', '.join(LAWS)}, got {self.law!r}")
        positive_int(self.n, name="n")
        positive_int(self.seed, name="seed", minimum=0)
        for name in ("K", "width", "t_end", "dt", "average_from"):
            positive_float(getattr(self, name), name=name)
        if not 0 < self.p <= 1:
            raise InvalidInputError(f"the edge probability p must lie in (0, 1], got {self.p!r}")
        if self.law == "bimodal":
            positive_float(self.separation, name="separation (of the bimodal law)")
        if self.average_from >= self.t_end:
            raise InvalidInputError(f"average_from = {self.average_from} must be before t_end = {self.t_end}")

    @property
    def id(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]

    def frequency_law(self) -> Lorentzian | Gaussian | Bimodal:
        if self.law == "lorentzian":
            return Lorentzian(self.width)
        if self.law == "gaussian":
            return Gaussian(self.width)
        return Bimodal(self.width, self.separation)

    def theory(self) -> tuple[float, float]:
        """``(K_c, r)``: the onset ``2 / (pi g(0) p)`` and, for the Lorentzian law, the Ott–Antonsen stationary
        ``r`` at ``K p`` (NaN otherwise)."""
        K_c = critical_coupling(self.frequency_law()) / self.p
        r = oa_stationary_r(self.width, self.K * self.p) if self.law == "lorentzian" else float("nan")
        return K_c, r


def build_kuramoto(config: KuramotoConfig):
    """The network of ``config`` (:func:`kuramoto` on its graph, with the law's quantile frequencies)."""
    omega = config.frequency_law().quantiles(config.n)
    gen = torch.Generator().manual_seed(config.seed)
    if config.graph == "complete":
        graph = CompleteGraph(config.n)
    elif config.n > 20_000:
        raise InvalidInputError(f"an Erdos-Renyi graph is drawn as a dense {config.n} x {config.n} matrix first; "
                                "use n <= 20000 (or the complete graph, O(N) per step)")
    else:
        graph = constant_graphon(config.p).sample(config.n, random=True, generator=gen, sparse=config.p < 0.2)
    return kuramoto(graph, omega, K=config.K)


def initial_phases(config: KuramotoConfig) -> torch.Tensor:
    """Uniform phases on ``[0, 2 pi)`` from ``config.seed`` (a generator of its own, after the graph's draws)."""
    gen = torch.Generator().manual_seed(config.seed + 1)
    return 2 * math.pi * torch.rand(config.n, generator=gen, dtype=torch.float64)


def measure_kuramoto(config: KuramotoConfig) -> dict:
    """The row of ``config``: its fields, ``id``, time-averaged ``r`` and its standard deviation, the theory's
    ``K_c`` and ``r_theory``, ``seconds``, ``status`` ``"ok"``; or ``status="error"`` with the error (never
    raises, so one failing run does not stop a sweep)."""
    from neurodyn.networks.phasors import simulate_phasors
    from neurodyn.networks.simulate import simulate

    row = dict(asdict(config), id=config.id, status="ok", error="", r=float("nan"), r_std=float("nan"),
               K_c=float("nan"), r_theory=float("nan"), seconds=float("nan"))
    try:
        t0 = time.perf_counter()
        net = build_kuramoto(config)
        run_with = simulate_phasors if config.graph == "complete" else simulate
        run = run_with(net, initial_phases(config), t_end=config.t_end, dt=config.dt, every=5)
        window = run.values[run.times >= config.average_from]
        row.update(r=float(window.mean()), r_std=float(window.std()), seconds=time.perf_counter() - t0)
        row["K_c"], row["r_theory"] = config.theory()
    except Exception as exc:  # recorded in the row: the sweep goes on and a rerun retries it
        row["status"] = "error"
        row["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
    return row


def kuramoto_grid(**values) -> list[KuramotoConfig]:
    """Every combination of the given values, e.g. ``kuramoto_grid(n=[1000, 10000], K=[0.5, 1, 2])``; fields not
    given keep :class:`KuramotoConfig`'s defaults."""
    names = {f.name for f in fields(KuramotoConfig)}
    unknown = set(values) - names
    if unknown:
        raise InvalidInputError(f"unknown Kuramoto field(s) {sorted(unknown)}; the fields are {sorted(names)}")
    lists = {k: (list(v) if isinstance(v, list | tuple) else [v]) for k, v in values.items()}
    return [KuramotoConfig(**dict(zip(lists, combo, strict=True))) for combo in itertools.product(*lists.values())]


def sweep_kuramoto(configs, store, **run_options):
    """Run every :class:`KuramotoConfig` of ``configs`` not yet finished in ``store`` with
    :func:`neurodyn.sweep.run` (``run_options``: ``workers``, ``client``, ``scheduler``, ``progress``, ...), one row
    per run (:func:`measure_kuramoto`). Returns the :class:`~neurodyn.sweep.SweepResult`; ``.finished`` holds the
    rows (``n``, ``K``, ``r``, ``r_std``, ``K_c``, ``r_theory``, ...); its ``spectra``, ``performance`` and
    ``plot`` belong to training sweeps and do not apply to these rows.

    See also: :func:`kuramoto_grid`, :func:`synchrony_sweep` (adiabatic, one network, with hysteresis).
    """
    from neurodyn.sweep.run import run

    configs = list(configs)
    if not all(isinstance(c, KuramotoConfig) for c in configs):
        raise InvalidInputError("configs must be KuramotoConfig objects (see kuramoto_grid)")
    return run(configs, store, measure=measure_kuramoto, **run_options)
