"""Floquet multipliers from segment enclosures: :func:`monodromy_spectrum` encloses the eigenvalues of every
product ``J_m ... J_1`` of interval matrices without forming the (wrapped) interval product."""

from __future__ import annotations

import numpy as np
from flint import acb, arb, ctx

from neurodyn.errors import InvalidInputError, NonFiniteError
from neurodyn.validated.arb import float_down, float_up
from neurodyn.validated.backend import FastBackend
from neurodyn.validated.balls import Ball, sum_upper, upper
from neurodyn.validated.ivec import FastIV
from neurodyn.validated.linalg import Spectrum, approximate_inverse, spectrum_enclosure


def real_eigenbasis(M: np.ndarray) -> np.ndarray | None:
    """A real basis from the float eigenvectors of ``M``: a real eigenvector as it is, a complex pair
    ``v, conj(v)`` as the columns ``Re v, Im v`` (``M`` then acts on their span by a 2 x 2 block). ``None`` when
    the eigen-decomposition is not finite."""
    lam, V = np.linalg.eig(M)
    if not (np.all(np.isfinite(lam)) and np.all(np.isfinite(V))):
        return None
    S, j = np.empty(M.shape), 0
    while j < len(lam):
        if lam[j].imag != 0 and j + 1 < len(lam):  # LAPACK returns a conjugate pair as neighbours
            S[:, j], S[:, j + 1] = V[:, j].real, V[:, j].imag
            j += 2
        else:
            S[:, j] = V[:, j].real
            j += 1
    return S


def verified_inverse(S: np.ndarray) -> FastIV | None:
    """An interval matrix holding ``S^{-1}``: with ``R ~ S^{-1}`` and ``delta >= ||I - R S||_inf < 1`` (interval
    product), ``||S^{-1} - R||_inf <= delta / (1 - delta) ||R||_inf`` bounds every entry of ``S^{-1} - R``.
    ``None`` when ``S`` is numerically singular (``delta >= 1``)."""
    R = approximate_inverse(S)
    if R is None:
        return None
    n = len(S)
    E = np.eye(n) - FastIV(R, np.zeros_like(R)) @ S
    delta = float(np.max(sum_upper(E.abs_upper(), axis=1)))
    if not delta < 0.5:
        return None
    norm_R = float(np.max(sum_upper(np.abs(R), axis=1)))
    eps = float(upper(np.array(2.0 * delta * norm_R), 3))  # delta / (1 - delta) <= 2 delta for delta < 1/2
    return FastIV(R, np.full(R.shape, eps))


def transported_product(mid: np.ndarray, rad: np.ndarray) -> FastIV | None:
    """An interval matrix holding ``S_0^{-1} J_m ... J_1 S_0`` for every ``J_i`` in ``[mid_i ± rad_i]``.

    ``S_0`` is the real eigenbasis (:func:`real_eigenbasis`) of the float product; it is carried along the
    segments, ``S_i = mid_i S_{i-1}`` (columns normalised, ``S_m = S_0``), and the product is taken of the
    near-(block-)diagonal factors ``B_i = S_i^{-1} J_i S_{i-1}`` (verified inverses): the identity
    ``S_0^{-1} J_m ... J_1 S_0 = B_m ... B_1`` keeps the large, non-normal entries of ``J_i`` out of the interval
    products, so the wrapping that inflates an interval product of the ``J_i`` (or a similarity transform of it)
    does not arise — the idea of Lohner's method applied to the monodromy matrix. ``None`` when a basis is
    numerically singular (a defective or nearly defective product)."""
    M = mid[0]
    for J in mid[1:]:
        M = J @ M
    S0 = real_eigenbasis(M)
    if S0 is None:
        return None
    bases = [S0]
    for J in mid[:-1]:
        P = J @ bases[-1]
        bases.append(P / np.linalg.norm(P, axis=0))
    bases.append(S0)
    C = None
    for i in range(len(mid)):
        if not np.all(np.isfinite(bases[i + 1])):
            return None
        inverse = verified_inverse(bases[i + 1])
        if inverse is None:
            return None
        B = inverse @ (FastIV(mid[i], rad[i]) @ bases[i])
        C = B if C is None else B @ C
    return C if bool(np.all(C.finite())) else None


def monodromy_spectrum(mid, rad) -> Spectrum | None:
    """Gershgorin discs holding every eigenvalue of every product ``J_m ... J_1``, ``J_i`` in ``[mid_i ± rad_i]``.

    The product is enclosed in a transported eigenbasis (:func:`transported_product`), whose enclosure is close to
    block-diagonal, and the discs are those of :func:`neurodyn.validated.linalg.spectrum_enclosure` for it (the
    eigenvalues are those of the product: a similarity). For the monodromy matrix of a periodic orbit from
    segment enclosures ``D phi_{T/m}`` this resolves multipliers that discs of the interval product (or of one
    enclosure over the whole period) cannot: the widths stay near those of the segments.

    Args:
        mid, rad: arrays ``(m, n, n)`` (or ``(n, n)`` for one factor): the midpoints and radii of ``J_1 .. J_m``
            in the order they act.

    Returns:
        A :class:`~neurodyn.validated.linalg.Spectrum` (a component of ``k`` discs holds exactly ``k``
        eigenvalues), or ``None`` when the product is nearly defective (no reliable eigenbasis).

    See also:
        :func:`neurodyn.prove_periodic_orbit`.
    """
    mid, rad = np.asarray(mid, dtype=np.float64), np.asarray(rad, dtype=np.float64)
    if not (np.all(np.isfinite(mid)) and np.all(np.isfinite(rad))):
        raise NonFiniteError("monodromy_spectrum: mid and rad must be finite (an enclosure that overflowed "
                             "proves nothing)")
    if mid.ndim == 2:
        mid, rad = mid[None], rad[None]
    if mid.ndim != 3 or mid.shape[1] != mid.shape[2] or rad.shape != mid.shape or np.any(rad < 0):
        raise InvalidInputError(f"monodromy_spectrum needs mid and rad of one shape (m, n, n) with rad >= 0; got "
                                f"{mid.shape} and {rad.shape}")
    C = transported_product(mid, rad)
    if C is None:
        return None
    return spectrum_enclosure(FastBackend(), Ball(C.mid, C.rad))


def modulus_bounds(spec: Spectrum) -> tuple[np.ndarray, np.ndarray]:
    """Certain bounds ``lower[k] <= |mu| <= upper[k]`` for the eigenvalues counted by disc ``k``.

    A disc that is a component of its own holds exactly one eigenvalue, whose modulus lies in ``|c_k| ± r_k``.
    A component of several discs holds as many eigenvalues, but not one in each disc: each of them is only known
    to lie in the union, so every disc of such a component gets the component's whole range of moduli. Computed
    in Arb and rounded outwards; lower bounds are clipped at 0.
    """
    n = len(spec.centers)
    with ctx.workprec(80):
        moduli = [abs(acb(float(c.real), float(c.imag))) for c in spec.centers]
        low = np.array([max(float_down(moduli[k] - arb(float(spec.radii[k]))), 0.0) for k in range(n)])
        high = np.array([float_up(moduli[k] + arb(float(spec.radii[k]))) for k in range(n)])
    lower, upper_ = low.copy(), high.copy()
    for c in np.unique(spec.component):
        members = spec.component == c
        lower[members], upper_[members] = low[members].min(), high[members].max()
    return lower, upper_
