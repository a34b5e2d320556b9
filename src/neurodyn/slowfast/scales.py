"""Time scales along states: the Jacobian's spectrum ordered by real part, its largest gap and ``eps``."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from neurodyn._checks import positive_float, positive_int, state_batch
from neurodyn.errors import InvalidInputError
from neurodyn.results import Result, Status
from neurodyn.slowfast.bounds import GapBounds, leading_bounds
from neurodyn.slowfast.spectra import full_spectra, split_ratios, symmetric_tanh_form
from neurodyn.systems.protocol import Flow

MAX_EPS = 0.1  # default: a split counts as a separation when the slow/fast rate ratio is at most this


def check_flow(system, caller: str) -> Flow:
    """``system`` if it is a :class:`Flow`, else a clear error naming ``caller``."""
    if not isinstance(system, Flow):
        raise InvalidInputError(f"{caller} needs a Flow (dx/dt = field(t, x)), got {type(system).__name__}; "
                                "time-scale separation of maps is not supported")
    if system.tangent_index is not None:
        raise InvalidInputError(f"{caller}: {system.name!r} restricts its linearisation to tangent_index; the "
                                "slow/fast split needs the Jacobian in all coordinates (build it without it)")
    return system


@dataclass(frozen=True, eq=False)
class TimeScales(Result):
    """The Jacobian's time scales along a set of states and where they separate into slow and fast.

    Attributes:
        eigenvalues: ``(B, n)`` complex eigenvalues of ``d field/dx`` at each state, by decreasing real part
            (with ``spectrum="leading"``, ``nan`` beyond the ``computed`` leading ones).
        n_fast: the number of fast modes of the common split (the one with the smallest median ratio over
            the states, or the one asked for); 0 when it is separated at no state.
        eps: ``(B,)`` the time-scale ratio of that split at each state: fastest slow rate over slowest fast
            rate (``max_{j<k} |Re l_j| / -Re l_k``; ``inf`` where the split does not exist there).
        separated: ``(B,)`` where ``eps <= max_eps``: the gap of the common split is open at that state.
        best_n_fast, best_eps: ``(B,)`` each state's own largest gap (smallest ratio) and its number of fast
            modes (0 where no split exists at all).
        max_eps: the threshold that counts as a separation.
        status: ``"ok"`` (separated at every state), ``"gap closes"`` (at some states only: see ``separated``)
            or ``"no separation"`` (at none).
        settings: what produced the result.
        computed: ``(B,)`` how many leading eigenvalues were computed at each state (``n`` unless
            ``spectrum="leading"``).
    """

    eigenvalues: torch.Tensor
    n_fast: int
    eps: torch.Tensor
    separated: torch.Tensor
    best_n_fast: torch.Tensor
    best_eps: torch.Tensor
    max_eps: float
    status: Status
    system: str
    settings: dict = field(default_factory=dict)
    computed: torch.Tensor | None = None

    @property
    def n_slow(self) -> int:
        return self.eigenvalues.shape[-1] - self.n_fast

    def plot(self, ax=None):
        """Rates ``|Re l|`` of every mode along the states (log scale), the common split's slowest fast and
        fastest slow rates, and the states where the gap is closed (shaded). Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        rates = self.eigenvalues.real.abs().cpu().numpy()
        idx = range(rates.shape[0])
        ax.plot(idx, rates, color="0.6", lw=0.5, marker=".", ms=2)
        if self.n_fast:
            k = self.n_slow
            ax.plot(idx, rates[:, :k].max(-1), color="tab:blue", lw=1.5, label="fastest slow rate")
            ax.plot(idx, -self.eigenvalues.real[:, k].cpu().numpy(), color="tab:red", lw=1.5,
                    label="slowest fast rate")
            for i in torch.nonzero(~self.separated).flatten().tolist():
                ax.axvspan(i - 0.5, i + 0.5, color="tab:orange", alpha=0.2, lw=0)
            ax.legend(fontsize=8)
        ax.set_yscale("log")
        ax.set_xlabel("state index")
        ax.set_ylabel("|Re λ| (1 / time)")
        ax.set_title(f"time scales: {self.system} ({self.n_fast} fast, {self.status.value})", fontsize=10)
        return ax


def _common_column(bounds: GapBounds, n_fast: int | None) -> int:
    """The column (number of slow modes) of the common split: ``n - n_fast``, or the smallest median ratio."""
    n = bounds.lo.shape[-1] - 1
    return n - n_fast if n_fast is not None else int(torch.argmin(bounds.lo.median(dim=0).values))


