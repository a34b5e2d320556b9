"""Jacobian spectra along states, sorted by real part, and the time-scale ratio of every slow/fast split."""

from __future__ import annotations

import torch

from neurodyn._linalg import eigvals
from neurodyn.errors import NonFiniteError
from neurodyn.systems.protocol import Flow

CHUNK_ENTRIES = 2**24  # Jacobians are formed for at most this many matrix entries at a time (128 MiB in float64)


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


def finite_jacobian(system: Flow, x: torch.Tensor, offset: int) -> torch.Tensor:
    """``system.jacobian(x)``, or :class:`~neurodyn.NonFiniteError` naming the first state where it is not finite."""
    J = system.jacobian(x)
    if bool(torch.isfinite(J.sum((-2, -1))).all()):  # a sum of finite numbers can overflow: then look closer
        return J
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


def full_spectra(system: Flow, x: torch.Tensor) -> torch.Tensor:
    """Sorted Jacobian spectra ``(B, n)`` at ``x``, in chunks of about ``CHUNK_ENTRIES`` matrix entries: by the
    symmetric form where :func:`symmetric_tanh_form` applies, else by ``eigvals`` of each Jacobian."""
    n = system.dim
    chunk = max(1, CHUNK_ENTRIES // (n * n))
    form = symmetric_tanh_form(system)
    if form is None:
        return torch.cat([sorted_spectrum(finite_jacobian(system, part, i * chunk))
                          for i, part in enumerate(x.split(chunk))])
    return torch.cat([_symmetric_spectrum(form, part) for part in x.split(chunk)])
