"""Sharpness: the top Hessian eigenvalues of a model's full-batch loss, its trace and spectral density."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import torch

from neurodyn._checks import positive_float, positive_int
from neurodyn._settings import with_options
from neurodyn.errors import ConvergenceWarning, InvalidInputError
from neurodyn.results import Result, Status, finish
from neurodyn.training.lanczos import lanczos, top_eigenpairs, tridiagonal
from neurodyn.training.objective import Objective


@dataclass(frozen=True, eq=False)
class Sharpness(Result):
    """Top Hessian eigenvalues of the full-batch loss.

    Attributes:
        eigenvalues: ``(k,)`` descending (loss units per squared parameter unit); ``eigenvalues[0]`` is the
            sharpness ``lambda_max(H)``.
        eigenvectors: ``(k, p)`` unit eigenvectors in the flattened parameter order of ``named_parameters``.
        residuals: ``(k,)`` ``|H y - theta y|`` of each Ritz pair. loss: the full-batch loss.
        hvps: Hessian-vector products used in total (each one a pass over all the data).
        trace, trace_stderr: Hutchinson's estimate of ``tr H`` (loss units per squared parameter unit, summed over
            all parameters) and its standard error (``nan`` if not asked).
        density: ``(nodes, weights)`` of stochastic Lanczos quadrature (Ritz values and squared first components,
            averaged over start vectors), or ``None``.
        status: :class:`~neurodyn.Status`: ``CONVERGED`` (every top Ritz pair within ``tol``) or ``UNCONVERGED``
            (Lanczos stopped at ``max_iter`` first).
    """

    eigenvalues: torch.Tensor
    eigenvectors: torch.Tensor
    residuals: torch.Tensor
    loss: float
    hvps: int
    trace: float
    trace_stderr: float
    density: tuple[torch.Tensor, torch.Tensor] | None
    status: str
    settings: dict = field(default_factory=dict)

    @property
    def max(self) -> float:
        """``lambda_max(H)``."""
        return float(self.eigenvalues[0])

    def __repr__(self) -> str:
        vals = ", ".join(f"{v:.6g}" for v in self.eigenvalues.tolist())
        return f"Sharpness([{vals}], {self.hvps} Hessian-vector products, status={self.status!r})"

    def plot(self, ax=None, *, width: float | None = None):
        """The spectral density (Gaussian-smoothed SLQ, log scale) with the top eigenvalues marked, or the top
        eigenvalues alone. Returns the axes."""
        import matplotlib.pyplot as plt
        import numpy as np

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        top = self.eigenvalues.cpu().numpy()
        if self.density is not None:
            nodes, weights = (t.cpu().numpy() for t in self.density)
            span = max(nodes.max() - nodes.min(), 1e-12)
            sigma = width if width is not None else 0.01 * span
            grid = np.linspace(nodes.min() - 0.05 * span, nodes.max() + 0.05 * span, 800)
            dens = (weights[None] * np.exp(-0.5 * ((grid[:, None] - nodes[None]) / sigma) ** 2)).sum(1)
            dens /= sigma * math.sqrt(2 * math.pi)
            ax.semilogy(grid, np.maximum(dens, 1e-12), color="C0", label="spectral density (SLQ)")
            ax.set_ylabel("density")
        else:
            ax.bar(np.arange(len(top)), top, color="C0")
            ax.set_xlabel("index")
            ax.set_ylabel("eigenvalue")
        if self.density is not None:
            for v in top:
                ax.axvline(v, color="C3", lw=0.8)
            ax.set_xlabel("Hessian eigenvalue")
        ax.set_title(f"Hessian: λmax = {self.max:.5g}", fontsize=10)
        return ax


@dataclass(frozen=True)
class SharpnessSettings:
    """How :func:`~neurodyn.training.sharpness` runs Lanczos (every field is also a keyword of it; a keyword given
    with ``settings=`` replaces that field, and an unknown one raises :class:`~neurodyn.InvalidInputError`).

    Attributes:
        k: number of top eigenvalues (default 1). tol: residual tolerance relative to each eigenvalue (default
            1e-6). max_iter: most Lanczos steps (default 300; each one Hessian-vector product over the full batch).
        chunk_size: examples per Hessian-vector product (default ``None``: all at once, by differentiating one
            kept graph of the gradient twice; a number sums forward-over-reverse products over chunks).
        trace: also estimate ``tr H`` with Hutchinson's estimator from ``trace_samples`` Rademacher vectors
            (default ``False``, 100 samples).
        density: also estimate the spectral density by stochastic Lanczos quadrature, ``density_vectors`` runs
            (default 4) of ``density_steps`` Lanczos steps (default 80) (default ``False``).
        seed: seeds the start vector and the random vectors through a private generator (default 0).
        dtype: the precision of the private copy of the model (default ``torch.float64``).
    """

    k: int = 1
    tol: float = 1e-6
    max_iter: int = 300
    chunk_size: int | None = None
    trace: bool = False
    trace_samples: int = 100
    density: bool = False
    density_vectors: int = 4
    density_steps: int = 80
    seed: int = 0
    dtype: torch.dtype = torch.float64


def sharpness(model, loss_fn, data, *, v0: torch.Tensor | None = None, strict: bool | None = None,
              settings: SharpnessSettings | None = None, **options) -> Sharpness:
    """Top-``k`` eigenvalues of the Hessian of the full-batch loss ``L(w) = mean_i loss(model(x_i), y_i)``.

    Lanczos with full re-orthogonalisation (Lanczos 1950; Golub & Van Loan, ch. 10), restarted on invariant
    subspaces so repeated eigenvalues appear with their multiplicity, on Hessian-vector products ``H v``: by
    differentiating one kept graph of the gradient again (one chunk, the default), or forward-over-reverse
    (``torch.func.jvp`` of ``torch.func.grad``) summed over chunks of ``chunk_size`` examples so memory stays
    that of one chunk. It stops when each of the top ``k`` Ritz pairs
    has residual ``|H y - theta y| <= tol * |theta|``; the eigenvalues are then accurate to about
    ``tol^2 |theta| / relative gap``, far below ``tol`` itself.

    Optional: ``trace`` — Hutchinson's estimator ``E[v^T H v]`` with ``trace_samples`` Rademacher vectors and
    its standard error; ``density`` — stochastic Lanczos quadrature (Ghorbani, Krishnan & Xiao 2019):
    ``density_vectors`` runs of ``density_steps`` Lanczos steps from random unit vectors, each giving nodes
    (Ritz values) and weights (squared first components of the Ritz vectors).

    Args:
        model: any ``nn.Module`` (analysed on a private copy in evaluation mode and ``dtype``; never changed).
        loss_fn: ``loss_fn(output, target)``, the *mean* over the examples given.
        data: ``(inputs, targets)``, examples first.
        v0: a start vector, e.g. the previous top eigenvector when tracking sharpness during training (default
            a random one seeded by ``seed``).
        strict: ``True`` raises :class:`~neurodyn.ConvergenceError` (the partial result on it) instead of
            returning a result with status ``UNCONVERGED`` and a :class:`~neurodyn.ConvergenceWarning` (the
            default ``None`` and ``False`` return it).
        settings: a :class:`SharpnessSettings`: ``k``, ``tol``, ``max_iter``, ``chunk_size``, ``trace``,
            ``trace_samples``, ``density``, ``density_vectors``, ``density_steps``, ``seed``, ``dtype``.
        **options: any field of :class:`SharpnessSettings` as a keyword, e.g. ``k=3, tol=1e-8``.

    Returns:
        :class:`Sharpness`.

    See also:
        :class:`neurodyn.training.EdgeOfStabilityTracker`, :func:`neurodyn.training.gd_stability`.
    """
    s = with_options(SharpnessSettings, settings, options, "sharpness",
                     arguments=("model", "loss_fn", "data", "v0", "strict", "settings"))
    dtype = s.dtype
    obj = Objective(model, loss_fn, data, chunk_size=s.chunk_size, dtype=dtype)
    k = positive_int(s.k, name="k")
    if k > obj.dim:
        raise InvalidInputError(f"k={k} exceeds the {obj.dim} trainable parameters")
    tol = positive_float(s.tol, name="tol")
    gen = torch.Generator().manual_seed(s.seed)
    if v0 is not None:
        v0 = torch.as_tensor(v0, dtype=dtype).reshape(-1).to(obj.device)
        if v0.numel() != obj.dim or not bool(torch.isfinite(v0).all()) or float(v0.norm()) == 0:
            raise InvalidInputError(f"v0 must be a finite nonzero vector of {obj.dim} numbers")
    values, vectors, iters, res = top_eigenpairs(obj.hvp, obj.dim, k, tol=tol, max_iter=positive_int(
        s.max_iter, name="max_iter"), generator=gen, dtype=dtype, device=obj.device, v0=v0)
    ok = bool((res <= tol * values.abs()).all()) or iters == obj.dim
    status = Status.CONVERGED if ok else Status.UNCONVERGED
    if not ok and not strict:
        warnings.warn(f"Lanczos stopped after {iters} Hessian-vector products with relative residuals "
                      f"{(res / values.abs().clamp_min(torch.finfo(values.dtype).tiny)).max():.2g} > tol={tol:g}; "
                      "raise max_iter", ConvergenceWarning,
                      stacklevel=2)
    tr, tr_err = _hutchinson(obj, gen, s.trace_samples, dtype) if s.trace else (math.nan, math.nan)
    dens = _spectral_density(obj, gen, s.density_vectors, s.density_steps, dtype) if s.density else None
    return finish(Sharpness(eigenvalues=values.cpu(), eigenvectors=vectors.cpu(), residuals=res.cpu(), loss=obj.loss(),
                            hvps=obj.hvps, trace=tr, trace_stderr=tr_err, density=dens, status=status,
                            settings=dict(k=k, tol=tol, max_iter=s.max_iter, chunk_size=s.chunk_size,
                                          iterations=iters, trace_samples=s.trace_samples if s.trace else None,
                                          density_vectors=s.density_vectors if s.density else None,
                                          density_steps=s.density_steps if s.density else None, seed=s.seed,
                                          parameters=obj.dim, examples=obj.n)),
                  strict=strict, what=f"the top Hessian eigenvalues (Lanczos stopped after {iters} Hessian-vector "
                  f"products above tol={tol:g}; raise max_iter)")


def _hutchinson(obj, gen, samples: int, dtype) -> tuple[float, float]:
    """Hutchinson's estimate of ``tr H`` from ``samples`` Rademacher vectors, and its standard error."""
    values = []
    for _ in range(positive_int(samples, name="trace_samples", minimum=2)):
        v = (torch.randint(0, 2, (obj.dim,), generator=gen) * 2 - 1).to(obj.device, dtype)
        values.append(float(torch.dot(v, obj.hvp(v))))
    s = torch.tensor(values, dtype=torch.float64)
    return float(s.mean()), float(s.std() / math.sqrt(len(s)))


def _spectral_density(obj, gen, vectors: int, steps: int, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Stochastic Lanczos quadrature: Ritz values and squared first components over ``vectors`` start vectors."""
    nodes, weights = [], []
    m = positive_int(vectors, name="density_vectors")
    for _ in range(m):
        A, B, _, _ = lanczos(obj.hvp, torch.randn(obj.dim, generator=gen, dtype=dtype).to(obj.device),
                             positive_int(steps, name="density_steps"))
        theta, S = torch.linalg.eigh(tridiagonal(A, B))
        nodes.append(theta)
        weights.append(S[0] ** 2 / m)
    return torch.cat(nodes).cpu(), torch.cat(weights).cpu()
