"""Time scales along states: the Jacobian's spectrum ordered by real part, its largest gap and ``eps``."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from neurodyn._checks import positive_float, positive_int, state_batch
from neurodyn._linalg import eigvals
from neurodyn.errors import InvalidInputError, NonFiniteError
from neurodyn.results import Result, Status
from neurodyn.systems.protocol import Flow

MAX_EPS = 0.1  # default: a split counts as a separation when the slow/fast rate ratio is at most this
CHUNK_ENTRIES = 2**24  # Jacobians are formed for at most this many matrix entries at a time (128 MiB in float64)


def check_flow(system, caller: str) -> Flow:
    """``system`` if it is a :class:`Flow`, else a clear error naming ``caller``."""
    if not isinstance(system, Flow):
        raise InvalidInputError(f"{caller} needs a Flow (dx/dt = field(t, x)), got {type(system).__name__}; "
                                "time-scale separation of maps is not supported")
    if system.tangent_index is not None:
        raise InvalidInputError(f"{caller}: {system.name!r} restricts its linearisation to tangent_index; the "
                                "slow/fast split needs the Jacobian in all coordinates (build it without it)")
    return system


def sorted_spectrum(J: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of ``J (B, n, n)``, ``(B, n)`` complex, by decreasing real part (slowest first; a conjugate
    pair stays adjacent, LAPACK returns its two real parts bit-identical)."""
    vals = eigvals(J)
    order = torch.argsort(vals.real, dim=-1, descending=True, stable=True)
    return torch.gather(vals, -1, order)


def split_ratios(vals: torch.Tensor) -> torch.Tensor:
    """``eps`` of every split of spectra ``vals (B, n)`` (sorted by :func:`sorted_spectrum`): ``(B, n + 1)``.

    Column ``k`` (``1 <= k < n``) splits off the ``n - k`` eigenvalues with the most negative real parts as fast:
    ``eps_k = max_{j<k} |Re l_j| / (-Re l_k)``, the fastest slow rate over the slowest fast rate. A split is
    impossible (``inf``) when the slowest fast mode is not decaying (``Re l_k >= 0``) or when it would separate
    the two halves of a complex-conjugate pair. Columns 0 and ``n`` (nothing slow / nothing fast) are ``inf``.
    """
    B, n = vals.shape
    re = vals.real
    out = torch.full((B, n + 1), float("inf"), dtype=re.dtype, device=re.device)
    if n < 2:
        return out
    slow_rate = torch.cummax(re.abs(), dim=-1).values[:, :-1]  # (B, n-1): max |Re| over j < k, k = 1..n-1
    fast_rate = -re[:, 1:]
    pair = (vals[:, 1:].imag != 0) & (vals[:, 1:] == vals[:, :-1].conj())
    ok = (fast_rate > 0) & ~pair
    ratio = torch.where(ok, slow_rate / torch.where(ok, fast_rate, torch.ones_like(fast_rate)), float("inf"))
    out[:, 1:n] = ratio
    return out