def _unsure(bounds: GapBounds, n_fast: int | None, max_eps: float) -> torch.Tensor:
    """``(B,)`` the states whose answers the bounds do not decide: their own largest gap, the common split (then
    every state not yet exact), or the common split's ratio (unknown, or on both sides of ``max_eps``)."""
    lo, hi, loose = bounds.lo, bounds.hi, ~bounds.exact
    best = lo.argmin(-1, keepdim=True)
    second = lo.scatter(-1, best, float("inf")).min(-1).values
    todo = loose & ~(hi.gather(-1, best)[:, 0] < second)
    c = _common_column(bounds, n_fast)
    if n_fast is None:
        med_lo, med_hi = lo.median(dim=0).values, hi.median(dim=0).values
        if not bool(med_hi[c] < med_lo.scatter(0, torch.tensor([c]), float("inf")).min()):
            return loose
    col_lo, col_hi = lo[:, c], hi[:, c]
    unknown = (col_hi > col_lo) & (~torch.isfinite(col_hi) | ((col_lo <= max_eps) & (col_hi > max_eps)))
    return todo | (loose & unknown)


def _bounds(system: Flow, x: torch.Tensor, spectrum: str, eps_rtol: float, n_fast: int | None,
            max_eps: float, seed: int) -> GapBounds:
    """Spectra and ratio bounds that decide every answer: the full spectra, or (``spectrum="leading"``) the
    certified leading ones with full spectra where the bounds leave an answer open."""
    n = system.dim
    fast_path = (spectrum == "leading" and n >= 8 and symmetric_tanh_form(system) is None
                 and x.dtype == torch.float64 and x.device.type == "cpu")
    if not fast_path:
        vals = full_spectra(system, x)
        ratios = split_ratios(vals)
        return GapBounds(values=vals, lo=ratios, hi=ratios, exact=torch.ones(len(x), dtype=torch.bool),
                         computed=torch.full((len(x),), n))
    bounds = leading_bounds(system, x, rtol=eps_rtol, seed=seed)
    for _ in range(2):
        todo = _unsure(bounds, n_fast, max_eps)
        if not bool(todo.any()):
            return bounds
        bounds.make_exact(system, x, todo)
    bounds.make_exact(system, x, ~bounds.exact)
    return bounds


