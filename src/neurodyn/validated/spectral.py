"""Verified solves of shifted systems ``(J' - s') y = b'`` from a verified diagonalisation of the interval matrix
``J`` (:func:`spectral_solve`): ``O(n^2)`` work once the spectrum is enclosed, against a dense approximate
inverse and its defect product (``O(n^3)``) for :func:`neurodyn.validated.linalg.verified_solve`.

Norms: complex vectors and matrices are measured in their real forms, ``|v| = max_k max(|Re v_k|, |Im v_k|)`` and
the induced ``|M| = max_k sum_j (|Re M_kj| + |Im M_kj|)``, the norms :class:`~neurodyn.validated.linalg.Spectrum`'s
radii and ``delta`` are stated in.
"""

from __future__ import annotations

import numpy as np
from flint import arb, ctx

from neurodyn.validated.arb import float_up
from neurodyn.validated.balls import Ball, upper


def spectral_solve(J: Ball, spectrum, basis, s: complex, b_re: Ball, b_im: Ball | None = None,
                   s_rad: float = 0.0) -> tuple[Ball, Ball] | None:
    """Enclosures ``(Re y, Im y)`` of every solution of ``(J' - s') y = b'`` over the members ``J'`` of the ball
    matrix ``J``, the shifts with ``|Re(s' - s)| + |Im(s' - s)| <= s_rad`` and ``b' = b_re + i b_im`` (ball vectors,
    or matrices whose columns are right-hand sides), or None when the shift is not provably off the spectrum.

    ``spectrum`` (from :func:`~neurodyn.validated.linalg.spectrum_enclosure` of ``J`` in ``basis``) says that
    ``C' = X^{-1} J' X = diag(c) + E'`` with row ``k`` of ``E'`` of norm at most ``radii[k]``, and ``delta >=
    |I - R X|``. With ``D = diag(c - s)`` (``g_k = |D_k^{-1}|``, a 2x2 block in real form: ``(|a| + |b|) / (a^2 +
    b^2)`` for ``c_k - s = a + i b``), ``C' - s' = D + E' - (s' - s) I`` and ``theta = max_k g_k (radii[k] + s_rad)
    < 1`` give ``|(C' - s')^{-1}| <= max_k g_k / (1 - theta)`` (a Neumann series). For the float solution ``ỹ = X
    (c - s)^{-1} R b`` and an enclosure ``res`` of ``b' - (J' - s') ỹ``, ``y - ỹ = X (C' - s')^{-1} X^{-1} res``
    and ``|X^{-1} res| = |(R X)^{-1} R res| <= |R res| / (1 - delta)``, so every component of ``y - ỹ`` is at most
    ``|X| max_k g_k / (1 - theta) |R| |res| / (1 - delta)``, column by column. As ``g_k <= sqrt(2) / |c_k - s|``,
    ``theta < 1`` holds whenever ``|c_k - s| > sqrt(2) (radii[k] + s_rad)`` for every ``k``, e.g. for shifts on the
    imaginary axis when the only discs meeting it are the small ones of a critical pair ``±i omega`` and ``s = 0``
    or ``2 i omega``.
    """
    if spectrum.X is not basis.X:
        raise ValueError("the spectrum must be the one enclosed in this basis")
    X, R = basis.X, basis.R
    n = len(X)
    c = spectrum.centers
    if not spectrum.delta < 1:
        return None
    b_mid = b_re.mid + (0.0 if b_im is None else 1j * b_im.mid)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 1.0 / (c - s)
    if not np.all(np.isfinite(scale)):
        return None
    y = X @ ((scale[:, None] if b_mid.ndim == 2 else scale) * (R @ b_mid))
    y_re, y_im = np.ascontiguousarray(y.real), np.ascontiguousarray(y.imag)
    # res = b' - (J' - s') ỹ: J' ỹ over the ball J, s ỹ and b as balls; the shift's spread |s' - s| |ỹ| added below
    sy_re = Ball(y_re) * s.real - Ball(y_im) * s.imag
    sy_im = Ball(y_im) * s.real + Ball(y_re) * s.imag
    res_re = b_re - (J @ y_re - sy_re)
    res_im = (-(J @ y_im - sy_im)) if b_im is None else b_im - (J @ y_im - sy_im)
    spread = upper(s_rad * upper(np.abs(y_re) + np.abs(y_im), 1), 1)
    abs_re = upper(res_re.abs_upper() + spread, 1)
    abs_im = upper(res_im.abs_upper() + spread, 1)
    absRr, absRi = basis.abs_parts
    R_res = upper(np.maximum(absRr @ abs_re + absRi @ abs_im, absRi @ abs_re + absRr @ abs_im), 2 * n + 1)
    R_res = R_res.max(axis=0)  # one bound per column
    # g_k = |(c_k - s)^{-1}| in real form, from enclosures of a + i b = c_k - s
    a, b = Ball(c.real) - s.real, Ball(c.imag) - s.imag
    den = (a * a + b * b).lower()
    if not np.all(den > 0):
        return None
    g = upper(upper(a.abs_upper() + b.abs_upper(), 1) / den, 1)
    theta = float(np.max(upper(g * upper(spectrum.radii + s_rad, 1), 1)))
    norm_X = float(np.max(basis.abs_X_rows))
    with ctx.workprec(128):
        if not theta < 1:
            return None
        factor = arb(norm_X) * arb(float(np.max(g))) / ((1 - arb(theta)) * (1 - arb(spectrum.delta)))
        err = np.array([float_up(factor * arb(float(r))) for r in np.atleast_1d(R_res)])
    err = np.broadcast_to(err if y_re.ndim == 2 else err[0], y_re.shape)
    return Ball(y_re, err), Ball(y_im, err)
