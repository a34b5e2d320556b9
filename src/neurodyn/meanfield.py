"""Mean-field theory of wide random networks (Poole et al. 2016; Schoenholz et al. 2017); tanh by default,
also ``relu`` and ``erf`` through the ``activation`` argument.

For ``h[t+1] = tanh(W h[t] + b)`` with ``W_ij ~ N(0, sigma_w^2/n)`` and ``b_i ~ N(0, sigma_b^2)``, the
pre-activation variance ``q`` settles at the fixed point of

    q = sigma_w^2 E[tanh(sqrt(q) z)^2] + sigma_b^2,     z ~ N(0, 1),

and a small perturbation grows per step by ``chi1 = sigma_w^2 E[sech^4(sqrt(q*) z)]`` in squared norm,
so the maximal Lyapunov exponent is ``0.5 ln chi1`` nats per step. The expectations are computed by
Gauss–Legendre quadrature (below); tests compare them with adaptive quadrature up to ``sigma_w = 10``.

The functions take the weight and bias *variances*, keyword-only, as the literature writes them:
``chi1(sigma_w2=2.5, sigma_b2=0.05)``. The earlier form with standard deviations (``chi1(1.58, 0.22)``,
positional or ``sigma_w=``/``sigma_b=``) still works for one release with a ``DeprecationWarning``.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
from scipy.optimize import brentq

from neurodyn.errors import InvalidInputError

# Gaussian expectations by Gauss–Legendre quadrature on z in [-Z_MAX, Z_MAX] (the tail beyond carries
# e^{-Z_MAX^2/2} < 1e-36 of the mass). Gauss–Hermite would lose accuracy for large q: tanh(sqrt(q) z) has
# poles at distance pi/(2 sqrt(q)) from the real axis. With 4000 nodes the error stays below 1e-12 up to
# sigma_w ~ 30 (checked against adaptive quadrature in the tests).
Z_MAX = 13.0


@functools.cache
def _nodes() -> tuple[np.ndarray, np.ndarray]:
    """Nodes and normalised weights, computed on first use (scipy's asymptotic Legendre nodes: 0.4 s)."""
    from scipy.special import roots_legendre

    x, wl = roots_legendre(4000)
    z = Z_MAX * x
    w = wl * np.exp(-0.5 * z**2)
    return z, w / w.sum()  # exact normalisation: E[1] = 1 to the last bit


def gaussian_mean(fn, q: float) -> float:
    """``E[fn(sqrt(q) z)]`` for ``z ~ N(0, 1)``: the one-dimensional Gaussian integral of mean-field theory
    (e.g. ``q* = sigma_w^2 E[phi(sqrt(q*) z)^2] + sigma_b^2``), by Gauss-Legendre quadrature on ``[-Z_MAX, Z_MAX]``
    with the Gaussian weight normalised so that ``E[1] = 1`` exactly. ``fn`` is applied to a numpy array.

    See also: :func:`gaussian_mean2` (two correlated variables)."""
    z, w = _nodes()
    return float(np.sum(w * fn(math.sqrt(q) * z)))


def _check(sigma_w: float, sigma_b: float, names: str = "sigma_w and sigma_b") -> tuple[float, float]:
    try:
        sw, sb = float(sigma_w), float(sigma_b)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{names} must be numbers, got {sigma_w!r}, {sigma_b!r}") from None
    if not (math.isfinite(sw) and math.isfinite(sb) and sw >= 0 and sb >= 0):
        raise InvalidInputError(f"{names} must be finite and >= 0, got {sigma_w!r}, {sigma_b!r}")
    return sw, sb


def _variances(fn: str, args: tuple, sigma_w2, sigma_b2, activation, old: dict) -> tuple[float, float, str]:
    """``(sigma_w^2, sigma_b^2, activation)`` from the keyword-only variances, or from the deprecated form
    ``fn(sigma_w, sigma_b=0, activation="tanh")`` in standard deviations (with a DeprecationWarning)."""
    unknown = set(old) - {"sigma_w", "sigma_b"}
    if unknown:
        raise InvalidInputError(f"{fn}() got unexpected argument(s) {sorted(unknown)}; it takes sigma_w2=, "
                                "sigma_b2= (variances) and activation=")
    if args or old:
        if sigma_w2 is not None or sigma_b2 not in (None, 0, 0.0) or len(args) > 3:
            raise InvalidInputError(f"{fn}() takes the variances as keywords only: {fn}(sigma_w2=..., "
                                    "sigma_b2=...)")
        warnings.warn(f"{fn}(sigma_w, sigma_b) with standard deviations is deprecated: pass the variances as "
                      f"keywords, {fn}(sigma_w2=sigma_w**2, sigma_b2=sigma_b**2)", DeprecationWarning, stacklevel=3)
        std = dict(zip(("sigma_w", "sigma_b", "activation")[:len(args)], args, strict=True), **old)
        if "sigma_w" not in std:
            raise InvalidInputError(f"{fn}() needs sigma_w2= (the weight variance)")
        sw, sb = _check(std["sigma_w"], std.get("sigma_b", 0.0))
        return sw * sw, sb * sb, std.get("activation", activation)
    if sigma_w2 is None:
        raise InvalidInputError(f"{fn}() needs sigma_w2= (the weight variance, e.g. 2.5)")
    sw2, sb2 = _check(sigma_w2, sigma_b2, "sigma_w2 and sigma_b2")
    return sw2, sb2, activation


# activation: (phi, phi', phi'') as numpy functions
def _sech2(a):
    return np.cosh(np.minimum(np.abs(a), 350.0)) ** -2


ACTIVATIONS = {
    "tanh": (np.tanh, _sech2, lambda a: -2 * np.tanh(a) * _sech2(a)),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float), lambda a: 0.0 * a),
    "erf": (lambda a: _erf(a), lambda a: 2 / math.sqrt(math.pi) * np.exp(-a * a),
            lambda a: -4 * a / math.sqrt(math.pi) * np.exp(-a * a)),
}


