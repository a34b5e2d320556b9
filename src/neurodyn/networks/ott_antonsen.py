"""The Ott–Antonsen reduction of Kuramoto networks with Lorentzian frequencies, all-to-all and on graphons,
and the critical coupling of the incoherent state.

For ``dx/dt = omega + K int W(y, y') Im(e^{-i x} e^{i x'}) ...`` with Lorentzian ``omega`` (half-width
``gamma``, centre ``omega0``), the phase density on each node slice ``y`` stays on the Poisson-kernel manifold,
whose local order parameter obeys (Ott & Antonsen, Chaos 18, 037113, 2008, applied slice by slice)

    dz(y)/dt = -(gamma - i omega0) z + (K/2) (Z(y) - conj(Z(y)) z^2),   Z(y) = int_0^1 W(y, y') z(y') dy'.

All-to-all (``W = 1``): ``r = |z|`` tends to ``sqrt(1 - 2 gamma / K)`` for ``K > K_c = 2 gamma``, to 0 below.
The incoherent state ``z = 0`` loses stability when ``K lambda_max / 2 = gamma``; for a symmetric graphon and a
unimodal symmetric frequency density ``g`` this is ``K_c = 2 / (pi g(omega0) lambda_max)`` (Chiba & Medvedev,
Discrete Contin. Dyn. Syst. 39, 131, 2019).
"""

from __future__ import annotations

import math

import torch

from neurodyn._checks import as_tensor, positive_float, positive_int
from neurodyn.errors import InvalidInputError
from neurodyn.networks.frequencies import Bimodal, EmpiricalFrequencies, Gaussian, Lorentzian
from neurodyn.networks.graphon import Graphon, node_positions
from neurodyn.systems import Flow


class _OAField:
    """``dz/dt`` on ``M`` node slices, state ``(..., 2M)`` = real parts then imaginary parts."""

    def __init__(self, W: torch.Tensor | None, gamma: float, omega0: torch.Tensor):
        self.W, self.gamma, self.omega0 = W, gamma, omega0

    def __call__(self, t, s, params):
        m = s.shape[-1] // 2
        z = torch.complex(s[..., :m], s[..., m:])
        Z = z if self.W is None else (z.unsqueeze(-2) * self.W.to(s.dtype)).sum(-1) / m
        dz = -(self.gamma - 1j * self.omega0.to(s.dtype)) * z + 0.5 * params["K"] * (Z - Z.conj() * z * z)
        return torch.cat((dz.real, dz.imag), dim=-1)


def ott_antonsen(gamma: float, *, K: float = 1.0, omega0: float = 0.0, graphon: Graphon | None = None,
                 slices: int = 1, measure=None) -> Flow:
    """The Ott–Antonsen equation as a :class:`~neurodyn.Flow` on ``M = slices`` node slices.

    Args:
        gamma: the Lorentzian half-width (> 0).
        K: coupling strength, the parameter ``"K"`` (vary it with ``with_params(K=...)``).
        omega0: the Lorentzian centre (0: co-rotating frame), or one centre per slice (``(M,)``): e.g. two
            slices at ``-omega0, +omega0`` coupled all-to-all (``graphon=constant_graphon(1)``) are the bimodal
            law :class:`Bimodal` (Martens et al., Phys. Rev. E 79, 026204, 2009).
        graphon: ``None`` (default) for all-to-all coupling (then ``slices`` must be 1); otherwise ``W`` is
            sampled at the slice midpoints ``y_i = (i - 1/2)/M`` and ``Z(y_i)`` is the midpoint rule
            ``(1/M) sum_j W(y_i, y_j) z_j`` (error O(M^-2) for smooth ``W``).
        slices: number of node slices ``M``.
        measure: a :class:`DigraphMeasure` instead of a graphon (directed, with atoms):
            ``Z(y_m) = (1/M) sum_l B_ml z_l`` with ``B`` its :meth:`~DigraphMeasure.cell_matrix`, the slice
            form of ``int z(y') deta^{y_m}(y')``.

    Returns:
        A flow with state ``(..., 2M)``: ``Re z`` on the first ``M`` coordinates, ``Im z`` on the last ``M``.

    See also: :func:`critical_coupling`, :func:`simulate`, :func:`oa_order_parameter`.
    """
    gamma = positive_float(gamma, name="gamma")
    slices = positive_int(slices, name="slices")
    W = None
    if graphon is not None and measure is not None:
        raise InvalidInputError("give either graphon or measure, not both")
    if measure is not None:
        W = measure.cell_matrix(slices)
    elif graphon is not None:
        y = node_positions(slices)
        W = graphon.evaluate(y, y)
    elif slices != 1:
        raise InvalidInputError("all-to-all coupling has one slice; pass a graphon or measure for slices > 1")
    centres = as_tensor(omega0, name="omega0", dtype=torch.float64, device=None)
    if centres.ndim > 1 or (centres.ndim == 1 and len(centres) != slices):
        raise InvalidInputError(f"omega0 must be a number or one centre per slice ({slices},), got shape "
                                f"{tuple(centres.shape)}")
    return Flow(_OAField(W, gamma, centres), 2 * slices, params={"K": K}, name="Ott-Antonsen")


