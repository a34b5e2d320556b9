"""Reference systems with published answers, used by tests, benchmarks and examples.

Each is a :class:`Map` or :class:`Flow` with its parameters as named tensors (so continuation and
parameter sweeps can vary them), an analytic Jacobian, and a sampler of typical initial states.

Published Lyapunov exponents (nats per step / per unit time), e.g. Sprott, *Chaos and Time-Series
Analysis* (2003), Table of exponents:

=================  ======================================
logistic, r = 4    ln 2 = 0.693147
Hénon (1.4, 0.3)   0.41922, -1.62319 (sum ln 0.3)
Lorenz (10,28,8/3) 0.9056, 0, -14.5723 (sum -13.6667)
=================  ======================================
"""

from __future__ import annotations

import math

import torch

from neurodyn._checks import positive_float, positive_int
from neurodyn.systems.fields import tanh_family, tanh_field
from neurodyn.systems.protocol import Flow, Map


def logistic(r: float = 4.0) -> Map:
    """The logistic map ``x[t+1] = r x (1 - x)`` on ``[0, 1]`` (1-D). At ``r = 4`` the exponent is ``ln 2``."""

    def step(x, u, p):
        return p["r"] * x * (1 - x)

    def jacobian(x, u, p):
        return (p["r"] * (1 - 2 * x)).unsqueeze(-1)

    def sample(batch, gen):
        return 0.05 + 0.9 * torch.rand(batch, 1, generator=gen, dtype=torch.float64)

    return Map(step, 1, jacobian=jacobian, params={"r": r}, name=f"logistic(r={r:g})", sample_state=sample)


def henon(a: float = 1.4, b: float = 0.3) -> Map:
    """The Hénon map ``(x, y) -> (1 - a x^2 + y, b x)``; ``|det J| = |b|``, so the exponents sum to ``ln|b|``."""

    def step(x, u, p):
        X, Y = x[..., 0], x[..., 1]
        return torch.stack((1 - p["a"] * X * X + Y, p["b"] * X), dim=-1)

    def jacobian(x, u, p):
        X = x[..., 0]
        row0 = torch.stack((-2 * p["a"] * X, torch.ones_like(X)), dim=-1)
        row1 = torch.stack((p["b"].expand_as(X), torch.zeros_like(X)), dim=-1)
        return torch.stack((row0, row1), dim=-2)

    def sample(batch, gen):  # near the origin, inside the attractor's basin for the classic parameters
        return 0.1 * torch.rand(batch, 2, generator=gen, dtype=torch.float64)

    return Map(step, 2, jacobian=jacobian, params={"a": a, "b": b}, name=f"henon(a={a:g}, b={b:g})",
               sample_state=sample)


def lorenz(sigma: float = 10.0, rho: float = 28.0, beta: float = 8.0 / 3.0) -> Flow:
    """The Lorenz system ``x' = sigma (y - x), y' = x (rho - z) - y, z' = x y - beta z``.

    ``trace J = -(sigma + 1 + beta)`` everywhere, so the exponents sum to that value.
    """

    def field(t, x, p):
        X, Y, Z = x.unbind(-1)
        return torch.stack((p["sigma"] * (Y - X), X * (p["rho"] - Z) - Y, X * Y - p["beta"] * Z), dim=-1)

    def jacobian(t, x, p):
        X, Y, Z = x.unbind(-1)
        one, zero = torch.ones_like(X), torch.zeros_like(X)
        s, b = p["sigma"] * one, p["beta"] * one
        rows = (
            torch.stack((-s, s, zero), -1),
            torch.stack((p["rho"] - Z, -one, -X), -1),
            torch.stack((Y, X, -b), -1),
        )
        return torch.stack(rows, dim=-2)

    def sample(batch, gen):  # around the attractor; use a transient to settle on it
        centre = torch.tensor([1.0, 1.0, 20.0], dtype=torch.float64)
        return centre + 5 * torch.randn(batch, 3, generator=gen, dtype=torch.float64)

    return Flow(field, 3, jacobian=jacobian, params={"sigma": sigma, "rho": rho, "beta": beta},
                name=f"lorenz(sigma={sigma:g}, rho={rho:g}, beta={beta:.4g})", sample_state=sample)