def _erf(a):
    from scipy.special import erf

    return erf(a)


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise InvalidInputError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


def q_star(*args, sigma_w2: float | None = None, sigma_b2: float = 0.0, activation: str = "tanh",
           **old) -> float:
    """The fixed-point pre-activation variance ``q*`` of a wide random network (0 when it is stable at 0,
    e.g. ``tanh``/``erf`` with ``sigma_b = 0`` and ``chi1(0) <= 1``; ``inf`` for ``relu`` with
    ``sigma_w^2 >= 2``, where the variance grows without bound).

    Solved as the root of ``sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2 - q`` with Brent's method to ``1e-15``
    relative (no slow fixed-point iteration near the transition); ``relu`` in closed form,
    ``q* = sigma_b^2 / (1 - sigma_w^2 / 2)``.

    Args:
        sigma_w2: the weight variance (``W_ij ~ N(0, sigma_w2 / n)``); sigma_b2: the bias variance.
        activation: ``"tanh"``, ``"relu"`` or ``"erf"``.
    """
    return _q_star(*_variances("q_star", args, sigma_w2, sigma_b2, activation, old))


def _q_star(sw2: float, sb2: float, activation: str) -> float:
    phi, dphi, _ = _activation(activation)
    if activation == "relu":
        return sb2 / (1 - sw2 / 2) if sw2 < 2 else (0.0 if sb2 == 0 and sw2 == 2 else math.inf)
    if sb2 == 0 and sw2 * float(dphi(np.zeros(1))[0]) ** 2 <= 1:
        return 0.0

    def residual(q):
        return sw2 * gaussian_mean(lambda a: phi(a) ** 2, q) + sb2 - q

    lo, hi = (sb2 if sb2 > 0 else 1e-300), sw2 * _sup_phi2(activation) + sb2
    if residual(lo) <= 0:  # sigma_b > 0 with a vanishing sigma_w: the root is at sigma_b^2 itself
        return lo
    # for sigma_b = 0 past the transition the origin is a repelling root: bracket away from it
    if sb2 == 0:
        lo = hi
        while residual(lo) <= 0:
            lo /= 2
    return float(brentq(residual, lo, hi, xtol=1e-300, rtol=1e-15, maxiter=500))


def _sup_phi2(activation: str) -> float:
    """``sup phi^2`` of a bounded activation (brackets ``q*``)."""
    return 1.0


def chi1(*args, sigma_w2: float | None = None, sigma_b2: float = 0.0, activation: str = "tanh", **old) -> float:
    """``chi1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]``: the mean squared-norm growth of a perturbation per
    layer/step (Poole et al. 2016). ``chi1 = 1`` is the order-to-chaos transition; ``chi1 = sigma_w^2`` for
    ``tanh`` with ``sigma_b = 0`` and ``sigma_w^2 <= 1``, ``sigma_w^2 / 2`` for ``relu``.

    Args:
        sigma_w2: the weight variance (``W_ij ~ N(0, sigma_w2 / n)``), e.g. ``chi1(sigma_w2=2.5, sigma_b2=0.05)``.
        sigma_b2: the bias variance. activation: ``"tanh"``, ``"relu"`` or ``"erf"``.

    See also: :func:`q_star`, :func:`critical_sigma_w2`, :func:`depth_scales`.
    """
    return _chi1(*_variances("chi1", args, sigma_w2, sigma_b2, activation, old))


