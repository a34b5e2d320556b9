"""Proofs for equilibria: existence and uniqueness in a ball (:func:`prove_equilibrium`) and the location of the
Jacobian's spectrum (:func:`prove_stability`)."""

from __future__ import annotations

import time

import numpy as np
import torch

from neurodyn._checks import as_tensor
from neurodyn.errors import InvalidInputError
from neurodyn.results import finish
from neurodyn.validated.backend import get_backend
from neurodyn.validated.field import TanhNetwork
from neurodyn.validated.linalg import approximate_inverse, existence_and_uniqueness, spectrum_enclosure
from neurodyn.validated.proof import Proof, decimal_down, decimal_up


def _point(x, n: int, name: str) -> np.ndarray:
    x = as_tensor(x, name=name, dtype=torch.float64, device="cpu").detach()
    if x.shape != (n,):
        raise InvalidInputError(f"{name} must have shape ({n},) (one state of the {n}-dimensional system), got "
                                f"{tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise InvalidInputError(f"{name} has non-finite entries: pass a converged equilibrium (e.g. from "
                                "neurodyn.find_fixed_points)")
    return x.numpy().astype(np.float64)


def prove_equilibrium(system, x_approx, *, params: dict | None = None, backend="fast",
                      strict: bool | None = None) -> Proof:
    """Prove that ``system``'s field has exactly one zero near ``x_approx``.

    The argument is Newton–Kantorovich (the radii-polynomial form, see
    :func:`neurodyn.validated.linalg.existence_and_uniqueness`) for ``F(x) = -leak x + V tanh(W x + b) + d``
    with every quantity enclosed rigorously by the chosen interval backend, including the rounding of the
    weights at the parameter value. The proof states: the field has a unique zero ``x*`` with
    ``|x* - x_approx|_inf <= r_min`` (``radius``) and no other zero with ``|x - x_approx|_inf <= r_max``
    (``uniqueness_radius``).

    Args:
        system: a flow built by :func:`neurodyn.tanh_field` or :func:`neurodyn.tanh_family` (their structure is
            what an interval evaluation needs).
        x_approx: ``(n,)`` an approximate equilibrium (e.g. from :func:`neurodyn.find_fixed_points`).
        params: ``{name: value}`` overriding the system's parameter value.
        backend: ``"fast"`` (float64 balls, any size) or ``"arb"``/``"arb:<bits>"`` (Arb balls, the reference).
        strict: raise :class:`~neurodyn.ConvergenceError` instead of returning a proof that failed
            (default ``None``: "not proved" is an answer and is returned).

    Returns:
        a :class:`Proof` (``kind="equilibrium"``, ``conclusion="exists"`` when proved). Without ``strict``, never
        raises for a point that cannot be proven: ``proved=False`` (status "not proved") with the failing bound in
        ``reason``.
    """
    net = TanhNetwork.of(system, "prove_equilibrium", params)
    x = _point(x_approx, net.n, "x_approx")
    system.probe(torch.from_numpy(x).to(system.dtype))
    proof = _prove_equilibrium(net, x, get_backend(backend))
    return finish(proof, strict=strict, what=f"the equilibrium proof for {system.name!r}")


def _prove_equilibrium(net: TanhNetwork, x: np.ndarray, bk) -> Proof:
    t0 = time.perf_counter()
    a = bk.point(np.float64(net.value))
    F, s = net.residual_point(bk, x, net.value)
    J = net.jacobian_from(bk, net.weights(bk, a)[0], bk.from_arb(s))
    settings = {"backend": bk.spec, "param": net.param, "value": net.value, "field": net.fingerprint()}
    A = approximate_inverse(J.mid)
    if A is None:
        return _failed(x, bk, "the Jacobian at x_approx is singular (a fold or branch point?)", t0, settings)

    def jacobian_over(r):
        W, _, t = net.evaluate(bk, bk.ball(x, r), a, (1,))
        return net.jacobian_from(bk, W, t[1])

    e = existence_and_uniqueness(bk, A, F, jacobian_over, float(np.abs(x).max()))
    bounds = {"Y": (0.0, e.Y), "Z": (0.0, e.Z)}
    if net.param is not None:
        bounds[net.param] = (net.value, net.value)
    if not e.ok:
        return _failed(x, bk, e.reason, t0, settings, bounds)
    statement = (f"the field has exactly one zero within {decimal_down(e.r_max)} of the centre (max norm), and it "
                 f"lies within {decimal_up(e.r_min)} of it")
    if net.param is not None:
        statement = f"at {net.param} = {net.value!r}, " + statement
    return Proof(kind="equilibrium", proved=True, statement=statement, reason="", conclusion="exists",
                 center=torch.from_numpy(x), radius=e.r_min, uniqueness_radius=e.r_max, bounds=bounds,
                 backend=bk.spec, seconds=time.perf_counter() - t0, settings=settings)


def _failed(x, bk, reason, t0, settings, bounds=None) -> Proof:
    return Proof(kind="equilibrium", proved=False, statement="existence of a zero near the centre was not proved",
                 reason=reason, conclusion="undecided", center=torch.from_numpy(x), radius=np.inf,
                 uniqueness_radius=0.0, bounds=bounds or {}, backend=bk.spec, seconds=time.perf_counter() - t0,
                 settings=settings)


def prove_stability(system, equilibrium_proof: Proof, *, backend=None, strict: bool | None = None) -> Proof:
    """Locate every eigenvalue of the Jacobian at the proven equilibrium, rigorously.

    The Jacobian is enclosed over the whole ball ``|x - centre| <= r_min`` that holds the equilibrium, then
    diagonalised with a verified similarity (:func:`neurodyn.validated.linalg.spectrum_enclosure`): the union of
    the Gershgorin discs holds the spectrum. ``conclusion``: ``"stable"`` when every disc lies in the open left
    half-plane (the equilibrium is asymptotically stable; ``bounds["spectral_abscissa"]`` encloses the largest
    real part from above), ``"unstable"`` when a connected group of discs lies in the open right half-plane
    (with the proven number of unstable eigenvalues when every group lies on one side), else ``"undecided"``
    (``proved=False``).

    Args:
        system: the flow of ``equilibrium_proof``.
        equilibrium_proof: a proved :func:`prove_equilibrium` result.
        backend: the interval backend (default: the one of the equilibrium proof).
        strict: raise :class:`~neurodyn.ConvergenceError` when the stability stays undecided (default
            ``None``: returned).
    """
    return finish(_prove_stability(system, equilibrium_proof, backend), strict=strict,
                  what=f"the stability proof for {system.name!r}")


def _prove_stability(system, equilibrium_proof: Proof, backend) -> Proof:
    t0 = time.perf_counter()
    if not isinstance(equilibrium_proof, Proof) or equilibrium_proof.kind != "equilibrium":
        raise InvalidInputError("prove_stability needs the Proof returned by prove_equilibrium")
    if not equilibrium_proof.proved:
        raise InvalidInputError(f"the equilibrium was not proved ({equilibrium_proof.reason}): stability of an "
                                "unproven point cannot be proved")
    settings = dict(equilibrium_proof.settings)
    net = TanhNetwork.of(system, "prove_stability",
                         {settings["param"]: settings["value"]} if settings.get("param") else None)
    bk = get_backend(backend or equilibrium_proof.backend)
    x = equilibrium_proof.center.numpy()
    if len(x) != net.n or settings.get("field") != net.fingerprint():
        raise InvalidInputError(f"the equilibrium proof was made for another field ({system.name!r} has different "
                                "weights or dimension): prove the equilibrium of this system first")
    W, _, t = net.evaluate(bk, bk.ball(x, equilibrium_proof.radius), bk.point(np.float64(net.value)), (1,))
    spectrum = spectrum_enclosure(bk, net.jacobian_from(bk, W, t[1]))
    base = dict(kind="stability", center=equilibrium_proof.center, radius=equilibrium_proof.radius,
                uniqueness_radius=equilibrium_proof.uniqueness_radius, backend=bk.spec, settings=settings)
    if spectrum is None:
        return Proof(proved=False, statement="the spectrum was not enclosed", conclusion="undecided",
                     reason="the Jacobian's eigenvector matrix is too ill-conditioned to verify (a defective or "
                     "nearly defective Jacobian)", seconds=time.perf_counter() - t0, **base)
    conclusion, unstable, reason = classify(spectrum)
    abscissa = float(spectrum.real_upper().max())
    # a component of m touching discs holds m eigenvalues, a single disc possibly none: the largest real part is
    # at least the leftmost point of some component, whichever component holds it
    comp = spectrum.component
    lowest = np.full(comp.max() + 1, np.inf)
    np.minimum.at(lowest, comp, spectrum.real_lower())
    bounds = {"spectral_abscissa": (float(lowest.max()), abscissa)}
    if conclusion == "stable":
        statement = (f"the equilibrium is asymptotically stable: every eigenvalue of its Jacobian has real part "
                     f"<= {decimal_up(abscissa)}")
    elif conclusion == "unstable":
        count = f"exactly {unstable}" if unstable is not None else "at least one"
        statement = f"the equilibrium is unstable: its Jacobian has {count} eigenvalue(s) with positive real part"
    else:
        statement = "the stability of the equilibrium was not decided"
    return Proof(proved=conclusion != "undecided", statement=statement, reason=reason, conclusion=conclusion,
                 bounds=bounds, eigenvalues=spectrum.as_array(), seconds=time.perf_counter() - t0, **base)


def classify(spectrum) -> tuple[str, int | None, str]:
    """``(conclusion, number of unstable eigenvalues or None, reason)`` for a flow's spectrum enclosure."""
    right = spectrum.real_lower() > 0
    left = spectrum.real_upper() < 0
    comp = spectrum.component
    n_comp = comp.max() + 1
    comp_right = np.bincount(comp, weights=right, minlength=n_comp) == np.bincount(comp, minlength=n_comp)
    comp_left = np.bincount(comp, weights=left, minlength=n_comp) == np.bincount(comp, minlength=n_comp)
    if left.all():
        return "stable", 0, ""
    if comp_right.any():
        decided = bool((comp_right | comp_left).all())
        return "unstable", (int(comp_right[comp].sum()) if decided else None), ""
    k = int(np.argmax(spectrum.real_upper()))
    return "undecided", None, (f"a Gershgorin disc (centre {spectrum.centers[k]:.3g}, radius {spectrum.radii[k]:.3g})"
                               " meets the imaginary axis")