def random_tanh_rnn(n: int, g: float, seed: int = 0) -> Map:
    """The random network ``h[t+1] = tanh(g W0 h[t])``, ``W0_ij ~ N(0, 1/n)`` (so ``W = g W0 ~ N(0, g^2/n)``).

    ``g`` is a parameter (``params["g"]``); ``W0`` is drawn from ``torch.Generator().manual_seed(seed)``.
    For large ``n`` its maximal exponent follows mean-field theory,
    :func:`neurodyn.meanfield.rnn_max_lyapunov` (e.g. 0.1547 at ``g = 2``).
    """
    n = positive_int(n, name="n")
    positive_float(g, name="g")
    gen = torch.Generator().manual_seed(seed)
    W0 = torch.randn(n, n, generator=gen, dtype=torch.float64) / n**0.5

    def step(h, u, p):
        return torch.tanh(h @ (p["g"] * W0).T)

    def jacobian(h, u, p):
        Wg = p["g"] * W0
        d = 1 - torch.tanh(h @ Wg.T) ** 2
        return d.unsqueeze(-1) * Wg

    def sample(batch, gen_):
        return torch.randn(batch, n, generator=gen_, dtype=torch.float64)

    return Map(step, n, jacobian=jacobian, params={"g": g}, name=f"random_tanh_rnn(n={n}, g={g:g}, seed={seed})",
               sample_state=sample)


def random_tanh_family(n: int, seed: int = 0) -> Flow:
    """The family ``dx/dt = tanh((A + alpha I) x)``, ``A = randn(n, n) / sqrt(n)`` from
    ``torch.Generator().manual_seed(seed)`` (float64; ``A`` is ``system.tanh_form.W``): ``x = 0`` has a Hopf point
    at ``alpha = -Re lambda`` for each complex pair ``lambda`` of ``A`` (the reference family of ``neurodyn
    bifurcation`` and ``neurodyn prove``)."""
    A = torch.randn(n, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) / math.sqrt(n)
    return tanh_family(A, name=f"tanh((A + alpha I) x), n = {n}, seed {seed}")


def leaky_rotation(omega: float) -> Flow:
    """The planar family ``dx/dt = -x + tanh(((1 + alpha) I + omega J) x)``, ``J`` the rotation by 90 degrees: a
    supercritical Hopf point at ``alpha = 0`` with frequency ``omega``."""
    M = torch.tensor([[1.0, -omega], [omega, 1.0]], dtype=torch.float64)
    return tanh_family(M, leak=1.0, name=f"-x + tanh(((1 + alpha) I + {omega:g} J) x)")


def random_tanh_field(n: int, *, gain: float, bias: float, seed: int = 0) -> Flow:
    """The network ``dx/dt = -x + tanh(W x + b)``, ``W = gain randn(n, n) / sqrt(n)``, ``b = bias randn(n)``, both
    drawn in that order from ``torch.Generator().manual_seed(seed)`` (float64; ``W``, ``b`` are
    ``system.tanh_form.W``, ``.b``)."""
    gen = torch.Generator().manual_seed(seed)
    W = gain * torch.randn(n, n, generator=gen, dtype=torch.float64) / math.sqrt(n)
    b = bias * torch.randn(n, generator=gen, dtype=torch.float64)
    return tanh_field(W, b, leak=1.0, name=f"-x + tanh(W x + b), n = {n}, gain {gain:g}, seed {seed}")


REFERENCE_SYSTEMS = {
    "logistic": logistic,
    "henon": henon,
    "lorenz": lorenz,
    "random-tanh-rnn": random_tanh_rnn,
}