def _chi1(sw2: float, sb2: float, activation: str) -> float:
    _, dphi, _ = _activation(activation)
    if activation == "relu":
        return sw2 / 2
    return sw2 * gaussian_mean(lambda a: dphi(a) ** 2, _q_star(sw2, sb2, activation))


def critical_sigma_w2(*, sigma_b2: float = 0.0, activation: str = "tanh") -> float:
    """The weight variance ``sigma_w^2`` on the order-to-chaos line ``chi1 = 1`` at bias variance ``sigma_b2``
    (e.g. 1 for ``tanh`` at ``sigma_b2 = 0``, 1.7610 at ``sigma_b2 = 0.05``; 2 for ``relu``), by Brent's method
    on ``sigma_w``."""
    _, sb2 = _check(1.0, sigma_b2, "sigma_b2")
    return _critical_sigma_w(math.sqrt(sb2), activation) ** 2


def critical_sigma_w(sigma_b: float = 0.0, activation: str = "tanh") -> float:
    """Deprecated: the critical weight *standard deviation* at bias standard deviation ``sigma_b``; use
    :func:`critical_sigma_w2` (variances)."""
    warnings.warn("critical_sigma_w(sigma_b) with standard deviations is deprecated: use "
                  "critical_sigma_w2(sigma_b2=sigma_b**2), which returns the variance", DeprecationWarning,
                  stacklevel=2)
    _, sb = _check(1.0, sigma_b)
    return _critical_sigma_w(sb, activation)


def _critical_sigma_w(sb: float, activation: str) -> float:
    if activation == "relu":
        return math.sqrt(2.0)
    _activation(activation)
    lo, hi = 1e-3, 2.0
    while _chi1(hi * hi, sb * sb, activation) < 1:
        hi *= 2
        if hi > 1e4:
            raise InvalidInputError(f"no order-to-chaos transition below sigma_w = 1e4 at sigma_b = {sb}")
    return float(brentq(lambda w: _chi1(w * w, sb * sb, activation) - 1, lo, hi, xtol=1e-14, rtol=1e-13))


@functools.cache
def _nodes_2d(m: int = 600) -> tuple[np.ndarray, np.ndarray]:
    x, wl = np.polynomial.legendre.leggauss(m)
    z = 10.0 * x
    w = wl * np.exp(-0.5 * z**2)
    return z, w / w.sum()


def gaussian_mean2(fn, q: float, c: float) -> float:
    """``E[fn(u1, u2)]`` for ``u1 = sqrt(q) z1``, ``u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2)``, ``z1, z2 ~ N(0, 1)``
    independent: two pre-activations of variance ``q`` and correlation ``c`` (the correlation map of mean-field
    theory), by a 600 x 600 tensor Gauss-Legendre rule on ``[-10, 10]^2``. ``fn`` is applied to numpy arrays
    broadcast as ``(600, 1)`` and ``(1, 600)``.

    See also: :func:`gaussian_mean`."""
    z, w = _nodes_2d()
    z1, z2 = z[:, None], z[None, :]
    u1 = math.sqrt(q) * z1
    u2 = math.sqrt(q) * (c * z1 + math.sqrt(max(1 - c * c, 0.0)) * z2)
    return float(np.sum(w[:, None] * w[None, :] * fn(u1, u2)))


