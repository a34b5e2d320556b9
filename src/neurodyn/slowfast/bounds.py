"""Leading spectra and ratio bounds along many states: each state's computation starts where the last one ended.

States given in order along a trajectory are near each other: the next state's slow subspace, slowest fast
eigenvalue and the metric that certifies it (:mod:`neurodyn.slowfast.metric`) carry over. A batch of unrelated
states is not: there the first failure of a followed state switches to the cold method (Arnoldi's estimate,
random starts, the Euclidean certificate); after ``1, 2, 4, ...`` further failures a new reference is tried
(so a trajectory's fast transient, where the Jacobian moves quickly, does not end the following for good).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from neurodyn._linalg import eig
from neurodyn.slowfast.leading import Leading, Warm, leading_spectrum
from neurodyn.slowfast.metric import Metric, eigenvector_metric
from neurodyn.slowfast.spectra import CHUNK_ENTRIES, finite_jacobian, full_spectra, split_ratios


@dataclass
class GapBounds:
    """Working record of :func:`leading_bounds`: spectra and bounds on every split's time-scale ratio.

    Attributes:
        values: ``(B, n)`` complex, by decreasing real part; ``nan`` beyond the leading ones where not ``exact``.
        lo, hi: ``(B, n + 1)`` bounds on :func:`~neurodyn.slowfast.spectra.split_ratios` (equal where known).
        exact: ``(B,)`` where the full spectrum was computed.
        computed: ``(B,)`` how many leading eigenvalues are known at each state.
    """

    values: torch.Tensor
    lo: torch.Tensor
    hi: torch.Tensor
    exact: torch.Tensor
    computed: torch.Tensor

    def make_exact(self, system, x: torch.Tensor, mask: torch.Tensor) -> None:
        """Replace the states in ``mask`` by their full spectra (the reference method's answers)."""
        idx = torch.nonzero(mask & ~self.exact).flatten()
        if len(idx):
            vals = full_spectra(system, x[idx])
            self.values[idx] = vals
            self.lo[idx] = self.hi[idx] = split_ratios(vals)
            self.exact[idx] = True
            self.computed[idx] = vals.shape[-1]

    def set_exact(self, i: int, vals: torch.Tensor) -> None:
        """Record state ``i``'s full spectrum ``vals (n,)`` (any order)."""
        vals = vals[torch.argsort(vals.real, descending=True, stable=True)]
        self.values[i] = vals
        self.lo[i] = self.hi[i] = split_ratios(vals[None])[0]
        self.exact[i] = True
        self.computed[i] = len(vals)


def _certified_bounds(lead: Leading, n: int, rtol: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Bounds ``(n + 1,)`` on every split's ratio from a certified leading spectrum (``k`` slow + 1)."""
    values = torch.from_numpy(lead.values)
    k = len(values) - 1
    exact = split_ratios(values[None])[0, :k + 1]
    lo = torch.full((n + 1,), float("inf"), dtype=torch.float64)
    hi = lo.clone()
    lo[:k + 1] = hi[:k + 1] = exact
    hi[k] = exact[k] / (1 - rtol)  # the slowest fast rate is within rtol of -Re l_k
    re = values.real
    num = max(float(re[:k].abs().max()), -float(re[k]) * (1 - rtol))  # max_{j<k'} |Re l_j| for any k' > k
    lo[k + 1:n] = num / lead.rate_bound if lead.rate_bound > 0 else 0.0
    return lo, hi


def _start_basis(vals: torch.Tensor, vecs: torch.Tensor, k: int) -> np.ndarray:
    """An orthonormal ``(n, k)`` basis of the span of the ``k`` leading eigenvectors (real and imaginary parts)."""
    order = torch.argsort(vals.real, descending=True, stable=True)[:k]
    cols = [vecs[:, i].real if float(vals[i].imag) >= 0 else vecs[:, i].imag for i in order.tolist()]
    return np.linalg.qr(torch.stack(cols, -1).numpy())[0]


@dataclass
class _Track:
    """Where the next state starts from: the last certified state's slow basis and, while ``on`` (following
    nearby states), its slowest fast mode and a reference state's metric.

    Attributes:
        start: ``(n, k)`` slow basis.
        warm: the slowest fast mode (``None``: Arnoldi's estimate).
        metric: the reference metric (``None``: the Euclidean certificate only).
        certified: states certified since the reference was made.
        on: whether states are followed (else the cold method).
        wait: while not ``on``, how many more failed states before the next reference.
        backoff: the next ``wait`` (doubled each time a reference certifies nothing).
    """

    start: np.ndarray
    warm: Warm | None
    metric: Metric | None
    certified: int = 0
    on: bool = True
    wait: int = 0
    backoff: int = 1


def _reference(vals: torch.Tensor, vecs: torch.Tensor, k: int, backoff: int = 1) -> _Track:
    """A track from one state's full eigen-decomposition: its slow basis, slowest fast mode and metric."""
    order = torch.argsort(vals.real, descending=True, stable=True)
    value, v = complex(vals[order[k]]), vecs[:, order[k]].numpy()
    if value.imag == 0:
        v = np.linalg.qr(np.stack((v.real, vecs[:, order[k + 1]].real.numpy()), 1))[0]
    metric = eigenvector_metric(vals.numpy(), vecs.numpy())
    on = metric is not None  # without a metric: the cold method, and the next reference after the usual wait
    return _Track(_start_basis(vals, vecs, k), Warm(value, v / np.linalg.norm(v, axis=0)), metric, on=on,
                  wait=0 if on else backoff, backoff=backoff if on else 2 * backoff)


def _step(A: np.ndarray, track: _Track, rtol: float, rng: np.random.Generator) -> Leading:
    """One state's leading spectrum: followed (warm start, reference metric) while ``track.on``; a followed state
    that fails before its reference certified any state switches the track off (for ``track.backoff`` failed
    states, then doubled) and is redone cold."""
    if track.on:
        lead = leading_spectrum(A, track.start, rtol=rtol, rng=rng, warm=track.warm, metric=track.metric)
        if lead.certified or track.certified:
            return lead
        track.on, track.wait, track.backoff = False, track.backoff, 2 * track.backoff
    return leading_spectrum(A, track.start, rtol=rtol, rng=rng)


def leading_bounds(system, x: torch.Tensor, *, rtol: float, seed: int) -> GapBounds:
    """Leading spectra and ratio bounds along ``x (B, n)``, in the given order.

    The full eigen-decomposition at the first state gives the number ``k`` of slow modes of its largest gap, the
    start basis and the reference metric; every other state gets :func:`~neurodyn.slowfast.leading.
    leading_spectrum` from the last certified state (:func:`_step`). A followed state where that fails after the
    reference certified a state, and a failed state where the wait after an unproductive reference is over,
    becomes the new reference (its full spectrum, from ``geev`` with vectors: equal to ``eigvals``' up to
    rounding); other failures get their full spectra at the end. Without a gap at the first state (or ``k``
    outside ``[1, n - 3]``) every state is full."""
    B, n = x.shape
    first = full_spectra(system, x[:1])[0]  # as the full method has it (geev with vectors rounds differently)
    ratios0 = split_ratios(first[None])[0]
    k = int(torch.argmin(ratios0))
    nan = torch.full((B, n), complex("nan"), dtype=first.dtype)
    bounds = GapBounds(values=nan, lo=torch.zeros(B, n + 1, dtype=torch.float64),
                       hi=torch.zeros(B, n + 1, dtype=torch.float64), exact=torch.zeros(B, dtype=torch.bool),
                       computed=torch.zeros(B, dtype=torch.long))
    bounds.values[0], bounds.lo[0], bounds.hi[0], bounds.exact[0], bounds.computed[0] = first, ratios0, ratios0, True, n
    if not (bool(torch.isfinite(ratios0[k])) and 1 <= k <= n - 3):
        bounds.make_exact(system, x, torch.ones(B, dtype=torch.bool))
        return bounds
    track, rng = _reference(*eig(finite_jacobian(system, x[:1], 0)[0]), k), np.random.default_rng(seed)
    failed = torch.zeros(B, dtype=torch.bool)
    chunk = max(1, min(8, CHUNK_ENTRIES // (n * n)))  # a few Jacobians at a time: they stay in cache
    for c0 in range(1, B, chunk):
        J = finite_jacobian(system, x[c0:c0 + chunk], c0).numpy()
        for i, A in enumerate(J, start=c0):
            lead = _step(A, track, rtol, rng)
            if lead.certified:
                track.start, track.warm, track.certified = lead.slow_basis, lead.warm, track.certified + track.on
                bounds.values[i, :k + 1] = torch.from_numpy(lead.values)
                bounds.lo[i], bounds.hi[i] = _certified_bounds(lead, n, rtol)
                bounds.computed[i] = k + 1
            elif track.on or track.wait == 0:
                vals, vecs = eig(torch.from_numpy(A))
                bounds.set_exact(i, vals)
                track = _reference(vals, vecs, k, 1 if track.on else track.backoff)
            else:
                failed[i] = True
                track.wait -= 1
    bounds.make_exact(system, x, failed)
    return bounds