def oa_order_parameter(s: torch.Tensor) -> torch.Tensor:
    """The local order parameters ``z_i`` (complex, ``(..., M)``) of Ott–Antonsen states ``s: (..., 2M)``."""
    m = s.shape[-1] // 2
    return torch.complex(s[..., :m], s[..., m:])


def oa_stationary_r(gamma: float, K: float) -> float:
    """The all-to-all stationary ``r = sqrt(1 - 2 gamma / K)`` for ``K > 2 gamma``, else 0."""
    gamma, K = positive_float(gamma, name="gamma"), positive_float(K, name="K")
    return math.sqrt(1 - 2 * gamma / K) if K > 2 * gamma else 0.0


def critical_coupling(law: Lorentzian | Gaussian | Bimodal | EmpiricalFrequencies, *, graphon: Graphon | None = None,
                      lambda_max: float | None = None, nodes: int = 200) -> float:
    """Onset of synchrony ``K_c = 2 / (pi g(omega0) lambda_max)`` of the incoherent state.

    Args:
        law: the frequency law; it must have a density at its centre ``omega0`` (unimodal and symmetric:
            :class:`Lorentzian`, :class:`Gaussian`). :class:`Bimodal`: the incoherent state's Ott–Antonsen
            eigenvalues are ``-gamma + K/4 +- sqrt(K^2/16 - s^2)``; for ``s <= gamma`` a real one crosses 0 at
            Kuramoto's ``2 / (pi g(0)) = 2 (gamma^2 + s^2) / gamma``, for ``s > gamma`` a complex pair crosses
            first, at ``K = 4 gamma`` (a Hopf onset; Martens et al., Phys. Rev. E 79, 026204, 2009): the onset
            is the smaller of the two.
        graphon: a symmetric nonnegative graphon; ``lambda_max`` is its integral operator's leading eigenvalue
            by Nyström quadrature with ``nodes`` Gauss–Legendre points. ``None``: all-to-all (``lambda_max = 1``).
        lambda_max: give the eigenvalue directly instead of a graphon.

    Kuramoto's formula ``2 / (pi g(0))`` (Kuramoto 1975; Strogatz, Physica D 143, 1, 2000) scaled by the
    graphon operator's leading eigenvalue (Chiba & Medvedev 2019). Lorentzian: ``K_c = 2 gamma / lambda_max``.
    """
    if not isinstance(law, Lorentzian | Gaussian | Bimodal | EmpiricalFrequencies):
        raise InvalidInputError("law must be a Lorentzian, Gaussian, Bimodal or EmpiricalFrequencies, got "
                                f"{type(law).__name__}")
    g0 = law.density(law.center)
    if graphon is not None and lambda_max is not None:
        raise InvalidInputError("give either graphon or lambda_max, not both")
    lam = graphon.leading_eigenvalue(nodes=nodes) if graphon is not None else (
        1.0 if lambda_max is None else positive_float(lambda_max, name="lambda_max"))
    if not lam > 0:
        raise InvalidInputError(f"the graphon's leading eigenvalue is {lam:g}; it must be positive for an onset")
    onset = 2.0 / (math.pi * g0)
    if isinstance(law, Bimodal):  # separated peaks: the complex pair's (Hopf) crossing at 4 gamma comes first
        onset = min(onset, 4.0 * law.gamma)
    return onset / lam
