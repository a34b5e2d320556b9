"""Linear stability of (S)GD at a (near-)interpolating minimum.

At a minimum ``w*`` GD with learning rate ``eta`` is the map ``w <- w - eta grad L(w)``, linearised
``delta <- (I - eta H) delta``; SGD multiplies by ``I - eta H_B`` with the Hessian of a random batch ``B``.
At an interpolation point the Hessian of every batch is its Gauss–Newton part,
``H_B = (1/b) sum_{i in B} J_i^T Q_i J_i`` (``J_i``: the output Jacobian of example ``i``, ``Q_i``: the
Hessian of its loss in the output), so with ``G_i = Q_i^{1/2} J_i`` everything lives on the span of the
``G_i`` (the normal space of the interpolation manifold; its complement is flat and neutral). With
``K = G G^T = U diag(lambda) U^T`` (the NTK Gram matrix weighted by ``Q``) and
``F_i = U_r[rows of i] diag(lambda_r)^{1/2}``, the normal-space Hessian of batch ``B`` is
``(1/b) sum_{i in B} F_i^T F_i`` in an orthonormal basis of that space: ``r x r`` matrices,
``r <= n * outputs`` however many parameters the model has.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace

import torch
from torch.func import hessian, jacrev, vmap

from neurodyn._checks import positive_float, positive_int
from neurodyn._settings import with_options
from neurodyn.errors import ConvergenceWarning, InvalidInputError
from neurodyn.results import Result, Status, finish
from neurodyn.training.objective import Objective
from neurodyn.training.sharpness import sharpness

RANK_RTOL = 1e-10


@dataclass(frozen=True)
class StabilitySettings:
    """Settings of :func:`sgd_lyapunov_exponent` and :func:`gd_stability` (each field is also a keyword of them,
    replacing the field; :func:`gd_stability` uses only ``chunk_size``, ``seed`` and ``dtype``).

    Attributes:
        steps: measured SGD steps per chain (default 5000). chains: independent chains (default 16, at least 2).
        burn_in: SGD steps per chain before measuring (default 200).
        chunk_size, dtype: as in :func:`neurodyn.training.sharpness` (default all examples at once, float64).
        seed: seeds the chains' batches and start vectors and the sharpness's Lanczos (default 0).
    """

    steps: int = 5000
    chains: int = 16
    burn_in: int = 200
    chunk_size: int | None = None
    seed: int = 0
    dtype: torch.dtype = torch.float64


@dataclass(frozen=True, eq=False)
class MinimumStability(Result):
    """Stability of (S)GD at a minimum.

    Attributes:
        lr, batch_size: the learning rate and batch size (``batch_size = n`` for GD).
        sharpness: ``lambda_max`` of the full-batch Hessian (Lanczos on the true Hessian).
        normal_eigenvalues: ``(r,)`` the Gauss–Newton Hessian's nonzero eigenvalues (descending): the normal-space
            spectrum, exact at an interpolation point.
        gd_exponent: ``log max |1 - lr * lambda|`` over ``normal_eigenvalues`` (nats/step); < 0: GD-stable. In the
            stable regime it is usually set by the smallest normal eigenvalue, the slowest way back.
        sgd_exponent, sgd_stderr: the top Lyapunov exponent of the random product of ``I - lr H_B`` on the normal
            space (nats/step) and its standard error over independent chains; ``nan`` from :func:`gd_stability`.
        sgd_drift: second-half minus first-half estimate: a drift beyond a few standard errors means the run
            was too short for the slowest normal directions (the standard error does not include that bias).
        ms_factor: Wu, Ma & E (2018): ``lambda_max(E[(I - lr H_B)^2])``; <= 1 is *sufficient* for mean-square
            stability (above 1 the criterion certifies nothing).
        verdicts: ``{"gd": ..., "sgd": ..., "mean_square": ...}``: "stable"/"unstable" ("n/a" without the SGD
            run); "stable"/"not certified" for the mean-square criterion.
        loss, grad_norm: at the analysed point (a large gradient means it is no minimum and the analysis is moot).
        status: :class:`~neurodyn.Status`: ``CONVERGED``, or ``UNCONVERGED`` when the SGD exponent still drifts
            beyond three standard errors or the sharpness's Lanczos run did not converge.
    """

    lr: float
    batch_size: int
    sharpness: float
    normal_eigenvalues: torch.Tensor
    gd_exponent: float
    sgd_exponent: float
    sgd_stderr: float
    sgd_drift: float
    ms_factor: float
    verdicts: dict
    loss: float
    grad_norm: float
    settings: dict = field(default_factory=dict)
    status: Status = Status.CONVERGED

    def __repr__(self) -> str:
        sgd = f", SGD {self.sgd_exponent:+.4f} ± {self.sgd_stderr:.4f}" if math.isfinite(self.sgd_exponent) else ""
        return (f"MinimumStability(lr={self.lr:g}, batch={self.batch_size}: sharpness {self.sharpness:.5g} vs "
                f"2/lr = {2 / self.lr:.5g}; GD exponent {self.gd_exponent:+.4f}{sgd} nats/step; {self.verdicts})")

    def plot(self, ax=None):
        """``lr * lambda`` of the normal-space spectrum against GD's stable band ``(0, 2)``. Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        x = (self.lr * self.normal_eigenvalues).cpu().numpy()
        ax.axvspan(0, 2, color="C2", alpha=0.15, label="GD-stable band 0 < lr·λ < 2")
        ax.vlines(x, 0, 1, color="C0", lw=1)
        ax.axvline(self.lr * self.sharpness, color="C3", ls="--", label="lr · sharpness")
        ax.set_xlabel("lr · λ (normal-space Hessian eigenvalues)")
        ax.set_yticks([])
        ax.set_title(f"GD exponent {self.gd_exponent:+.3f}; verdicts {self.verdicts}", fontsize=9)
        ax.legend(fontsize=8)
        return ax