@dataclass(frozen=True, eq=False)
class TimeScales(Result):
    """The Jacobian's time scales along a set of states and where they separate into slow and fast.

    Attributes:
        eigenvalues: ``(B, n)`` complex eigenvalues of ``d field/dx`` at each state, by decreasing real part.
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


def _finite_jacobian(system: Flow, x: torch.Tensor, offset: int) -> torch.Tensor:
    """``system.jacobian(x)``, or :class:`~neurodyn.NonFiniteError` naming the first state where it is not finite."""
    J = system.jacobian(x)
    bad = ~torch.isfinite(J).flatten(1).all(-1)
    if bool(bad.any()):
        i = offset + int(torch.nonzero(bad)[0])
        raise NonFiniteError(f"the Jacobian of {system.name!r} is not finite at state {i} ({x[i - offset].tolist()}"
                             "); remove such states (outside the field's domain?)")
    return J


def symmetric_tanh_form(system: Flow):
    """The :class:`~neurodyn.systems.TanhForm` of ``system`` when its field is ``-leak x + tanh(W x + b)`` with a
    symmetric ``W`` (no outer weights, no parameter), else ``None``: then ``J = -leak I + D W`` with
    ``D = diag(1 - tanh^2(W x + b)) >= 0`` has the eigenvalues of the symmetric ``-leak I + D^{1/2} W D^{1/2}``."""
    form = system.tanh_form
    if form is None or form.param is not None or form.W.shape != (system.dim, system.dim):
        return None
    eye = torch.eye(system.dim, dtype=form.W_out.dtype, device=form.W_out.device)
    if not (torch.equal(form.W_out, eye) and bool((form.b_out == 0).all()) and torch.equal(form.W, form.W.T)):
        return None
    return form


def _symmetric_spectrum(form, x: torch.Tensor) -> torch.Tensor:
    """Eigenvalues ``(B, n)`` (complex dtype, real values) of ``-leak I + D W`` at states ``x (B, n)`` for a
    symmetric ``W``, by decreasing real part: ``eigvalsh`` of ``D^{1/2} W D^{1/2}``. ``DW`` and ``WD`` share
    eigenvalues, and ``WD = (W D^{1/2}) D^{1/2}`` has those of ``D^{1/2} (W D^{1/2})``, so this holds for singular
    ``D`` (saturated units) too."""
    h = torch.sqrt(1 - torch.tanh(x @ form.W.T + form.b) ** 2)
    vals = torch.linalg.eigvalsh(h[:, :, None] * form.W * h[:, None, :]).flip(-1) - form.leak
    return torch.complex(vals, torch.zeros_like(vals))


def _spectra(system: Flow, x: torch.Tensor) -> torch.Tensor:
    """Sorted Jacobian spectra ``(B, n)`` at ``x``, in chunks of about ``CHUNK_ENTRIES`` matrix entries: by the
    symmetric form where :func:`symmetric_tanh_form` applies, else by ``eigvals`` of each Jacobian."""
    n = system.dim
    chunk = max(1, CHUNK_ENTRIES // (n * n))
    form = symmetric_tanh_form(system)
    if form is None:
        return torch.cat([sorted_spectrum(_finite_jacobian(system, part, i * chunk))
                          for i, part in enumerate(x.split(chunk))])
    return torch.cat([_symmetric_spectrum(form, part) for part in x.split(chunk)])


def _common_split(ratios: torch.Tensor) -> int:
    """The number of fast modes of the split with the smallest median ratio over the states (``ratios (B, n+1)``
    from :func:`split_ratios`)."""
    n = ratios.shape[-1] - 1
    return n - int(torch.argmin(ratios.median(dim=0).values))


def time_scales(system: Flow, states, *, n_fast: int | None = None, max_eps: float = MAX_EPS) -> TimeScales:
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

    Args:
        system: a :class:`~neurodyn.Flow`.
        states: ``(B, n)`` states (a trajectory or a batch of points; one state ``(n,)`` is allowed).
        n_fast: the number of fast modes to report ``eps`` for (default: the common largest gap).
        max_eps: the largest ratio that counts as a separation (default 0.1: rates ten times apart).

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
    vals = _spectra(system, x)
    ratios = split_ratios(vals)
    best_eps, best_k = ratios.min(dim=-1)
    best_n_fast = torch.where(torch.isfinite(best_eps), n - best_k, torch.zeros_like(best_k))
    common = _common_split(ratios) if n_fast is None else n_fast
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
    return TimeScales(eigenvalues=vals, n_fast=common, eps=eps, separated=separated, best_n_fast=best_n_fast,
                      best_eps=best_eps, max_eps=max_eps, status=status, system=system.name,
                      settings={"n_fast": n_fast, "max_eps": max_eps, "states": int(x.shape[0])})
