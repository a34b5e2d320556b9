"""The large-weight limit of tanh networks: switching surfaces ``w_i x + b_i = 0`` and Filippov sliding."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from neurodyn._checks import positive_float, state_batch
from neurodyn.errors import UnsupportedModelError
from neurodyn.results import Result, Status
from neurodyn.slowfast.scales import check_flow

NONE, SEVERAL = -1, -2  # codes in SwitchingSurfaces.unit: no unit near its surface / more than one


@dataclass(frozen=True, eq=False)
class SwitchingSurfaces(Result):
    """Switching surfaces of the large-weight limit that the given states lie on, and the sliding motion there.

    Attributes:
        unit: ``(B,)`` the hidden unit ``i`` whose surface ``w_i x + b_i = 0`` the state is near (``|w_i x + b_i|
            <= width``), ``-1`` if none, ``-2`` if several (an intersection of surfaces: not treated).
        surfaces: the units whose surfaces are visited, sorted. sliding_units: those with sliding states.
        sliding: ``(B,)`` the state is on an attracting sliding part: the limit fields on both sides point
            towards the surface (``w_i . f+ < 0 < w_i . f-``).
        alpha: ``(B,)`` the Filippov weight ``alpha = w.f- / (w.f- - w.f+)`` of ``f+`` (NaN where not sliding);
            ``2 alpha - 1`` is the equivalent value of the switching unit's ``sign``.
        filippov: ``(B, n)`` the sliding vector field ``alpha f+ + (1 - alpha) f-`` at the state's projection onto
            the surface (NaN where not sliding).
        field: ``(B, n)`` the smooth system's velocity at the states, to compare with.
        width: the pre-activation band that counts as on a surface. status: ``"ok"`` or ``"none found"``.
    """

    unit: torch.Tensor
    surfaces: list
    sliding_units: list
    sliding: torch.Tensor
    alpha: torch.Tensor
    filippov: torch.Tensor
    field: torch.Tensor
    width: float
    status: Status
    system: str
    settings: dict = field(default_factory=dict)


def _limit_field(form, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``-leak x + W_out s + b_out``: the field with every ``tanh`` replaced by the signs ``s (B, h)``."""
    return -form.leak * x + s @ form.W_out.T + form.b_out


def switching_surfaces(system, states, *, width: float = 1.0) -> SwitchingSurfaces:
    """Switching surfaces of ``dx/dt = -leak x + W_out tanh(W x + b) + b_out`` in its large-weight limit, and the
    Filippov sliding vector field on those the states lie on.

    When the weights ``W`` (and ``b``) are large, ``tanh(W x + b)`` is ``sign(W x + b)`` except in a layer of width
    ``O(1 / |w_i|)`` around each surface ``w_i x + b_i = 0``: the flow approaches a switching (piecewise-constant
    input) system. A state is on the surface of unit ``i`` when ``|w_i x + b_i| <= width`` (the unit is not
    saturated) and every other unit is beyond ``width``. There, with ``f+`` and ``f-`` the limit fields with
    ``sign_i = +1`` and ``-1`` (the other signs at the state) at the state's projection onto the surface, the
    surface attracts from both sides when ``w_i . f+ < 0 < w_i . f-``; trajectories then slide along it with
    Filippov's vector field ``alpha f+ + (1 - alpha) f-``, ``alpha = w_i . f- / (w_i . f- - w_i . f+)``, the
    convex combination tangent to the surface (Filippov, *Differential Equations with Discontinuous Righthand
    Sides*, 1988, §2.4). The smooth system's velocity on its slow manifold inside the layer approaches it as the
    weights grow (``O(1/|w_i|)``).

    Args:
        system: a :class:`~neurodyn.Flow` with a ``tanh_form`` (built by :func:`~neurodyn.tanh_field` or
            :func:`~neurodyn.tanh_family`).
        states: ``(B, n)`` states, e.g. a trajectory.
        width: the pre-activation band ``|w_i x + b_i| <= width`` that counts as on the surface (default 1).

    Returns:
        :class:`SwitchingSurfaces`, status ``"ok"`` or ``"none found"`` (no state near exactly one surface).
    """
    system = check_flow(system, "switching_surfaces")
    form = system.tanh_form
    if form is None:
        raise UnsupportedModelError(f"{system.name!r} has no tanh_form: switching surfaces need a field "
                                    "-leak x + W_out tanh(W x + b) + b_out; build it with neurodyn.tanh_field")
    if form.W1 is not None or form.b1 is not None:
        W, b = form.at(float(system.params[form.param]))
        form = type(form)(W=W, b=b, W_out=form.W_out, b_out=form.b_out, leak=form.leak)
    x = state_batch(states, n=system.dim, name="states", dtype=system.dtype, device=system.device)
    width = positive_float(width, name="width")
    smooth = system.probe(x)
    u = x @ form.W.T + form.b  # (B, h) pre-activations
    near = u.abs() <= width
    count = near.sum(-1)
    unit = torch.where(count == 1, near.to(torch.int64).argmax(-1), torch.full_like(count, NONE))
    unit = torch.where(count > 1, torch.full_like(count, SEVERAL), unit)
    B, n = x.shape
    alpha = torch.full((B,), float("nan"), dtype=x.dtype, device=x.device)
    filippov = torch.full((B, n), float("nan"), dtype=x.dtype, device=x.device)
    sliding = torch.zeros(B, dtype=torch.bool, device=x.device)
    rows = torch.nonzero(unit >= 0).flatten()
    if len(rows):
        i = unit[rows]
        w = form.W[i]  # (R, n) the surfaces' normals
        xs = x[rows] - ((u[rows, i] / (w * w).sum(-1)).unsqueeze(-1)) * w  # projections onto the surfaces
        s = torch.sign(xs @ form.W.T + form.b)
        plus, minus = s.clone(), s.clone()
        plus[torch.arange(len(rows)), i] = 1.0
        minus[torch.arange(len(rows)), i] = -1.0
        f_plus, f_minus = _limit_field(form, xs, plus), _limit_field(form, xs, minus)
        h_plus, h_minus = (w * f_plus).sum(-1), (w * f_minus).sum(-1)
        slide = (h_plus < 0) & (h_minus > 0)
        a = h_minus / torch.where(slide, h_minus - h_plus, torch.ones_like(h_plus))
        sliding[rows] = slide
        alpha[rows] = torch.where(slide, a, torch.full_like(a, float("nan")))
        filippov[rows] = torch.where(slide.unsqueeze(-1), a.unsqueeze(-1) * f_plus + (1 - a.unsqueeze(-1)) * f_minus,
                                     torch.full_like(f_plus, float("nan")))
    visited = sorted(set(unit[unit >= 0].tolist()))
    slides = sorted(set(unit[sliding].tolist()))
    return SwitchingSurfaces(unit=unit, surfaces=visited, sliding_units=slides, sliding=sliding, alpha=alpha,
                             filippov=filippov, field=smooth, width=width,
                             status=Status.OK if visited else Status.NONE_FOUND, system=system.name,
                             settings={"width": width, "states": B})
