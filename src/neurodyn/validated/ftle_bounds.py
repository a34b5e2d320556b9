"""Proven finite-time Lyapunov exponents: :func:`prove_ftle` bounds ``(1/T) log sigma_i(D phi_T(x))`` from the
rigorous enclosure of ``D phi_T`` (:func:`neurodyn.enclose_flow`) by singular-value perturbation bounds."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from flint import arb, ctx

from neurodyn._checks import positive_float, positive_int
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result, Status, finish
from neurodyn.validated.arb import float_down, float_up
from neurodyn.validated.balls import U, upper
from neurodyn.validated.flow import enclose_flow


@dataclass(frozen=True, eq=False)
class FTLEBounds(Result):
    """Proven intervals ``[lower, upper]`` for the ``k`` leading FTLEs at each point (nats per time unit).

    For every point ``i`` with ``proved[i]``: ``lower[i, j] <= (1/t) log sigma_{j+1}(D phi_t(points[i])) <=
    upper[i, j]``. Elsewhere the bounds are ``-inf``/``inf`` (the flow was not enclosed up to ``t``, or a lower
    singular-value bound was not positive).

    Attributes:
        points: ``(P, n)``. t: the horizon (time units). k: how many exponents.
        lower, upper: ``(P, k)`` tensors. proved: ``(P,)``. float_ftle: ``(P, k)`` the float FTLEs of
        :func:`neurodyn.ftle` at the same points (RK4 with ``float_dt``; NaN when not computed), for comparison
        only. status: ``proved`` when every point is, else ``not proved`` with ``reason``. backend, seconds,
        settings: how it was computed.
    """

    points: torch.Tensor
    t: float
    k: int
    lower: torch.Tensor
    upper: torch.Tensor
    proved: torch.Tensor
    float_ftle: torch.Tensor
    status: Status
    reason: str = ""
    backend: str = "fast"
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)

    @property
    def width(self) -> torch.Tensor:
        """``upper - lower``, ``(P, k)``."""
        return self.upper - self.lower

    def __repr__(self) -> str:
        w = self.width[self.proved]
        wmax = float(w.max()) if w.numel() else float("nan")
        return (f"FTLEBounds({int(self.proved.sum())} of {len(self.proved)} points proved at t = {self.t:g}, "
                f"k = {self.k}, max width {wmax:.3g}, status={self.status.value!r})")

    def plot(self, ax=None, *, index: int = 0):
        """Four panels over a 2-D grid of points (``x``-major as :func:`torch.meshgrid` with ``indexing="xy"``
        makes it, or scattered points): the float FTLE map, the proven lower and upper bounds and the width
        (log10) of exponent ``index``. ``ax``: four axes (default: a new figure). Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(1, 4, figsize=(15, 3.4))
        pts = self.points.numpy()
        values = (self.float_ftle[:, index], self.lower[:, index], self.upper[:, index],
                  torch.log10(self.width[:, index].clamp_min(1e-300)))
        titles = ("float FTLE (nd.ftle)", "proven lower bound", "proven upper bound", "log10 width")
        for a, v, title in zip(ax, values, titles, strict=True):
            v = v.numpy()
            shown = np.where(np.isfinite(v), v, np.nan)
            art = a.scatter(pts[:, 0], pts[:, 1] if pts.shape[1] > 1 else np.zeros(len(pts)), c=shown, s=6,
                            marker="s", cmap="viridis")
            plt.colorbar(art, ax=a)
            a.set_title(title, fontsize=9)
            a.set_aspect("auto")
        return ax


def singular_value_bounds(lower: np.ndarray, upper_: np.ndarray, k: int):
    """Certain bounds ``(lo, hi)``, ``(N, k)``, of the ``k`` largest singular values of every matrix in the interval
    matrices ``[lower, upper]`` (``(N, n, m)`` floats).

    With ``V_c`` the midpoint, ``U S W^T`` its float SVD and ``eps >= |V - V_c|_F + |V_c - U S W^T|_F``:
    ``sigma_i(U S W^T)`` lies in ``[s_i sqrt((1 - d_U)(1 - d_W)), s_i sqrt((1 + d_U)(1 + d_W))]`` with
    ``d_U >= |U^T U - I|_2`` (``sigma_i(A B) <= sigma_1(A) sigma_i(B)``, and the same from below with
    ``sigma_min``), and Weyl's inequality ``|sigma_i(X + E) - sigma_i(X)| <= |E|_2 <= |E|_F`` adds ``eps``
    (Horn and Johnson, *Topics in Matrix Analysis*, Thm. 3.3.16)."""
    mid = 0.5 * (lower + upper_)
    rad = upper(np.maximum(upper_ - mid, mid - lower), 1)
    Uf, S, Wt = np.linalg.svd(mid, full_matrices=False)
    r = S.shape[-1]
    recon = (Uf * S[..., None, :]) @ Wt
    # |mid - U S W^T| elementwise: the float difference plus a-priori bounds of the two rounded products
    err = np.abs(mid - recon) + upper(2 * r * U * (np.abs(Uf) * S[..., None, :]) @ np.abs(Wt), r + 4)
    eps = _frob_upper(rad) + _frob_upper(upper(err, 2))
    dU = _frob_upper(upper(np.abs(np.swapaxes(Uf, -1, -2) @ Uf - np.eye(r)) + (r + 2) * U * np.abs(
        np.swapaxes(Uf, -1, -2)) @ np.abs(Uf), r + 4))
    dW = _frob_upper(upper(np.abs(Wt @ np.swapaxes(Wt, -1, -2) - np.eye(r)) + (r + 2) * U * np.abs(
        Wt) @ np.abs(np.swapaxes(Wt, -1, -2)), r + 4))
    lo, hi = np.empty((len(mid), k)), np.empty((len(mid), k))
    with ctx.workprec(80):
        for i in range(len(mid)):
            shrink = ((1 - arb(dU[i])) * (1 - arb(dW[i]))).sqrt() if dU[i] < 1 and dW[i] < 1 else arb(0)
            grow = ((1 + arb(dU[i])) * (1 + arb(dW[i]))).sqrt()
            for j in range(k):
                lo[i, j] = float_down(arb(S[i, j]) * shrink - arb(eps[i]))
                hi[i, j] = float_up(arb(S[i, j]) * grow + arb(eps[i]))
    return lo, hi


