"""Finite-time Lyapunov exponents (FTLE) of flows and maps at a batch of points."""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from neurodyn._checks import as_tensor, positive_float, positive_int, state_batch
from neurodyn._settings import with_options
from neurodyn.errors import ConvergenceWarning, DivergenceError, InvalidInputError
from neurodyn.integrate.variational import ADAPTIVE, VariationalIntegrator
from neurodyn.lyapunov.plan import batch_major_inputs
from neurodyn.lyapunov.settings import FTLESettings
from neurodyn.results import Result, Status, finish
from neurodyn.systems.protocol import Flow, load_forward_ad
from neurodyn.systems.torch_adapters import as_system


@dataclass(frozen=True, eq=False)
class FTLEField(Result):
    """FTLEs at a batch of points.

    Attributes:
        points: ``(P, n)`` the initial points.
        exponents: ``(P, k)`` the ``k`` leading FTLEs, descending: ``(1/T) log sigma_i(D phi_T(x))`` for a
            flow, ``(1/L) log sigma_i(J_L ... J_1)`` for ``L`` steps of a map; in ``units``.
        history: ``(P, L, k)`` for maps, the FTLEs of the partial products ``J_l ... J_1`` after each step
            ``l`` (how growth builds up layer by layer); ``None`` for flows and on the matrix-free path.
        horizon: the time ``T`` (flows) or number of steps ``L`` (maps).
        units: ``"nats/time"`` or ``"nats/step"``; kind, system, settings as in other results.
        status: ``"ok"`` for the frame path (exact up to the integration error), ``"converged"`` or
            ``"unconverged"`` for the matrix-free power iteration (a :class:`~neurodyn.Status`).
    """

    points: torch.Tensor
    exponents: torch.Tensor
    history: torch.Tensor | None
    horizon: float
    units: str
    kind: str
    system: str
    settings: dict = field(default_factory=dict)
    status: Status = Status.OK

    @property
    def maximal(self) -> torch.Tensor:
        """``(P,)`` the largest FTLE at each point."""
        return self.exponents[:, 0]

    def __repr__(self) -> str:
        m = self.maximal
        return (f"FTLEField({self.system}: {len(m)} points, horizon {self.horizon:g}, largest FTLE in "
                f"[{float(m.min()):.4g}, {float(m.max()):.4g}] {self.units})")

    def plot(self, ax=None, *, index: int = 0, dims: tuple[int, int] = (0, 1), classifier=None, data=None):
        """The ``index``-th FTLE over the plane of coordinates ``dims`` of the points (a filled contour map
        when there are enough points, else a scatter). Returns the axes.

        Args:
            classifier: an ``nn.Module`` taking the points to logits: its decision boundary (where the
                predicted class changes) is drawn over the map.
            data: ``(X, y)`` labelled inputs to scatter on top (e.g. the test set), coloured by class.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 5))
        pts = self.points.detach().double().cpu()
        val = self.exponents[:, index].detach().double().cpu().numpy()
        x = pts[:, dims[0]].numpy()
        y = pts[:, dims[1]].numpy() if pts.shape[1] > 1 else 0 * x
        dense = len(val) >= 16 and pts.shape[1] > 1
        art = ax.tricontourf(x, y, val, levels=30, cmap="magma") if dense else ax.scatter(x, y, c=val, cmap="magma")
        ax.figure.colorbar(art, ax=ax, label=f"FTLE λ{index + 1} ({self.units})")
        if classifier is not None and dense:
            logits = _logits(classifier, self.points)
            for c in range(1 if logits.shape[1] == 2 else 0, logits.shape[1]):  # each class region's border
                margin = logits[:, c] - np.delete(logits, c, axis=1).max(axis=1)
                ax.tricontour(x, y, margin, levels=[0.0], colors="cyan", linewidths=1.2)
            ax.plot([], [], c="cyan", label="decision boundary")
        if data is not None:
            X, lab = (torch.as_tensor(v).detach().cpu() for v in data)
            ax.scatter(X[:, dims[0]], X[:, dims[1]], c=lab, cmap="coolwarm", s=5, edgecolors="none", alpha=0.7)
        if classifier is not None and dense:
            ax.legend(loc="upper right", fontsize=8)
        ax.set_xlabel(f"x{dims[0] + 1}")
        ax.set_ylabel(f"x{dims[1] + 1}" if pts.shape[1] > 1 else "")
        what = f"T = {self.horizon:g}" if self.kind == "flow" else f"{int(self.horizon)} steps"
        ax.set_title(f"FTLE of {self.system} ({what})", fontsize=10)
        return ax


def _logits(classifier, points: torch.Tensor) -> np.ndarray:
    """``classifier``'s logits ``(P, classes)`` at the points, from a private copy in evaluation mode (dropout
    off, batch-norm statistics untouched) in its own dtype and device; the random state is left as it was."""
    if not isinstance(classifier, torch.nn.Module):
        raise InvalidInputError(f"classifier must be an nn.Module returning logits, got {type(classifier).__name__}")
    model = copy.deepcopy(classifier).eval()
    param = next(iter(model.parameters()), None)
    x = points.detach().to(param.dtype if param is not None else torch.float32)
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        out = model(x.to(param.device if param is not None else "cpu"))
    if out.ndim != 2 or out.shape[0] != len(x) or out.shape[1] < 2:
        raise InvalidInputError(f"classifier returned shape {tuple(out.shape)} on {len(x)} points; expected "
                                f"({len(x)}, classes >= 2) logits")
    return out.double().cpu().numpy()


def ftle(system, points, *, t: float | None = None, steps: int | None = None, inputs=None, directions=None,
         strict: bool | None = None, settings: FTLESettings | None = None, **options) -> FTLEField:
    """Finite-time Lyapunov exponents at every point of a batch.

    For a flow, ``lambda_i(x) = (1/T) log sigma_i(D phi_T(x))`` (Haller 2001; Shadden, Lekien & Marsden 2005):
    the state and the variational matrix ``D phi_t`` (started at the identity, or at ``directions``) are
    integrated together over ``[0, T]`` (fixed-step RK with ``dt`` adjusted to divide ``T``, or one adaptive
    torchdiffeq solve over the whole horizon for ``method="dopri5"`` etc., ``dt`` then unused), batched over all
    points and pushed with forward-mode products (or an analytic Jacobian), and
    the singular values are taken at the end. For a map iterated ``steps`` times (e.g. the
    layers of a deep network, one step per layer), ``lambda_i = (1/L) log sigma_i(J_L ... J_1)`` per step, with
    the partial products' FTLEs after every step in ``history``.

    When only the largest FTLE is wanted in very many dimensions (``k = 1``, ``matrix_free=True``), ``sigma_1`` comes
    from power iteration on ``D phi_T^T D phi_T`` with one JVP and one VJP of the flow map per iteration
    (``torch.func``), batched over points, with no ``n x n`` matrix formed; it stops when ``sigma_1`` changes
    by less than ``power_tol`` (relative) at every point.

    The product is formed without re-orthonormalisation, so the horizon must keep ``sigma_1`` within the
    floating-point range (``T * lambda_1 < ~700`` nats); for long-time exponents use
    :func:`neurodyn.lyapunov_spectrum`.

    Args:
        system: a :class:`Map` or :class:`Flow` (or a module :func:`neurodyn.from_torch` accepts).
        points: ``(P, n)`` initial points (any input dimension ``n``; a 2-D grid plots as a map).
        t: horizon ``T`` of a flow (time units). steps: number ``L`` of map steps.
        inputs: ``(P, L, m)`` inputs of a driven map (``(L, P, m)`` when the layout is ``"time_first"``).
        directions: ``(n, m)`` or ``(P, n, m)`` orthonormal columns: the FTLEs of ``D phi_T`` restricted to
            perturbations in their span (e.g. the input coordinates of an augmented neural ODE). Default:
            all ``n`` directions.
        strict: ``True`` raises :class:`~neurodyn.ConvergenceError` when the power iteration did not settle
            (status ``"unconverged"``); by default that result is returned with a
            :class:`~neurodyn.ConvergenceWarning`, as an unconverged Lyapunov spectrum is.
        settings: a :class:`~neurodyn.FTLESettings`: ``k`` (default 1), ``dt``, ``method``, ``rtol``, ``atol``
            (integration of a flow, as in :func:`neurodyn.lyapunov_spectrum`), ``layout``, ``matrix_free``,
            ``power_tol``, ``power_maxiter``, ``seed``, ``chunk`` (defaults and meaning there).
        **options: any field of :class:`~neurodyn.FTLESettings` as a keyword, e.g. ``k=2, dt=0.005``; it
            replaces that field of ``settings``. An unknown name raises :class:`~neurodyn.InvalidInputError`.

    Returns:
        :class:`FTLEField` (nats per unit time for flows, per step for maps).

    See also:
        :func:`neurodyn.lyapunov_spectrum` (the infinite-time limit), :meth:`FTLEField.plot`.
    """
    s = with_options(FTLESettings, settings, options, "ftle",
                     arguments=("system", "points", "t", "steps", "inputs", "directions", "strict", "settings"))
    system = as_system(system)
    is_flow = isinstance(system, Flow)
    x = state_batch(points, n=system.dim, name="points", dtype=system.dtype, device=system.device)
    D = _directions(directions, system, len(x))
    k = positive_int(s.k, name="k")
    if k > D.shape[-1]:
        raise InvalidInputError(f"k={k} exceeds the {D.shape[-1]} perturbation directions of {system.name!r}")
    horizon = _flow_horizon(system, s, t, steps) if is_flow else _map_horizon(system, s, t, steps, inputs, len(x))
    system.probe(x, None if horizon.inputs is None else horizon.inputs[:, 0])
    if s.matrix_free and k > 1:
        raise InvalidInputError(f"matrix_free gives the largest FTLE only; got k={k}: use matrix_free=False")
    logs, history, settled = _log_sigmas(system, horizon, x, D, k, s)
    T, L = horizon.T, horizon.L
    status = Status.OK if not s.matrix_free else (Status.CONVERGED if settled else Status.UNCONVERGED)
    result = FTLEField(points=x, exponents=logs / T, history=history, horizon=T, status=status,
                       units="nats/time" if is_flow else "nats/step", kind="flow" if is_flow else "map",
                       system=system.name, settings=dict(t=t, steps=L if not is_flow else None, k=k,
                                                         dt=T / L if is_flow and s.method not in ADAPTIVE else None,
                                                         method=s.method if is_flow else None,
                                                         matrix_free=s.matrix_free))
    return finish(result, strict=strict, what=f"the largest FTLEs of {system.name!r} (power iteration)")


@dataclass(frozen=True)
class Horizon:
    """The horizon of an FTLE run: time ``T``, ``L`` integrator steps, the driving inputs ``(P, L, m)`` of a map
    (or ``None``), and ``integrator(rows)``, the variational integrator for a slice of the points."""

    T: float
    L: int
    inputs: torch.Tensor | None
    integrator: Callable[[slice], VariationalIntegrator]


def _flow_horizon(system, s: FTLESettings, t, steps) -> Horizon:
    if t is None or steps is not None:
        raise InvalidInputError(f"{system.name!r} is a flow: give its horizon t= (time units), not steps=")
    T = positive_float(t, name="t")
    L = max(1, round(T / positive_float(s.dt, name="dt")))
    if s.method in ADAPTIVE:  # no re-orthonormalisation to stop for: one adaptive solve over [0, T]
        L = 1

    def integrator(rows):
        return VariationalIntegrator(system, dt=T / L, method=s.method, rtol=s.rtol, atol=s.atol)

    return Horizon(T=T, L=L, inputs=None, integrator=integrator)


def _map_horizon(system, s: FTLESettings, t, steps, inputs, P: int) -> Horizon:
    if steps is None or t is not None:
        raise InvalidInputError(f"{system.name!r} is a map: give the number of steps=, not t=")
    L = positive_int(steps, name="steps")
    if inputs is not None:
        inputs = batch_major_inputs(system, inputs, s.layout)
        if inputs.shape[:2] != (P, L):
            raise InvalidInputError(f"inputs has shape {tuple(inputs.shape)}; expected ({P}, {L}, "
                                    f"{system.input_dim})")
    elif system.input_dim:
        raise InvalidInputError(f"{system.name!r} is driven by inputs: pass inputs of shape ({P}, {L}, "
                                f"{system.input_dim})")

    def integrator(rows):
        return VariationalIntegrator(system, inputs=None if inputs is None else inputs[rows])

    return Horizon(T=float(L), L=L, inputs=inputs, integrator=integrator)


def _log_sigmas(system, horizon: Horizon, x, D, k: int, s: FTLESettings):
    """``log sigma_i`` ``(P, k)`` at every point, the maps' per-step history (or ``None``), and whether every
    power iteration settled, computed ``s.chunk`` points at a time."""
    chunk = positive_int(s.chunk, name="chunk")
    parts, histories, settled = [], [], True
    for start in range(0, len(x), chunk):  # chunks keep the working arrays in cache: ~2x faster on big grids
        rows = slice(start, start + chunk)
        if s.matrix_free:
            logs, done = _power_log_sigma1(system, horizon.integrator(rows), x[rows], D[rows], horizon.L,
                                           s.power_tol, s.power_maxiter, s.seed)
            parts.append(logs[:, None])
            settled = settled and done
        else:
            logs, hist = _frame_log_sigmas(system, horizon.integrator(rows), x[rows], D[rows], horizon.L, k,
                                           keep_history=not isinstance(system, Flow))
            parts.append(logs)
            histories.append(hist)
    history = torch.cat(histories) if histories and histories[0] is not None else None
    return torch.cat(parts), history, settled


def _directions(directions, system, P: int) -> torch.Tensor:
    """The initial frame ``(P, tangent_dim, m)``: the identity, or the user's orthonormal ``directions``."""
    n = system.tangent_dim
    if directions is None:
        return torch.eye(n, dtype=system.dtype, device=system.device).expand(P, n, n)
    D = as_tensor(directions, name="directions", dtype=system.dtype, device=system.device)
    if D.ndim not in (2, 3) or D.shape[-2] != n or (D.ndim == 3 and len(D) != P) or D.shape[-1] < 1:
        raise InvalidInputError(f"directions has shape {tuple(D.shape)}; expected ({n}, m) or ({P}, {n}, m) "
                                f"columns in the {n}-dimensional tangent space of {system.name!r}")
    gram = D.transpose(-1, -2) @ D
    atol = max(1e-8, 100 * torch.finfo(D.dtype).eps)  # float32 rounding alone leaves ~1e-7
    if not torch.allclose(gram, torch.eye(D.shape[-1], dtype=D.dtype, device=D.device), atol=atol):
        raise InvalidInputError("directions must have orthonormal columns (D^T D = I); orthonormalise them, "
                                "e.g. with torch.linalg.qr(D).Q")
    return D.expand(P, n, D.shape[-1])


