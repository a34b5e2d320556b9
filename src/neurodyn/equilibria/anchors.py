"""Roots reached so far, with their Jacobians' inverses, that later starts may join by chord steps."""

from __future__ import annotations

from collections.abc import Callable

import torch


class Anchors:
    """Distinct roots reached so far, with the inverses of their Jacobians, for joins by chord steps.

    Before a start's Jacobian is formed, the chord (simplified Newton) iteration ``y <- y - J(r)^-1 F(y)``
    with the nearest anchor ``r``'s Jacobian is tried from it: a residual and a matrix-vector product per
    step, against a Jacobian and its factorisation per Newton step. The start joins ``r`` once an iterate
    lands within the join radius of ``r`` (after two steps at least, see :meth:`join`), provided every step
    was at most ``contraction`` times the one before and ``|F|`` fell at every iterate. The ratio of
    successive chord steps estimates
    ``|I - J(r)^-1 J(y)|`` along the way (an estimate on the path, not a bound over a region); where it is 0.1
    or less, ``J(y)`` is usually so close to ``J(r)`` that Newton's own steps from ``y`` would converge to
    ``r`` too. Not always: on small tanh maps about 0.3% of the starts that joined would have reached another
    root by Newton (a root other starts found as well, in every test: no point was lost). Looser contraction,
    0.25 or more, let a start that Newton takes to an unknown saddle join a nearby attractor in tests on
    trained GRUs. Trained recurrent networks' starts mostly lie in the basins of a few attracting points,
    which the chord steps reach in 3-6 steps.
    """

    def __init__(self, fun_jac: Callable, radius: float, like: torch.Tensor, *, max_steps: int = 10,
                 contraction: float = 0.1, max_elements: int = 1 << 25):
        self.fun_jac, self.radius, self.max_steps, self.contraction = fun_jac, radius, max_steps, contraction
        n = like.shape[-1]
        self.x, self.inv = like.new_zeros(0, n), []  # inv[i]: J(x[i])^-1, or None (singular, or over budget)
        self.usable = torch.zeros(0, dtype=torch.bool, device=like.device)
        self.budget = max(0, max_elements // (n * n))  # inverses kept (256 MiB of them in float64 by default)

    def __len__(self):
        return len(self.x)

    def add(self, points: torch.Tensor) -> int:
        """Adds the points farther than the radius from every anchor, while the budget of inverses lasts;
        returns the Jacobians formed."""
        points = points[torch.isfinite(points).all(-1)]
        if len(self.x) and len(points):
            points = points[torch.cdist(points, self.x).min(-1).values > self.radius]
        new = []
        for p in points:  # the few roots reached since the last call that are new, one by one
            if not new or float(torch.cdist(p[None], torch.cat(new)).min()) > self.radius:
                new.append(p[None])
        new = new[:self.budget - len(self.inv)]  # past the budget, points are not anchors
        if not new:
            return 0
        _, J = self.fun_jac(torch.cat(new))
        inv, info = torch.linalg.inv_ex(J)
        usable = (info == 0) & torch.isfinite(inv).flatten(1).all(-1)  # singular: never a chord target
        self.x, self.usable = torch.cat([self.x, *new]), torch.cat([self.usable, usable])
        self.inv.extend(m if ok else None for m, ok in zip(inv, usable.tolist(), strict=True))
        return len(new)

    def join(self, fun: Callable, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Which rows of ``x (b, n)`` the chord iteration carries to their nearest anchor, and that anchor.

        A row already within the radius of its anchor joins at once. Otherwise it joins when the iterate of its
        second or a later step lands within the radius, every step but the first was at most ``contraction``
        times the one before (the first ratio compares the steps from the start and from the first iterate:
        a landing in one step is no evidence of contraction around the start), and ``|F|`` fell at every
        iterate, the landing one included."""
        target = torch.cdist(x, self.x).argmin(-1)
        near = torch.linalg.vector_norm(x - self.x[target], dim=-1) <= self.radius
        joined = near.clone()
        active = self.usable[target] & ~near
        landed = torch.zeros_like(active)  # landing within the radius, to be confirmed by |F| falling there
        y = x.clone()
        last_step = torch.full((len(x),), float("inf"), dtype=x.dtype, device=x.device)
        last_F = last_step.clone()
        for k in range(self.max_steps + 1):
            rows = torch.nonzero(active).flatten()
            if len(rows) == 0:
                break
            size_F = torch.linalg.vector_norm(F := fun(y[rows]), dim=-1)
            falls = size_F < last_F[rows]
            last_F[rows] = size_F
            joined[rows[falls & landed[rows]]] = True
            active[rows[~falls | landed[rows]]] = False
            going = falls & ~landed[rows]
            rows, F = rows[going], F[going]
            if k == self.max_steps:
                active[rows] = False
                break
            step = torch.empty_like(F)
            for a in torch.unique(target[rows]).tolist():  # one product per anchor
                mine = target[rows] == a
                step[mine] = -F[mine] @ self.inv[a].T
            y[rows] += step
            size = torch.linalg.vector_norm(step, dim=-1)
            ok = torch.isfinite(size) & (size <= self.contraction * last_step[rows])
            arrived = torch.linalg.vector_norm(y[rows] - self.x[target[rows]], dim=-1) <= self.radius
            first = torch.isinf(last_step[rows])
            landed[rows[ok & arrived & ~first]] = True
            active[rows[~ok | (arrived & first)]] = False
            last_step[rows] = size
        return joined, target
