"""Where the search starts: trajectories of the system, a box, or given states."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from neurodyn._checks import as_tensor, positive_int, state_batch
from neurodyn.errors import DivergenceError, InvalidInputError, NeurodynError
from neurodyn.systems.protocol import Flow, System

STARTS = ("mixed", "trajectories", "box")


def _probe(system: System, c, x: torch.Tensor, inputs=None) -> None:
    """Check once what the user's function returns at the first states ``x (b, n)`` (see ``System.probe``)."""
    if inputs is not None:
        c = inputs[:, 0]
    elif c is not None:
        c = c.expand(len(x), -1)
    system.probe(x, c)


def _sample_trajectories(system: System, c, inputs, x: torch.Tensor, steps: int, dt: float) -> torch.Tensor:
    """``(b, steps + 1, n)`` states of trajectories from ``x (b, n)`` (a map driven by ``inputs`` or ``c``)."""
    _probe(system, c, x, inputs)
    if isinstance(system, Flow):
        from torchdiffeq import odeint

        t = torch.arange(steps + 1, dtype=system.dtype, device=system.device) * dt
        try:
            with torch.no_grad():
                traj = odeint(lambda tt, y: system.f(y, tt), x, t, method="dopri5", rtol=1e-6, atol=1e-8)
        except AssertionError as exc:  # torchdiffeq's step-size underflow: a trajectory escaped
            raise DivergenceError(f"a sampled trajectory of {system.name!r} diverged ({exc}); pass starts= "
                                  "(a tensor) or starts='box' with a box", step=0) from None
        return traj.transpose(0, 1)
    states = [x]
    with torch.no_grad():
        for i in range(steps):
            u = inputs[:, i] if inputs is not None else (None if c is None else c.expand(len(x), -1))
            x = system.f(x, u)
            states.append(x)
    return torch.stack(states, dim=1)


def _box(box, system: System) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        low, high = box
        low, high = (as_tensor(b, name=f"box {w}", dtype=system.dtype, device=system.device)
                     for b, w in ((low, "low"), (high, "high")))
        low, high = low.expand(system.dim), high.expand(system.dim)
    except NeurodynError:
        raise
    except (TypeError, ValueError, RuntimeError):
        raise InvalidInputError(f"box must be a pair (low, high) of scalars or ({system.dim},) tensors, "
                                f"got {box!r}") from None
    if not bool((high > low).all()):
        raise InvalidInputError(f"box must be (low, high) with low < high in every coordinate, got {box!r}")
    return low, high


@dataclass(frozen=True)
class Sampler:
    """Where starts come from, fixed once: the states of sampled trajectories (finite ones, ``samples (P, n)``)
    and their bounding box ``low``/``high``, or a given box, by ``strategy`` (see :func:`make_sampler`);
    ``None`` for given starts, of which no more can be drawn."""

    strategy: str
    low: torch.Tensor
    high: torch.Tensor
    samples: torch.Tensor | None = None

    def draw(self, k: int, gen: torch.Generator) -> torch.Tensor:
        """``(k, n)`` starts: ``"box"`` uniform in the box; ``"trajectories"`` sampled states; ``"mixed"`` half
        sampled states, a quarter uniform in their bounding box and a quarter on segments from their mean to
        sampled states (in high dimension uniform points crowd the box's corners; fixed points of e.g. chaotic
        networks lie well inside the attractor's hull)."""
        low, high, n = self.low, self.high, self.low.shape[-1]
        if self.samples is None:
            return low + (high - low) * torch.rand(k, n, generator=gen, dtype=low.dtype).to(low.device)
        n_box = {"trajectories": 0, "box": k, "mixed": k // 4}[self.strategy]
        n_inner = k // 4 if self.strategy == "mixed" else 0
        picks = self.samples[torch.randint(len(self.samples), (k - n_box,), generator=gen)]
        shrink = torch.rand(n_inner, 1, generator=gen, dtype=low.dtype).to(low.device)
        mean = self.samples.mean(0)
        inner = mean + shrink * (picks[:n_inner] - mean)
        in_box = low + (high - low) * torch.rand(n_box, n, generator=gen, dtype=low.dtype).to(low.device)
        return torch.cat([picks[n_inner:], inner, in_box])


@dataclass(frozen=True)
class Starts:
    """The first starts ``x (S, n)``, context trajectories ``(b, T, n)`` (none for given starts or a given box),
    the region searched before widening (``(low, high)`` or ``None``: unbounded), and the sampler that draws
    more (``None`` for given starts)."""

    x: torch.Tensor
    trajectories: torch.Tensor
    region: tuple[torch.Tensor, torch.Tensor] | None
    sampler: Sampler | None


def sample_starts(system, c, inputs, starts, n_starts, box, steps, dt, gen) -> Starts:
    """The first ``n_starts`` starts by the strategy ``starts`` (or the given tensor), see :class:`Starts`."""
    n = system.dim
    region = _box(box, system) if box is not None else None
    if not isinstance(starts, str):
        x0 = state_batch(starts, n=n, name="starts", dtype=system.dtype, device=system.device)
        _probe(system, c, x0)
        return Starts(x0, x0.new_zeros(0, steps + 1, n), region, None)
    if starts not in STARTS:
        raise InvalidInputError(f"starts must be one of {STARTS} or a tensor of shape (S, {n}), got {starts!r}")
    n_starts = positive_int(n_starts, name="n_starts")
    if starts == "box" and region is not None:
        sampler = Sampler(starts, *region)
        x0 = sampler.draw(n_starts, gen)
        _probe(system, c, x0)
        return Starts(x0, x0.new_zeros(0, steps + 1, n), region, sampler)
    if inputs is not None:
        n_traj, steps = inputs.shape[0], inputs.shape[1]
        if steps == 0 or n_traj == 0:
            raise InvalidInputError(f"inputs has shape {tuple(inputs.shape)}; give at least one sequence of at "
                                    "least one step")
    else:
        n_traj = min(64, n_starts)
    traj = _sample_trajectories(system, c, inputs, system.sample_state(n_traj, gen), steps, dt)
    samples = traj.reshape(-1, n)
    samples = samples[torch.isfinite(samples).all(-1)]
    if len(samples) == 0:
        raise DivergenceError(f"every sampled trajectory of {system.name!r} diverged; pass starts= or a box",
                              step=0)
    sampler = Sampler(starts, samples.amin(0), samples.amax(0), samples)
    x0 = sampler.draw(n_starts, gen)
    return Starts(x0, traj, (torch.minimum(sampler.low, x0.amin(0)), torch.maximum(sampler.high, x0.amax(0))),
                  sampler)