def _frame_log_sigmas(system, integ, x, D, L: int, k: int, *, keep_history: bool):
    """``log sigma_i`` of the pushed frame ``D phi_L D`` (``(P, k)``), and for maps the per-step FTLEs."""
    Q = D.contiguous()
    history = []
    with torch.no_grad():
        for i in range(L):
            x, Q = integ.advance(x, Q, i)
            _check_finite(Q, system, i, L)
            if keep_history:
                history.append(torch.log(torch.linalg.svdvals(Q)[:, :k]) / (i + 1))
        logs = torch.log(torch.linalg.svdvals(Q)[:, :k])
    return logs, (torch.stack(history, dim=1) if history else None)


def _power_log_sigma1(system, integ, x, D, L: int, tol: float, maxiter: int, seed: int) -> tuple[torch.Tensor, bool]:
    """``log sigma_1(D phi_L D)`` at every point by power iteration on ``(D phi D)^T (D phi D)``, and whether it
    settled to ``tol`` at every point.

    Written here because no library iterates on the flow map of a batch through JVPs and VJPs; each point
    is independent, so one batched JVP/VJP serves all points at once."""
    if system.tangent_index is not None:
        raise InvalidInputError(f"matrix_free FTLEs need the full tangent space of {system.name!r}; "
                                "pass matrix_free=False for a restricted view")
    if getattr(integ, "tableau", True) is None:
        raise InvalidInputError("matrix_free FTLEs need a fixed-step scheme (e.g. method='rk4'), not an adaptive one")

    def phi(y):
        for i in range(L):
            y, _ = integ.advance(y, None, i)
        return y

    gen = torch.Generator(device="cpu").manual_seed(seed)
    v = torch.randn(D.shape[0], D.shape[-1], generator=gen, dtype=x.dtype).to(x.device)
    v = v / torch.linalg.vector_norm(v, dim=-1, keepdim=True)
    load_forward_ad()
    _, vjp_fn = torch.func.vjp(phi, x)
    sigma = torch.full((len(x),), math.nan, dtype=x.dtype, device=x.device)
    maxiter = positive_int(maxiter, name="power_maxiter")
    for _ in range(maxiter):
        w = torch.func.jvp(phi, (x,), ((D @ v[..., None])[..., 0],))[1].detach()
        _check_finite(w, system, L - 1, L)
        new = torch.linalg.vector_norm(w, dim=-1)
        done = bool(((new - sigma).abs() <= tol * new).all())
        sigma = new
        if done:
            return torch.log(sigma), True
        u = (D.transpose(-1, -2) @ vjp_fn(w)[0].detach()[..., None])[..., 0]
        v = u / torch.linalg.vector_norm(u, dim=-1, keepdim=True).clamp_min(torch.finfo(u.dtype).tiny)
    warnings.warn(f"power iteration for the largest FTLE of {system.name!r} did not settle to {tol:g} in "
                  f"{maxiter} iterations (close leading singular values); raise power_maxiter or use "
                  "matrix_free=False", ConvergenceWarning, stacklevel=3)
    return torch.log(sigma), False


def _check_finite(Q, system, i: int, L: int) -> None:
    if not bool(torch.isfinite(Q).all()):
        raise DivergenceError(f"the variational matrix of {system.name!r} overflowed at step {i + 1} of "
                              f"{L}: shorten the horizon", step=i + 1)
