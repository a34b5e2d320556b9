"""Computer-assisted proofs of critical points of one-hidden-layer tanh networks, with their Morse index."""

from __future__ import annotations

import time

import numpy as np
import torch

from neurodyn._checks import as_tensor
from neurodyn.errors import InvalidInputError, UnsupportedModelError
from neurodyn.iomaps.network import read_network
from neurodyn.iomaps.scalar import _selector
from neurodyn.validated.backend import get_backend
from neurodyn.validated.equilibrium import classify
from neurodyn.validated.linalg import approximate_inverse, existence_and_uniqueness, spectrum_enclosure
from neurodyn.validated.proof import Proof, decimal_down, decimal_up


def _tanh_form(model, output) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(W, b, V, u)`` of ``f(x) = u . (V tanh(W x + b) + c)``; refuses every other network."""
    net = read_network(model)  # as given: composing linear maps would round, and the proof would be of another map
    if net.kind != "mlp" or [tuple(a) for a in net.activations] != [("tanh",), ()]:
        raise UnsupportedModelError(
            f"prove_critical_points proves critical points of one-hidden-layer tanh networks only (nn.Linear, "
            f"nn.Tanh, nn.Linear); {type(model).__name__} has activations {[list(a) for a in net.activations]}")
    u = _selector(output, net.out_dim, type(model).__name__)
    return (net.weights[0].numpy(), net.biases[0].numpy(), net.weights[1].numpy(), u.numpy())


def _morse_index(bk, H, n: int) -> int | None:
    """The number of negative eigenvalues of every member of the symmetric interval matrix ``H`` when the
    verified Gershgorin discs separate them from 0, else ``None``."""
    spectrum = spectrum_enclosure(bk, H)
    if spectrum is None:
        return None
    conclusion, positive, _ = classify(spectrum)
    if conclusion == "stable":
        return n
    return None if positive is None else n - positive


def _prove_one(bk, W, b, v, x: np.ndarray) -> Proof:
    """Newton–Kantorovich for ``G = grad f = W^T (v * tanh'(W x + b))`` around ``x``, with
    ``DG = W^T diag(v * tanh''(W x + b)) W`` (the Hessian) enclosed over balls around it."""
    t0 = time.perf_counter()
    Wp, Wt, bp = bk.point(W), bk.point(W.T), bk.point(b)

    def gradient_and_hessian(y):  # from an enclosure y of the pre-activations W x + b
        t1, t2 = bk.tanh_derivatives(y, (1, 2))
        return Wt @ (v * t1), Wt @ (Wp * (v * t2)[:, None])

    def over(r):  # the pre-activations over the ball |z - x| <= r
        return Wp @ bk.ball(x, r) + bp

    G0, H0 = gradient_and_hessian(bk.affine(W, x, b))  # the residual from the exact (error-free) product
    settings = {"backend": bk.spec}
    A = approximate_inverse(H0.mid)
    base = dict(kind="critical point", center=torch.from_numpy(x), backend=bk.spec, settings=settings)
    if A is None:
        return Proof(proved=False, statement="a critical point near the centre was not proved", conclusion="undecided",
                     reason="the Hessian at the centre is singular (a degenerate critical point?)", radius=np.inf,
                     uniqueness_radius=0.0, seconds=time.perf_counter() - t0, **base)
    e = existence_and_uniqueness(bk, A, G0, lambda r: gradient_and_hessian(over(r))[1], float(np.abs(x).max()),
                                 center=H0)
    bounds = {"Y": (0.0, e.Y), "Z": (0.0, e.Z)}
    if not e.ok:
        return Proof(proved=False, statement="a critical point near the centre was not proved", conclusion="undecided",
                     reason=e.reason, radius=np.inf, uniqueness_radius=0.0, bounds=bounds,
                     seconds=time.perf_counter() - t0, **base)
    index = _morse_index(bk, gradient_and_hessian(over(e.r_min))[1], len(x))
    statement = (f"grad f has exactly one zero within {decimal_down(e.r_max)} of the centre (max norm); it lies "
                 f"within {decimal_up(e.r_min)} of it and is non-degenerate (the Hessian is invertible there)")
    statement += (f", with Morse index {index}" if index is not None else "; its Morse index was not decided")
    conclusion = f"index {index}" if index is not None else "non-degenerate"
    return Proof(proved=True, statement=statement, reason="", conclusion=conclusion, radius=e.r_min,
                 uniqueness_radius=e.r_max, bounds=bounds, seconds=time.perf_counter() - t0, **base)


def prove_critical_points(model, points, *, output=None, backend="fast") -> list[Proof]:
    """Prove, point by point, that the input–output map ``f(x) = u . (V tanh(W x + b) + c)`` of a one-hidden-layer
    tanh network has a non-degenerate critical point near each approximate one, and its Morse index.

    For each approximate point ``x`` (e.g. from :func:`neurodyn.critical_points`), Newton–Kantorovich in the
    radii-polynomial form (:func:`neurodyn.validated.linalg.existence_and_uniqueness`) is applied to
    ``G(x) = grad f(x) = W^T (v * tanh'(W x + b))`` (``v = V^T u``) with its Jacobian, the Hessian
    ``W^T diag(v * tanh''(W x + b)) W``, enclosed over balls around ``x`` by the interval backend (tanh and its
    derivatives rigorously, the weights' rounding included). A proof states that ``grad f`` has exactly one
    zero within ``uniqueness_radius`` and that it lies within ``radius`` (max norm); the contraction makes the
    Hessian invertible there (non-degenerate), and verified Gershgorin discs of the Hessian over that ball,
    separated from 0, give the Morse index (``conclusion`` ``"index k"``; ``"non-degenerate"`` when the discs do
    not decide it).

    Args:
        model: an ``nn.Sequential`` ``nn.Linear, nn.Tanh, nn.Linear`` (its float weights are the exact data of the
            proof); any other network is refused with :class:`~neurodyn.UnsupportedModelError`.
        points: ``(P, n)`` approximate critical points, or a :class:`~neurodyn.iomaps.CriticalPoints` result.
        output: the scalar output, as in :func:`neurodyn.critical_points`.
        backend: ``"fast"`` (float64 balls) or ``"arb"``/``"arb:<bits>"``.

    Returns:
        one :class:`neurodyn.Proof` per point (``kind="critical point"``; ``proved=False`` with the failing bound
        in ``reason`` when the argument does not close, e.g. at a degenerate point).

    See also: :func:`neurodyn.prove_equilibrium` (the same argument for ``-x + tanh(W x + b)``).
    """
    W, b, V, u = _tanh_form(model, output)
    bk = get_backend(backend)
    x = getattr(points, "points", points)
    x = as_tensor(x, name="points", dtype=torch.float64, device="cpu")
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[1] != W.shape[1]:
        raise InvalidInputError(f"points must be (P, {W.shape[1]}) inputs of the network, got {tuple(x.shape)}")
    v = bk.affine(V.T, u)  # V^T u, enclosed
    return [_prove_one(bk, W, b, v, p) for p in x.numpy()]