def depth_scales(*args, sigma_w2: float | None = None, sigma_b2: float = 0.0, activation: str = "tanh",
                 **old) -> dict:
    """Depth scales of signal propagation (Schoenholz et al. 2017, ICLR): how many layers a wide random network
    keeps information about the length (``xi_q``) and the correlation (``xi_c``) of its inputs.

    ``xi_q^{-1} = -ln(chi1 + sigma_w^2 E[phi''(u) phi(u)])`` at ``q*``, and ``xi_c^{-1} = -ln chi_c`` with
    ``chi_c = sigma_w^2 E[phi'(u1) phi'(u2)]`` at the correlation fixed point ``c*`` of
    ``c -> (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / q*`` (``c* = 1`` in the ordered phase, where
    ``chi_c = chi1``). ``xi_c`` diverges on the critical line: trainable depth is ~ 6 ``xi_c`` there. Where
    ``q* = 0`` (no bias, ordered) the network is linear on small signals, every correlation is a fixed point
    (``c* = nan``) and ``xi_c`` is infinite. Within ~1e-7 of the critical line on the chaotic side ``c*`` is
    limited by quadrature rounding (``1 - c*`` below ~1e-8 is not resolved).

    Args:
        sigma_w2, sigma_b2: the weight and bias variances (keywords); activation: ``"tanh"``, ``"relu"``, ``"erf"``.

    Returns:
        ``{"q_star", "c_star", "chi1", "chi_c", "xi_q", "xi_c"}`` (depths in layers; ``inf`` where a rate is 1).
    """
    sw2, sb2, activation = _variances("depth_scales", args, sigma_w2, sigma_b2, activation, old)
    phi, dphi, d2phi = _activation(activation)
    q = _q_star(sw2, sb2, activation)
    c1 = _chi1(sw2, sb2, activation)
    if not math.isfinite(q) or q == 0:
        # q* = 0 (or a variance growing without bound): the network acts linearly (or scale-free) on its inputs,
        # so correlations are carried unchanged and xi_c is infinite; q relaxes at the rate chi1 (if it settles)
        return dict(q_star=q, c_star=math.nan, chi1=c1, chi_c=1.0, xi_q=_xi(c1) if q == 0 else math.inf,
                    xi_c=math.inf)
    rate_q = c1 + sw2 * gaussian_mean(lambda a: d2phi(a) * phi(a), q)

    def cmap(c):
        return (sw2 * gaussian_mean2(lambda a, b: phi(a) * phi(b), q, c) + sb2) / q

    c_star = 1.0
    if c1 > 1 + 1e-12:  # chaotic: the c = 1 fixed point repels; the stable one lies inside (-1, 1)
        # (c = -1 is a repelling fixed point too when sigma_b = 0 and phi is odd: keep the bracket off both ends)
        c_star = float(brentq(lambda c: cmap(c) - c, -1 + 1e-9, 1 - 1e-9, xtol=1e-13))
    chi_c = c1 if c_star == 1.0 else sw2 * gaussian_mean2(lambda a, b: dphi(a) * dphi(b), q, c_star)
    return dict(q_star=q, c_star=c_star, chi1=c1, chi_c=chi_c, xi_q=_xi(rate_q), xi_c=_xi(chi_c))


def _xi(rate: float) -> float:
    """``-1/ln(rate)`` layers: 0 for an instant reset (rate 0), infinite at and beyond rate 1."""
    if rate <= 0:
        return 0.0
    return -1 / math.log(rate) if rate < 1 else math.inf


def phase_diagram(ax=None, *, activation: str = "tanh", sigma_w2_max: float = 4.0, sigma_b2_max: float = 0.3,
                  measured=None, resolution: int = 40):
    """The order/chaos phase diagram over ``(sigma_w^2, sigma_b^2)``: ``ln chi1`` in colour (the mean-field
    per-layer exponent is half of it), the critical line ``chi1 = 1``, and optionally ``measured`` points
    ``[(sigma_w, sigma_b, exponent), ...]`` (e.g. from :func:`neurodyn.training.depth_lyapunov`) coloured on the
    same scale as ``2 * exponent``. Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    w2 = np.linspace(0.05, sigma_w2_max, resolution)
    b2 = np.linspace(0.0, sigma_b2_max, resolution)
    grid = np.array([[math.log(_chi1(a, b, activation)) for a in w2] for b in b2])
    lim = float(np.abs(grid).max())
    art = ax.pcolormesh(w2, b2, grid, cmap="coolwarm", vmin=-lim, vmax=lim, shading="auto")
    ax.figure.colorbar(art, ax=ax, label="ln χ1 (= 2 × per-layer exponent)")
    crit = [critical_sigma_w2(sigma_b2=b, activation=activation) for b in b2]
    ax.plot(crit, b2, color="k", lw=1.5, label="χ1 = 1 (edge of chaos)")
    if measured:
        m = np.asarray(measured, dtype=float)
        ax.scatter(m[:, 0] ** 2, m[:, 1] ** 2, c=2 * m[:, 2], cmap="coolwarm", vmin=-lim, vmax=lim,
                   edgecolors="k", s=40, label="measured")
    ax.set_xlim(w2[0], w2[-1])
    ax.set_xlabel("σ_w²")
    ax.set_ylabel("σ_b²")
    ax.text(0.05, 0.9, "ordered", transform=ax.transAxes)
    ax.text(0.8, 0.1, "chaotic", transform=ax.transAxes)
    ax.set_title(f"Mean-field phase diagram ({activation})", fontsize=10)
    ax.legend(loc="upper center", fontsize=8)
    return ax


def rnn_max_lyapunov(g: float, sigma_b: float = 0.0) -> float:
    """Mean-field maximal Lyapunov exponent ``0.5 ln chi1`` (nats/step) of ``h[t+1] = tanh(W h[t] + b)``
    with ``W_ij ~ N(0, g^2/n)`` in the limit of large ``n`` (e.g. 0.1547 at ``g = 2``; ``ln g`` for
    ``g <= 1`` without bias; ``-inf`` at ``g = 0``)."""
    g, sigma_b = _check(g, sigma_b, "g and sigma_b")
    c = _chi1(g * g, sigma_b * sigma_b, "tanh")
    return 0.5 * math.log(c) if c > 0 else float("-inf")
