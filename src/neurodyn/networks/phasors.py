"""All-to-all Kuramoto(–Sakaguchi) networks integrated on unit phasors: no trigonometry per RK4 stage.

With ``z_i = e^{i x_i}`` the Kuramoto–Sakaguchi model ``dx_i/dt = omega_i + K r sin(psi - x_i - alpha)`` becomes

    dz_i/dt = i omega_i z_i + w - conj(w) z_i^2,     w = (K/2) Z e^{-i alpha},   Z = (1/N) sum_j z_j,

a polynomial field: each stage costs one mean and a few multiply-adds per node instead of a ``cos`` and a ``sin``;
the linear rotation ``i omega_i z_i`` is integrated exactly (Lawson RK4, see :func:`simulate_phasors`).
Writing ``z = a + i b`` and ``conj(w) z = u + i q``, the nonlinear part is ``Re = Re w - u a + q b`` and
``Im = Im w - u b - q a`` (eight fused multiply-adds per node), computed in place into preallocated buffers.
The unit circle is invariant (``d|z|^2/dt = 2 Re(conj(z) w) (1 - |z|^2)``) but repelling for oscillators more
than 90 degrees from ``arg w``, so RK4's O(dt^5) drift off it is removed by renormalising
``z_i <- z_i / |z_i|`` after every step (``renormalise=True``); this changes the phases by less than the step's
own RK4 error, and the result agrees with RK4 on the phases to RK4 accuracy (O(dt^4)).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import DivergenceError, InvalidInputError
from neurodyn.networks.coupling import SineCoupling
from neurodyn.networks.graphs import CompleteGraph
from neurodyn.networks.particles import ParticleNetwork, is_phase_model
from neurodyn.networks.simulate import Trajectory

Pair = tuple[torch.Tensor, torch.Tensor]
"""Complex values per node as (real parts, imaginary parts)."""


def _rotate(x: Pair, E: Pair, out: Pair) -> Pair:
    """``e^{i omega h/2} x`` (complex product per node) into ``out`` (must not alias ``x``; ``(None, None)``:
    fresh tensors)."""
    (a, b), (Er, Ei) = x, E
    return (torch.mul(a, Er, out=out[0]).addcmul_(b, Ei, value=-1),
            torch.mul(b, Er, out=out[1]).addcmul_(a, Ei))


def _field(y: Pair, w: Pair, tmp: Pair, out: Pair) -> Pair:
    """The nonlinear part ``k = w - conj(w) y^2`` at the phasors ``y``: with ``conj(w) y = u + i q``,
    ``k = (Re w - u a + q b) + i (Im w - u b - q a)`` (eight fused multiply-adds per node)."""
    (a, b), (wr, wi) = y, w
    u = torch.mul(a, wr, out=tmp[0]).addcmul_(b, wi)
    q = torch.mul(b, wr, out=tmp[1]).addcmul_(a, wi, value=-1)
    return (torch.addcmul(wr, u, a, value=-1, out=out[0]).addcmul_(q, b),
            torch.addcmul(wi, u, b, value=-1, out=out[1]).addcmul_(q, a, value=-1))


def _axpy(x: Pair, y: Pair, alpha: float, out: Pair) -> Pair:
    """``x + alpha y`` into ``out``."""
    return torch.add(x[0], y[0], alpha=alpha, out=out[0]), torch.add(x[1], y[1], alpha=alpha, out=out[1])


def _add_(acc: Pair, y: Pair, alpha: float) -> Pair:
    """``acc <- acc + alpha y`` in place."""
    return acc[0].add_(y[0], alpha=alpha), acc[1].add_(y[1], alpha=alpha)


def coupling_of_mean(Z: Pair, cw: torch.Tensor, sw: torch.Tensor) -> Pair:
    """``w = (K/2) e^{-i alpha} Z`` from the mean ``Z`` (shapes ``(..., 1)``); ``cw - i sw = (K/2) e^{-i alpha}``."""
    (Zr, Zi) = Z
    return cw * Zr + sw * Zi, cw * Zi - sw * Zr


def node_mean(y: Pair) -> Pair:
    """The mean over the nodes ``Z = (1/N) sum_j y_j``, shapes ``(..., 1)``."""
    return y[0].mean(-1, keepdim=True), y[1].mean(-1, keepdim=True)


@dataclass(frozen=True)
class StageBuffers:
    """Where one Lawson RK4 step writes its temporaries: preallocated pairs (eager, no allocation per step) or
    ``(None, None)`` everywhere (:data:`FRESH`: functional, as the compiler traces it). ``state`` receives the new
    state (the state itself in eager mode)."""

    Es: Pair
    y: Pair
    k: Pair
    acc: Pair
    t: Pair
    tmp: Pair
    state: Pair

    @classmethod
    def like(cls, s: Pair) -> StageBuffers:
        def pair():
            return torch.empty_like(s[0]), torch.empty_like(s[1])

        return cls(pair(), pair(), pair(), pair(), pair(), pair(), s)


FRESH = StageBuffers(*(((None, None),) * 7))


def lawson_rk4(s: Pair, E: Pair, h: float, w_at: Callable[[int, Pair], Pair], out: StageBuffers, *,
               stage_2: bool = False, renormalise: bool = True) -> Pair:
    """One Lawson RK4 step of ``dz/dt = i omega z + w - conj(w) z^2`` from the phasors ``s`` (the one definition of
    the step's arithmetic, for the eager and the compiled steps).

    With ``E = e^{i omega h/2}`` and ``k_j = w_j - conj(w_j) y_j^2`` at the stage phasors ``y_j``: ``y_1 = s``,
    ``y_2 = E(s + h/2 k_1)``, ``y_3 = E s + h/2 k_2``, ``y_4 = E(E s + h k_3)``, and the new state
    ``E(E s + h/6 (E k_1 + 2 k_2 + 2 k_3)) + h/6 k_4``, multiplied by ``1 / sqrt(Re^2 + Im^2)`` when
    ``renormalise`` (modulus 1 to rounding).

    Args:
        s: the state; E: ``e^{i omega h/2}``; h: the step.
        w_at: ``(j, y_{j+1}) -> w_{j+1}``, the coupling at stage ``j + 1`` (``j = 0..3``): from the mean of
            ``y_{j+1}`` (eager) or from means computed by earlier passes (compiled).
        out: where the temporaries and the new state go (:class:`StageBuffers`, or :data:`FRESH`).
        stage_2: return the stage phasors ``y_2`` instead of the new state (default ``False``).
    """
    k1 = _field(s, w_at(0, s), out.tmp, out.k)
    Es = _rotate(s, E, out.Es)
    acc = _rotate(k1, E, out.acc)  # E k1
    y = _axpy(Es, acc, h / 2, out.y)  # E (s + h/2 k1)
    if stage_2:
        return y
    k = _field(y, w_at(1, y), out.tmp, out.k)  # k2
    _add_(acc, k, 2)
    y = _axpy(Es, k, h / 2, out.y)
    k = _field(y, w_at(2, y), out.tmp, out.k)  # k3
    _add_(acc, k, 2)
    y = _rotate(_axpy(Es, k, h, out.t), E, out.y)
    k = _field(y, w_at(3, y), out.tmp, out.k)  # k4
    _add_(Es, acc, h / 6)
    new = _add_(_rotate(Es, E, out.state), k, h / 6)
    if renormalise:
        m = torch.mul(new[0], new[0], out=out.tmp[0]).addcmul_(new[1], new[1]).rsqrt_()  # 1 / |z|
        new[0].mul_(m)
        new[1].mul_(m)
    return new


class _PhasorStepper:
    """Lawson RK4 (:func:`lawson_rk4`) on stacked phasors ``s: (..., 2, N)`` (real parts, imaginary parts) with
    every temporary preallocated; ``step(h)`` advances ``s`` in place, one pass per operation."""

    def __init__(self, s: torch.Tensor, omega: torch.Tensor, K: torch.Tensor, alpha: float, h: float):
        self.s = s
        self.pair = (s[..., 0, :], s[..., 1, :])
        self.cw = K / 2 * math.cos(alpha)  # (K/2) e^{-i alpha} = cw - i sw
        self.sw = K / 2 * math.sin(alpha)
        E = torch.stack((torch.cos(omega * h / 2), torch.sin(omega * h / 2)))  # e^{i omega h/2}, once
        self.E = (E[0], E[1])
        self.buffers = StageBuffers.like(self.pair)

    def _w_at(self, j: int, y: Pair) -> Pair:
        return coupling_of_mean(node_mean(y), self.cw, self.sw)

    def step(self, h: float, renormalise: bool) -> None:
        lawson_rk4(self.pair, self.E, h, self._w_at, self.buffers, renormalise=renormalise)

    def phases(self) -> torch.Tensor:
        return torch.atan2(self.pair[1], self.pair[0])

    def r(self) -> torch.Tensor:
        Z = self.s.mean(-1)
        return torch.hypot(Z[..., 0], Z[..., 1])

    def finite(self) -> bool:
        return bool(torch.isfinite(self.s).all())


def _check_network(network) -> None:
    ok = (isinstance(network, ParticleNetwork) and isinstance(network.graph, CompleteGraph)
          and isinstance(network.coupling, SineCoupling) and is_phase_model(network))
    if not ok:
        raise InvalidInputError("simulate_phasors integrates the all-to-all Kuramoto model only (kuramoto("
                                f"CompleteGraph(N), omega, ...)); {getattr(network, 'name', network)!r} is not one: "
                                "use simulate")


def simulate_phasors(network: ParticleNetwork, x0: torch.Tensor, *, t_end: float, dt: float,
                     observe: Callable | None = None, every: int = 1, renormalise: bool = True,
                     compile: bool = False) -> Trajectory:
    """All-to-all Kuramoto(–Sakaguchi) by classical RK4 on the unit phasors ``z_i = e^{i x_i}``.

    The same trajectory as :func:`simulate` on the phases up to RK4's O(dt^4) error, without a ``cos``/``sin``
    per stage (see the module docstring for the field). Lawson (integrating-factor) RK4 (Lawson, SIAM J. Numer.
    Anal. 4, 372, 1967): the rotation ``i omega_i z_i`` is integrated exactly through ``e^{i omega_i h/2}``,
    computed once, so large frequencies (Lorentzian tails) do not limit the step. On one CPU thread of a loaded
    machine it was 1.3–2.9x faster than :func:`simulate` at N = 10^6 and slower at N <= 3x10^4, where its ~60
    elementwise passes per step cost more than the trigonometry they replace (``bench/networks.py``,
    ``bench/RESULTS.md``).

    Args:
        network: ``kuramoto(CompleteGraph(N), omega, K=..., alpha=...)``; ``K`` may be a ``(B, 1)`` tensor
            (``with_params``) to run ``B`` couplings as one batch.
        x0: initial phases ``(..., N)``.
        t_end, dt, every: as for :func:`simulate` (``t_end`` a whole number of steps).
        observe: ``None`` (default) records ``r = |Z|`` from the phasors directly; a callable receives the
            phases ``atan2(Im z, Re z)`` in ``(-pi, pi]`` at each recording.
        renormalise: rescale every ``z_i`` to modulus 1 after each step (default ``True``; without it the
            drift off the circle is RK4's local error accumulated, O(t dt^4), and grows for oscillators
            opposite the mean field).
        compile: run each step as two loops over the nodes compiled by ``torch.compile`` (C++ on a CPU, Triton
            on a GPU; see :mod:`neurodyn.networks.phasors_fused`) instead of about sixty eager passes: the same
            arithmetic (:func:`lawson_rk4`), the same trajectory to rounding. The first run per ``(N, dt, batch
            shape, device)`` compiles (seconds to tens of seconds); where torch cannot compile, or past its
            recompile limit (8 shapes per process by default), a :class:`RuntimeWarning` says so and the eager
            step runs. Default ``False``.

    Returns:
        A :class:`Trajectory` whose ``final`` is the phases in ``(-pi, pi]``.

    See also: :func:`simulate`, :func:`kuramoto`, :func:`order_parameter`.
    """
    _check_network(network)
    t_end, dt = positive_float(t_end, name="t_end"), positive_float(dt, name="dt")
    every = positive_int(every, name="every")
    steps = round(t_end / dt)
    if abs(steps * dt - t_end) > 1e-9 * t_end:
        raise InvalidInputError(f"t_end = {t_end} is not a whole number of steps dt = {dt}; choose t_end = k * dt")
    x = torch.as_tensor(x0, dtype=network.dtype)
    network.probe(x, torch.zeros((), dtype=x.dtype))
    K = torch.as_tensor(network.params["K"], dtype=x.dtype, device=x.device)
    omega = network.omega.to(x) if network.omega is not None else torch.zeros(network.n, dtype=x.dtype, device=x.device)
    s = torch.stack((torch.cos(x), torch.sin(x)), dim=-2)
    K = K.expand(torch.broadcast_shapes(K.shape, s.shape[:-2] + (1,)))
    s = s.expand(*K.shape[:-1], 2, network.n).clone()
    stepper = None
    if compile:
        from neurodyn.networks.phasors_fused import fused_stepper

        stepper = fused_stepper(s, omega, K, network.coupling.alpha, dt, renormalise)
    if stepper is None:
        stepper = _PhasorStepper(s, omega, K, network.coupling.alpha, dt)

    def record():
        return stepper.r() if observe is None else observe(stepper.phases())

    times, values = [0.0], [record()]
    for k in range(1, steps + 1):
        stepper.step(dt, renormalise)
        if k % every == 0 or k == steps:
            if not stepper.finite():
                raise DivergenceError(f"the phasors of {network.name!r} became non-finite by step {k}; reduce dt",
                                      step=k)
            times.append(k * dt)
            values.append(record())
    return Trajectory(torch.tensor(times, dtype=torch.float64), torch.stack(values), stepper.phases(), dt)