def time_scales(system: Flow, states, *, n_fast: int | None = None, max_eps: float = MAX_EPS,
                spectrum: str = "full", eps_rtol: float = 0.0, seed: int = 0) -> TimeScales:
    """Jacobian eigenvalues along ``states``, ordered by real part, their largest spectral gap and ``eps``.

    At each state the eigenvalues ``l_1, ..., l_n`` of ``J = d field/dx`` (batched LAPACK ``geev`` without
    vectors, the batch split over the CPU threads, in chunks of about 128 MiB of Jacobians) are sorted by
    decreasing real part. For ``dx/dt = -leak x + tanh(W x + b)`` with a symmetric ``W`` (a :func:`tanh_field`
    without outer weights, Hopfield-type) ``J = -leak I + D W`` with ``D = diag(1 - tanh^2) >= 0`` is similar to
    the symmetric ``-leak I + D^{1/2} W D^{1/2}``: its eigenvalues are real and come from the symmetric solver
    (``syevd``, about a tenth of ``geev``'s cost at n = 400; exact real values where ``geev`` may return
    rounding-level imaginary parts), without forming ``J``. The split into ``n - k`` fast and ``k`` slow modes
    has the time-scale ratio ``eps_k = max_{j<k} |Re l_j| / -Re l_k`` (Lam & Goussis' CSP, Maas & Pope's
    ILDM). Each state's largest gap is its smallest ``eps_k``; the common split is the one with the smallest
    median ``eps_k`` over the states (or ``n_fast`` when given), and ``eps`` is reported along the states for it,
    so a gap that closes along a trajectory shows as ``separated`` turning false. Complex-conjugate pairs are
    never split, and fast modes must decay.

    With ``spectrum="leading"`` only the slow eigenvalues and the slowest fast one are computed where that is
    certified (:func:`neurodyn.slowfast.leading.leading_spectrum`: subspace and inverse iteration, Rayleigh-Ritz
    with a residual check, and a logarithmic-norm certificate, ``2-4 n^3`` flops a state). The first state gets
    the full decomposition, which fixes the number ``k`` of slow modes tracked and the start basis; every state
    where a step or the certificate fails, or where the bounds leave an answer open (its own largest gap, the
    common split, ``eps`` on both sides of ``max_eps``), gets its full spectrum, so every answer is the full
    method's for a matrix within ``1e-10 ||J||_F`` of each Jacobian (LAPACK's is within ``~1e-16 ||J||``).
    ``eigenvalues`` then holds ``nan`` beyond the ``computed`` leading ones. States are taken in the given order
    and each starts from the last certified one (:mod:`neurodyn.slowfast.bounds`): along a trajectory the slowest
    fast eigenvalue and its vectors carry over (no Arnoldi, two inverse iterations), and the certificate is a
    logarithmic norm in the metric of a reference state's eigenvectors (:mod:`neurodyn.slowfast.metric`), which
    holds for non-normal fast blocks near the reference; a state where it fails becomes the new reference (its
    full spectrum from ``geev`` with vectors). Unrelated states (a batch) fall back to the Euclidean certificate
    after the first failure. With ``eps_rtol > 0`` the certificate
    only shows that no fast eigenvalue lies more than ``eps_rtol |Re l_k|`` right of the reported slowest fast
    one: ``eps`` and ``best_eps`` may then be up to that much low (the true ratio is in
    ``[eps, eps / (1 - eps_rtol)]``), the number of fast modes and ``separated`` stay certified. Non-normal fast
    blocks often fail the exact certificate (the logarithmic norm exceeds the spectral abscissa); a tolerance
    of a few per cent then passes most states of a batch.

    Args:
        system: a :class:`~neurodyn.Flow`.
        states: ``(B, n)`` states (a trajectory or a batch of points; one state ``(n,)`` is allowed).
        n_fast: the number of fast modes to report ``eps`` for (default: the common largest gap).
        max_eps: the largest ratio that counts as a separation (default 0.1: rates ten times apart).
        spectrum: ``"full"`` (default: every eigenvalue at every state) or ``"leading"`` (above; used for
            ``n >= 8``, float64 on the CPU and fields other than the symmetric tanh form, which is cheaper exactly).
        eps_rtol: with ``spectrum="leading"``, how far (relative, in ``[0, 1)``) the reported slowest fast rate may
            exceed the true one (default 0: certified as the rightmost fast eigenvalue).
        seed: the seed of the random start vectors of ``spectrum="leading"`` (default 0).

    Returns:
        :class:`TimeScales` with status ``"ok"``, ``"gap closes"`` or ``"no separation"``.

    See also:
        :func:`neurodyn.slow_fast` (the slow/fast split and the reduced system).
    """
    system = check_flow(system, "time_scales")
    x = state_batch(states, n=system.dim, name="states", dtype=system.dtype, device=system.device)
    max_eps = positive_float(max_eps, name="max_eps")
    system.probe(x[:1])
    n = system.dim
    if n_fast is not None:
        n_fast = positive_int(n_fast, name="n_fast")
        if n_fast >= n:
            raise InvalidInputError(f"n_fast must be between 1 and {n - 1} for the {n}-dimensional "
                                    f"{system.name!r}, got {n_fast}")
    if spectrum not in ("full", "leading"):
        raise InvalidInputError(f"spectrum must be 'full' or 'leading', got {spectrum!r}")
    try:
        eps_rtol = float(eps_rtol)
    except (TypeError, ValueError):
        raise InvalidInputError(f"eps_rtol must be a number in [0, 1), got {eps_rtol!r}") from None
    if not 0 <= eps_rtol < 1:
        raise InvalidInputError(f"eps_rtol must be in [0, 1), got {eps_rtol}")
    seed = positive_int(seed, name="seed", minimum=0)
    bounds = _bounds(system, x, spectrum, eps_rtol, n_fast, max_eps, seed)
    ratios = bounds.lo
    best_eps, best_k = ratios.min(dim=-1)
    best_n_fast = torch.where(torch.isfinite(best_eps), n - best_k, torch.zeros_like(best_k))
    common = n - _common_column(bounds, n_fast)
    eps = ratios[:, n - common]
    separated = eps <= max_eps
    if n_fast is None and not bool(separated.any()):
        common, eps = 0, torch.full_like(best_eps, float("inf"))
    if n_fast is not None and not bool(torch.isfinite(eps).any()):
        raise InvalidInputError(f"n_fast = {n_fast} splits a complex-conjugate pair or leaves a non-decaying mode "
                                f"among the fast ones at every state of {system.name!r}; choose another n_fast "
                                "(see time_scales(...).best_n_fast)")
    status = (Status.OK if bool(separated.all()) else
              Status.GAP_CLOSES if bool(separated.any()) else Status.NO_SEPARATION)
    return TimeScales(eigenvalues=bounds.values, n_fast=common, eps=eps, separated=separated,
                      best_n_fast=best_n_fast, best_eps=best_eps, max_eps=max_eps, status=status, system=system.name,
                      settings={"n_fast": n_fast, "max_eps": max_eps, "states": int(x.shape[0]), "spectrum": spectrum,
                                "eps_rtol": eps_rtol, "seed": seed, "full_spectra": int(bounds.exact.sum())},
                      computed=bounds.computed)