# An SGD exponent is judged from the drift between the two halves of its run: below this many steps there are
# too few products in each half to estimate it, and the status says "too short".
MIN_SGD_STEPS = 20

def _normal_factors(obj: Objective):
    """``F: (n, out, r)`` per-example factors in an orthonormal basis of the normal space, and ``lambda_r``
    (eigenvalues of ``K = G G^T``)."""
    blocks = []

    def example_output(w, x):
        return obj.output(w, x[None])[0].reshape(-1)

    with torch.inference_mode(False):
        for rows in obj.chunks:
            X, Y = obj.X[rows], obj.y[rows]
            out = obj.output(obj.w, X)
            J = vmap(jacrev(example_output), in_dims=(None, 0))(obj.w, X)  # (b, out, p), one backward per row

            def example_loss(f, y, shape=out.shape[1:]):
                return obj.loss_fn(f.reshape(1, *shape), y[None])

            # the loss's curvature in the output; a negative part (non-convex losses) is dropped: the Gauss-Newton
            # matrix is positive semi-definite by construction
            Q = vmap(hessian(example_loss))(out.reshape(len(X), -1).detach(), Y)  # (b, out, out)
            e, V = torch.linalg.eigh(Q)
            root = V @ torch.diag_embed(e.clamp_min(0).sqrt()) @ V.transpose(-1, -2)
            blocks.append(root @ J)
    G = torch.cat(blocks)  # (n, out, p)
    n, o, _ = G.shape
    Gf = G.reshape(n * o, -1)
    lam, U = torch.linalg.eigh(Gf @ Gf.T)
    # eigenvalues below the rounding level of K are zero: they are the flat (tangent) directions
    rtol = max(RANK_RTOL, 10 * n * o * torch.finfo(lam.dtype).eps)
    keep = lam > rtol * lam.max().clamp_min(torch.finfo(lam.dtype).tiny)
    lam, U = lam[keep].flip(0), U[:, keep].flip(1)
    return (U * lam.sqrt()).reshape(n, o, -1), lam