def davis_skodje(gamma: float = 10.0) -> Flow:
    """The Davis–Skodje system ``y1' = -y1``, ``y2' = -gamma y2 + ((gamma - 1) y1 + gamma y1^2) / (1 + y1)^2``.

    For ``gamma > 1`` it has the exact slow invariant manifold ``y2 = y1 / (1 + y1)``, attracting at the rate
    ``gamma`` while the motion along it has rate 1, so ``eps = 1/gamma`` (Davis & Skodje, J. Chem. Phys. 111,
    859 (1999)); the standard test of slow-manifold methods. ``gamma`` is a parameter (``params["gamma"]``);
    the field is defined for ``y1 > -1``. The Jacobian is analytic:
    ``[[-1, 0], [((gamma - 1) + (gamma + 1) y1) / (1 + y1)^3, -gamma]]``.
    """
    positive_float(gamma, name="gamma")

    def field(t, x, p):
        y1, y2 = x.unbind(-1)
        g = p["gamma"]
        return torch.stack((-y1, -g * y2 + ((g - 1) * y1 + g * y1 * y1) / (1 + y1) ** 2), dim=-1)

    def jacobian(t, x, p):
        y1 = x[..., 0]
        g = p["gamma"]
        one, zero = torch.ones_like(y1), torch.zeros_like(y1)
        rows = (torch.stack((-one, zero), -1),
                torch.stack((((g - 1) + (g + 1) * y1) / (1 + y1) ** 3, -g * one), -1))
        return torch.stack(rows, dim=-2)

    def sample(batch, gen):  # y1 in [0.1, 2], y2 in [0, 1]: on both sides of the slow manifold
        u = torch.rand(batch, 2, generator=gen, dtype=torch.float64)
        return torch.stack((0.1 + 1.9 * u[:, 0], u[:, 1]), dim=-1)

    return Flow(field, 2, jacobian=jacobian, params={"gamma": gamma}, name=f"davis_skodje(gamma={gamma:g})",
                sample_state=sample)


def planted_tanh(n: int = 200, n_slow: int = 20, eps: float = 0.01, seed: int = 0) -> Flow:
    """A tanh network with planted time scales: ``dx/dt = -x + tanh(W x + b)`` whose last ``n - n_slow`` units
    form a block of ``W`` scaled by ``1/eps``.

    With ``G`` standard normal matrices drawn from ``torch.Generator().manual_seed(seed)`` and ``m = n - n_slow``:
    ``W_ss = 0.5 G / sqrt(n_slow)`` (slow units among themselves), couplings ``W_sf``, ``W_fs`` each
    ``0.5 G / sqrt(n)``, the fast block ``W_ff = -(I + 0.2 G / sqrt(m)) / eps`` and ``b = 0.2 g``. Near its
    equilibria the Jacobian ``-I + diag(1 - tanh^2(W x + b)) W`` has ``n_slow`` eigenvalues with real parts
    about ``-1 ± 0.5`` and ``m`` with real parts about ``-1/eps`` (while the fast units are unsaturated), so
    the slow subspace is close to the first ``n_slow`` coordinates up to ``O(eps)`` and the time-scale ratio
    is ``O(eps)``. Built with :func:`neurodyn.systems.tanh_field` (``leak = 1``): analytic Jacobian and
    ``tanh_form``.
    """
    from neurodyn.systems.fields import tanh_field

    n = positive_int(n, name="n", minimum=2)
    n_slow = positive_int(n_slow, name="n_slow")
    if n_slow >= n:
        from neurodyn.errors import InvalidInputError

        raise InvalidInputError(f"n_slow must be smaller than n = {n}, got {n_slow}")
    positive_float(eps, name="eps")
    m = n - n_slow
    gen = torch.Generator().manual_seed(seed)

    def normal(rows, cols):
        return torch.randn(rows, cols, generator=gen, dtype=torch.float64)

    W = torch.empty(n, n, dtype=torch.float64)
    W[:n_slow, :n_slow] = 0.5 * normal(n_slow, n_slow) / n_slow**0.5
    W[:n_slow, n_slow:] = 0.5 * normal(n_slow, m) / n**0.5
    W[n_slow:, :n_slow] = 0.5 * normal(m, n_slow) / n**0.5
    W[n_slow:, n_slow:] = -(torch.eye(m, dtype=torch.float64) + 0.2 * normal(m, m) / m**0.5) / eps
    b = 0.2 * torch.randn(n, generator=gen, dtype=torch.float64)
    return tanh_field(W, b, leak=1.0, name=f"planted_tanh(n={n}, n_slow={n_slow}, eps={eps:g}, seed={seed})")
