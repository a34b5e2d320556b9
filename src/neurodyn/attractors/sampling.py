"""Starts and trajectories: validate the starting states, integrate them through the transient in one batch,
and record each trajectory over a window on its omega-limit set."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from neurodyn._checks import as_tensor, positive_int, state_batch
from neurodyn.attractors.settings import AttractorSettings
from neurodyn.errors import InvalidInputError
from neurodyn.integrate import VariationalIntegrator
from neurodyn.systems.protocol import Flow, System

CHECK_EVERY = 16  # steps between escape checks


@dataclass(frozen=True)
class Trajectories:
    """What the integration leaves: ``starts (B, n)``, the recorded window ``path (B, S, n)`` (every
    ``stride`` steps of ``dt``, so the spacing is ``stride * dt`` time units), the final states ``(B, n)`` and
    ``escaped (B,)`` (bool: non-finite or beyond the escape radius; their rows of ``path`` are zero)."""

    starts: torch.Tensor
    path: torch.Tensor
    final: torch.Tensor
    escaped: torch.Tensor
    spacing: float


def check_system(system) -> Flow:
    """``system`` as an autonomous :class:`~neurodyn.Flow`, or an :class:`InvalidInputError` naming it."""
    if not isinstance(system, System):
        raise InvalidInputError(f"system must be a neurodyn Flow (e.g. from_torch of a vector-field module), got "
                                f"{type(system).__name__}")
    if not isinstance(system, Flow):
        raise InvalidInputError(
            f"system {system.name!r} is a Map: attractors classifies the omega-limit sets of flows (a limit cycle "
            "has one zero exponent only in continuous time); for a map use lyapunov_spectrum and "
            "find_fixed_points, or pass a Flow")
    return system


def starting_states(system: Flow, starts, box, count: int, seed: int) -> torch.Tensor:
    """``(B, n)`` starting states: ``starts`` as given, or ``count`` points uniform in ``box`` (a pair
    ``(low, high)`` of numbers or ``(n,)`` vectors) drawn with ``seed``, or ``count`` states from the system's
    own sampler when neither is given."""
    n, dtype, dev = system.dim, system.dtype, system.device
    if starts is not None:
        if box is not None:
            raise InvalidInputError("give either starts (the states) or box (a region to draw count starts from), "
                                    "not both")
        return state_batch(starts, n=n, name="starts", dtype=dtype, device=dev)
    count = positive_int(count, name="count")
    gen = torch.Generator().manual_seed(int(seed))
    if box is None:
        return system.sample_state(count, gen)
    if not isinstance(box, (tuple, list)) or len(box) != 2:
        raise InvalidInputError(f"box must be a pair (low, high) of numbers or of ({n},) vectors, got {box!r}")
    lo, hi = (_box_side(b, f"box[{i}]", n, dtype) for i, b in enumerate(box))
    if lo is None or hi is None or not bool((hi > lo).all()):
        raise InvalidInputError(f"box must be (low, high) with low < high in every one of the {n} coordinates "
                                f"(numbers or ({n},) vectors), got {box!r}")
    return (lo + (hi - lo) * torch.rand(count, n, generator=gen, dtype=dtype)).to(dev)


def _box_side(value, name: str, n: int, dtype) -> torch.Tensor | None:
    """One side of a box as an ``(n,)`` vector, or ``None`` when it has the wrong shape."""
    t = as_tensor(value, name=name, dtype=dtype, device="cpu")
    return t.expand(n).clone() if t.ndim == 0 or tuple(t.shape) == (n,) else None


def check_field(system: Flow, x: torch.Tensor) -> None:
    """Probe the field on the first states and check that it does not depend on time (omega-limit sets and
    their Lyapunov spectra are those of an autonomous flow)."""
    first = x[:64]
    f0 = system.probe(first)
    t1 = torch.tensor(1.2345, dtype=x.dtype, device=x.device)
    f1 = system.f(first, t1)
    if not torch.allclose(f0, f1, rtol=1e-12, atol=1e-12 * float(f0.abs().max().clamp_min(1e-300))):
        raise InvalidInputError(f"the field of {system.name!r} depends on time t: attractors needs an autonomous "
                                "flow dx/dt = f(x); fix the time dependence (e.g. freeze t) before the search")


def integrate(system: Flow, x0: torch.Tensor, s: AttractorSettings, tick=None) -> Trajectories:
    """Integrate every start for ``s.transient`` and record ``s.samples`` points over ``s.window``; escaping
    trajectories are frozen at zero and flagged. ``tick(steps)`` reports progress."""
    integ = VariationalIntegrator(system, dt=s.dt, method=s.method)
    escaped = torch.zeros(len(x0), dtype=torch.bool, device=x0.device)
    x = x0.clone()
    n_transient, n_window = s.steps(s.transient), s.steps(s.window)
    stride = max(1, n_window // s.samples)
    records = []
    with torch.no_grad():
        for i in range(n_transient + n_window):
            x = integ.advance(x, None, i)[0]
            if i % CHECK_EVERY == 0 or i == n_transient - 1:
                x, escaped = _freeze_escaped(x, escaped, s.escape)
            j = i - n_transient + 1
            if j > 0 and j % stride == 0:
                x, escaped = _freeze_escaped(x, escaped, s.escape)
                records.append(x)
            if tick is not None and (i + 1) % 100 == 0:
                tick(100)
    path = torch.stack(records, dim=1)
    path[escaped] = 0.0
    return Trajectories(starts=x0, path=path, final=path[:, -1], escaped=escaped, spacing=stride * s.dt)


def _freeze_escaped(x: torch.Tensor, escaped: torch.Tensor, radius: float) -> tuple[torch.Tensor, torch.Tensor]:
    bad = ~torch.isfinite(x).all(-1) | (torch.linalg.vector_norm(x.nan_to_num(), dim=-1) > radius)
    escaped = escaped | bad
    return torch.where(escaped.unsqueeze(-1), torch.zeros_like(x), x), escaped