def _analyse(model, loss_fn, data, lr, batch_size, s: StabilitySettings, *, sgd: bool):
    """GD (and, with ``sgd``, SGD) stability at the model's parameters; ``s`` gives the run's settings."""
    chunk_size, dtype, seed = s.chunk_size, s.dtype, s.seed
    steps, chains, burn_in = (s.steps, s.chains, s.burn_in) if sgd else (None, 2, 0)
    obj = Objective(model, loss_fn, data, chunk_size=chunk_size, dtype=dtype)
    lr = positive_float(lr, name="lr")
    n = obj.n
    b = n if batch_size is None else positive_int(batch_size, name="batch_size")
    if b > n:
        raise InvalidInputError(f"batch_size={b} exceeds the {n} examples")
    F, lam = _normal_factors(obj)
    r = len(lam)
    mu = lam / n
    gd = float(torch.log((1 - lr * mu).abs().max())) if r else -math.inf
    # Wu, Ma & E (2018), batches of b distinct examples drawn uniformly:
    # E[M^2] = I - 2 lr H + lr^2 [Q/(b n) + (b-1)/(b n (n-1)) (S^2 - Q)], S = sum A_i = diag(lambda), Q = sum A_i^2
    # sum_i A_i^2 with A_i = F_i^T F_i, as sum_i F_i^T (F_i F_i^T) F_i: O(n o r + r^2) memory
    C = (F @ F.transpose(-1, -2)) @ F  # (n, o, r)
    Qsum = F.reshape(-1, r).T @ C.reshape(-1, r)
    S = torch.diag(lam)
    pair = (b - 1) / (b * n * (n - 1)) if n > 1 else 0.0
    EM2 = torch.eye(r, dtype=lam.dtype, device=lam.device) - 2 * lr * S / n + lr**2 * (Qsum / (b * n) + pair * (
        S @ S - Qsum))
    ms = float(torch.linalg.eigvalsh(EM2).max()) if r else 0.0
    top = sharpness(model, loss_fn, data, chunk_size=chunk_size, dtype=dtype, seed=seed)
    sgd, err, drift = math.nan, math.nan, math.nan
    settled = Status(top.status).ok
    if steps is not None:
        steps = positive_int(steps, name="steps", minimum=2)
        sgd, err, drift, drift_err = _sgd_exponent(F.reshape(n, -1, r), lr, b, steps,
                                                   positive_int(chains, name="chains", minimum=2), burn_in, seed)
        if math.isfinite(drift) and abs(drift) > 3 * drift_err + 1e-12:
            settled = False
            warnings.warn(f"the SGD exponent drifts between the two halves of the run ({drift:+.3g} ± {drift_err:.2g} "
                          f"nats/step): the slowest normal directions (lr * lambda_min = {lr * float(mu[-1]):.2g} per "
                          "step) need more steps", ConvergenceWarning, stacklevel=3)
    status = Status.CONVERGED if settled else Status.UNCONVERGED
    if steps is not None and math.isnan(sgd):  # (-inf is an exact answer: a step that annihilates the deviation)
        status = Status.DIVERGED
    elif steps is not None and math.isfinite(sgd) and (steps < MIN_SGD_STEPS or not math.isfinite(drift)):
        status = Status.TOO_SHORT  # the drift test between the two halves needs steps in each
    verdict = {"gd": "stable" if gd < 0 else "unstable",
               "sgd": "n/a" if math.isnan(sgd) else ("stable" if sgd < 0 else "unstable"),
               "mean_square": "stable" if ms <= 1 else "not certified"}
    return MinimumStability(lr=lr, batch_size=b, sharpness=top.max, normal_eigenvalues=mu.cpu(), gd_exponent=gd,
                            sgd_exponent=sgd, sgd_stderr=err, sgd_drift=drift, ms_factor=ms, verdicts=verdict,
                            loss=obj.loss(), status=status,
                            grad_norm=float(torch.linalg.vector_norm(obj.gradient())),
                            settings=dict(steps=steps, chains=chains, burn_in=burn_in, seed=seed, rank=r,
                                          examples=n, parameters=obj.dim))


def _sgd_exponent(F, lr, b, steps, chains, burn_in, seed):
    """Top Lyapunov exponent of ``prod (I - lr/b sum_{i in B_t} F_i^T F_i)`` over i.i.d. uniform batches ``B_t``
    of ``b`` distinct examples, one unit vector per chain renormalised every step (Benettin)."""
    n, o, r = F.shape
    if r == 0:
        return -math.inf, 0.0, math.nan, math.nan
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(chains, r, generator=gen, dtype=F.dtype).to(F.device)
    v = v / torch.linalg.vector_norm(v, dim=-1, keepdim=True)
    first = torch.zeros(chains, dtype=F.dtype, device=F.device)
    second = torch.zeros_like(first)
    for t in range(burn_in + steps):
        idx = torch.rand(chains, n, generator=gen).argsort(dim=-1)[:, :b].to(F.device)
        Fb = F[idx].reshape(chains, b * o, r)
        v = v - (lr / b) * (Fb.transpose(-1, -2) @ (Fb @ v[..., None]))[..., 0]
        norm = torch.linalg.vector_norm(v, dim=-1)
        # a norm at the rounding level of the step (|v| = 1 in, |lr/b F^T F| out) is an annihilated vector: the
        # factors F come from an eigen-decomposition, so an exact cancellation shows up as ~1e-16, not 0
        floor = 16 * torch.finfo(F.dtype).eps * r * (1 + (lr / b) * (Fb * Fb).sum(dim=(-1, -2)))
        dead = norm <= floor
        if t >= burn_in:
            half = first if t < burn_in + steps // 2 else second
            half += torch.where(dead, -math.inf, torch.log(norm))  # annihilated: exponent -inf
        if bool(dead.any()):  # go on from a fresh direction (the -inf already recorded decides that chain)
            v[dead] = torch.randn(int(dead.sum()), r, generator=gen, dtype=F.dtype).to(F.device)
            norm = torch.where(dead, torch.linalg.vector_norm(v, dim=-1), norm)
        v = v / norm[:, None]
    h1, h2 = steps // 2, steps - steps // 2
    per_chain = (first + second) / steps
    mean = float(per_chain.mean())
    err = float(per_chain.std() / math.sqrt(chains)) if math.isfinite(mean) else 0.0
    if not math.isfinite(mean):
        return mean, err, math.nan, math.nan
    d = second / h2 - first / h1
    return mean, err, float(d.mean()), float(d.std() / math.sqrt(chains))