def _frob_upper(a: np.ndarray) -> np.ndarray:
    """Certain upper bounds of the Frobenius norms of non-negative float matrices ``(N, n, m)``."""
    total = upper(np.sum(a * a, axis=(-1, -2)), a.shape[-1] * a.shape[-2] + 2)
    return upper(np.sqrt(total) * (1 + 2 * U), 2)


def prove_ftle(system, points, *, t: float, k: int = 1, order: int = 16, tol: float = 1e-11,
               backend: str = "fast", float_dt: float | None = 0.01, strict: bool | None = None) -> FTLEBounds:
    """Proven intervals for the ``k`` leading finite-time Lyapunov exponents ``(1/T) log sigma_i(D phi_T(x))`` at
    every point of a batch.

    ``D phi_T`` is enclosed by the C^1 Lohner method (:func:`neurodyn.enclose_flow`, batched over the points),
    its singular values are bounded by Weyl's perturbation inequality around a float SVD whose
    non-orthogonality is bounded rigorously (:func:`singular_value_bounds`), and the logarithm is taken in
    Arb. Supported fields as for :func:`neurodyn.enclose_flow`.

    Args:
        system: a :class:`neurodyn.Flow` of a supported form. points: ``(P, n)`` states (float64).
        t: the horizon ``T`` (time units). k: how many leading exponents (default 1, at most ``n``).
        order, tol, backend: the integrator's settings (see :func:`neurodyn.enclose_flow`; order 16 and a step
            remainder of 1e-11 by default: FTLE widths of about 1e-9 at a fraction of the cost of 1e-15).
        float_dt: also compute the float FTLEs of :func:`neurodyn.ftle` (RK4 with this step) for comparison
            and plots (``None``: skip).
        strict: ``True`` raises :class:`~neurodyn.ConvergenceError` unless every point is proved.

    Returns:
        An :class:`FTLEBounds`.

    See also:
        :func:`neurodyn.ftle` (float FTLEs), :func:`neurodyn.enclose_flow`.
    """
    started = time.perf_counter()
    t = positive_float(t, name="t")
    k = positive_int(k, name="k")
    if k > system.dim:
        raise InvalidInputError(f"k = {k} exceeds the state dimension {system.dim} of {system.name!r}")
    enc = enclose_flow(system, points, t, order=order, tol=tol, backend=backend, keep_tube=False, own_steps=True,
                       strict=False)
    lo, hi = singular_value_bounds(enc.jacobian_lower.numpy(), enc.jacobian_upper.numpy(), k) if bool(
        enc.proved.any()) else (np.zeros((len(enc.proved), k)), np.zeros((len(enc.proved), k)))
    lower, upper_ = np.full(lo.shape, -np.inf), np.full(lo.shape, np.inf)
    proved = enc.proved.numpy() & np.all(lo > 0, axis=-1)
    with ctx.workprec(80):
        T = arb(t)
        for i in np.flatnonzero(proved):
            for j in range(k):
                lower[i, j] = float_down(arb(lo[i, j]).log() / T)
                upper_[i, j] = float_up(arb(hi[i, j]).log() / T)
    floats = torch.full(lo.shape, float("nan"), dtype=torch.float64)
    if float_dt is not None:
        from neurodyn.lyapunov.ftle import ftle

        floats = ftle(system, enc.x0.to(system.dtype), t=t, k=k, dt=float_dt).exponents.reshape(len(lo), k).to(
            torch.float64)
    ok = bool(proved.all())
    reason = "" if ok else (f"{int((~proved).sum())} of {len(proved)} points not proved: "
                            f"{enc.reason or 'a lower singular-value bound was not positive'}")
    result = FTLEBounds(points=enc.x0, t=t, k=k, lower=torch.from_numpy(lower), upper=torch.from_numpy(upper_),
                        proved=torch.from_numpy(proved), float_ftle=floats,
                        status=Status.PROVED if ok else Status.NOT_PROVED, reason=reason, backend=enc.backend,
                        seconds=time.perf_counter() - started,
                        settings=dict(order=order, tol=tol, float_dt=float_dt, system=system.name))
    return finish(result, strict=strict, what=f"the proven FTLEs of {system.name!r}")