_SGD_ONLY = ("steps", "chains", "burn_in")
_ARGUMENTS = ("model", "loss_fn", "data", "lr", "strict", "settings")


def gd_stability(model, loss_fn, data, lr: float, *, strict: bool | None = None,
                 settings: StabilitySettings | None = None, **options) -> MinimumStability:
    """Linear stability of full-batch GD with learning rate ``lr`` at the model's current parameters.

    GD is stable at a minimum iff every normal-space Hessian eigenvalue satisfies ``|1 - lr lambda| < 1``,
    i.e. ``lambda_max(H) < 2/lr``; the exponent ``log max |1 - lr lambda|`` (nats per step) is the rate at which
    a perturbation off the minimum shrinks (< 0) or grows (> 0). The normal-space spectrum comes from the
    Gauss–Newton reduction (module docstring), the sharpness from Lanczos on the true Hessian.

    Args:
        model, loss_fn, data: as in :func:`neurodyn.training.sharpness`; ``loss_fn`` is the mean over examples,
            and the per-example loss is ``loss_fn`` on a batch of one.
        lr: the learning rate.
        strict: raise :class:`~neurodyn.ConvergenceError` instead of returning an ``UNCONVERGED`` result.
        settings: a :class:`StabilitySettings`, of which ``chunk_size``, ``seed`` and ``dtype`` apply (also as
            keywords).

    Returns:
        :class:`MinimumStability` (SGD fields ``nan``). Memory: the per-example Jacobians, ``n * outputs * p``.
    """
    sgd_only = sorted(set(options) & set(_SGD_ONLY))
    if sgd_only:
        raise InvalidInputError(f"gd_stability: {sgd_only} apply to sgd_lyapunov_exponent only; drop them")
    s = with_options(StabilitySettings, settings, options, "gd_stability", arguments=_ARGUMENTS)
    return finish(_analyse(model, loss_fn, data, lr, None, s, sgd=False), strict=strict,
                  what="GD stability (the sharpness did not converge)")


def sgd_lyapunov_exponent(model, loss_fn, data, lr: float, batch_size: int, *, strict: bool | None = None,
                          settings: StabilitySettings | None = None, **options) -> MinimumStability:
    """Linear stability of SGD (learning rate ``lr``, batches of ``batch_size`` distinct examples drawn
    uniformly and independently each step) at a (near-)interpolating minimum.

    The top Lyapunov exponent of the random product ``(I - lr H_{B_t}) ... (I - lr H_{B_1})`` on the normal space
    (Chemnitz & Engel 2024), estimated by the QR (Benettin) method over ``chains`` independent chains of ``steps``
    steps after ``burn_in`` (standard error over chains), in nats per step: < 0 means SGD returns to the minimum
    almost surely. SGD can be unstable where GD is stable (e.g. per-example curvatures ``(0, 4)``, ``lr = 0.6``,
    batch 1: GD exponent ``log 0.2 = -1.609``, SGD ``0.5 log 1.4 = +0.168``). Beside it, the mean-square criterion
    of Wu, Ma & E (2018), ``lambda_max((I - lr H)^2 + lr^2 (n-b)/(b(n-1)) Sigma) <= 1`` with ``Sigma`` the
    variance of the per-example Hessians, which is stricter than the almost-sure exponent.

    The estimate converges like ``1/(lr lambda_min steps)`` in the slowest normal direction: ``sgd_drift``
    (second half minus first half) shows when ``steps`` is too short, and a ConvergenceWarning is issued when it
    exceeds three standard errors.

    For losses without an interpolation point (e.g. cross-entropy) the Gauss–Newton part of the Hessian is used
    throughout: an approximation whose quality ``sharpness`` (the true Hessian's) against ``normal_eigenvalues[0]``
    shows.

    Args: as :func:`gd_stability`, plus ``batch_size``; ``settings`` (a :class:`StabilitySettings`: ``steps``,
        ``chains``, ``burn_in``, ``chunk_size``, ``seed``, ``dtype``) and its fields as keywords; ``strict``
        raises :class:`~neurodyn.ConvergenceError` where the result would be ``UNCONVERGED`` (a drifting SGD
        exponent: raise ``steps``).

    Returns:
        :class:`MinimumStability`.
    """
    s = with_options(StabilitySettings, settings, options, "sgd_lyapunov_exponent",
                     arguments=(*_ARGUMENTS, "batch_size"))
    s = replace(s, burn_in=positive_int(s.burn_in, name="burn_in", minimum=0))
    res = _analyse(model, loss_fn, data, lr, batch_size, s, sgd=True)
    return finish(res, strict=strict, what="the SGD Lyapunov exponent (it still drifts: raise steps)")
