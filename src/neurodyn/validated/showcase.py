"""Proofs on the demo's models: proven FTLE bounds of a trained neural-ODE classifier over a grid next to its float
FTLE map, and a proven periodic orbit born at a proven Hopf point of the gain family (usable on its own)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from neurodyn.errors import InvalidInputError, NeurodynError
from neurodyn.results import Result, Status


@dataclass(frozen=True, eq=False)
class ProvenDynamics(Result):
    """Proven FTLE bounds over a grid of inputs, and a proven periodic orbit.

    Attributes:
        grid: points per axis (the grid has ``grid**2`` inputs). bounds: the :class:`~neurodyn.validated.FTLEBounds`
            of the leading FTLE at the grid's inputs (its ``float_ftle``: :func:`neurodyn.ftle`, RK4 with step
            0.01). float_map: ``(grid**2,)`` the classifier's own float FTLE map (its scheme and step count).
        inside_map, inside_fine: how many values of ``float_map`` / of ``bounds.float_ftle`` lie in the proven
            intervals.
        hopf_g, hopf_l1, hopf_proof: the Hopf point the orbit is born at (its parameter value), its proven first
            Lyapunov coefficient interval and its :class:`~neurodyn.validated.Proof` (``None`` when ``x = 0`` does
            not first lose stability at a Hopf point proven supercritical: see ``orbit_note``).
        study_seed, family: the seed of the gain study's coupling and its family's name.
        orbit: the float :class:`~neurodyn.PeriodicOrbit` (``None`` when none was found); orbit_proof: its
            :class:`~neurodyn.validated.Proof` (``None`` without an orbit); orbit_note: why there is no orbit or
            proof ("" otherwise).
        seconds: CPU seconds of the FTLE bounds and of the orbit (float orbit and proof).
        status: ``proved`` when every grid point and the orbit are proven, else ``not proved``.
    """

    grid: int
    bounds: object
    float_map: torch.Tensor
    inside_map: int
    inside_fine: int
    hopf_g: float | None
    hopf_l1: tuple | None
    hopf_proof: object | None
    study_seed: int
    family: str
    orbit: object | None
    orbit_proof: object | None
    orbit_note: str
    seconds: dict
    status: Status

    def plot(self, axes=None):
        """Four panels: the classifier's float FTLE map, the proven lower bound, the width (log10) over the grid,
        and the orbit (first two coordinates) with the proof's conclusion. ``axes``: four axes (default: a new
        figure). Returns the axes."""
        import matplotlib.pyplot as plt

        if axes is None:
            _, axes = plt.subplots(1, 4, figsize=(16, 3.6))
        pts = self.bounds.points.numpy()
        n = len(self.float_map)
        panels = ((self.float_map, f"float FTLE map ({self.inside_map}/{n} inside the bounds)"),
                  (self.bounds.lower[:, 0], "proven lower bound"),
                  (torch.log10(self.bounds.width[:, 0].clamp_min(1e-300)), "log10 width of the proven interval"))
        for ax, (values, title) in zip(axes[:3], panels, strict=True):
            art = ax.scatter(pts[:, 0], pts[:, 1], c=values.numpy(), s=40, marker="s", cmap="viridis")
            plt.colorbar(art, ax=ax)
            ax.set_title(title, fontsize=9)
        ax = axes[3]
        if self.orbit is None:
            ax.text(0.5, 0.5, self.orbit_note, ha="center", va="center", wrap=True, fontsize=8)
            ax.set_axis_off()
            return axes
        path = self.orbit.orbit.numpy()
        ax.plot(path[:, 0], path[:, 1], color="C3")
        ax.plot([path[0, 0]], [path[0, 1]], "o", color="k", ms=3)
        proof = self.orbit_proof
        verdict = f"proven {proof.conclusion}" if proof.proved else "not proved"
        ax.set_title(f"orbit at g = {self.orbit.value:.4g}, period {self.orbit.period:.4g}: {verdict}", fontsize=9)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        return axes


def grid_inputs(X: torch.Tensor, size: int, pad: float = 0.3) -> torch.Tensor:
    """A ``size x size`` grid (x-major, :func:`torch.meshgrid` ``indexing="xy"``) over the bounding box of the
    inputs ``X (N, 2)`` widened by ``pad`` on every side, float64."""
    X = X.to(torch.float64)
    lo, hi = X.min(0).values - pad, X.max(0).values + pad
    axes = [torch.linspace(float(lo[i]), float(hi[i]), size, dtype=torch.float64) for i in range(2)]
    return torch.stack(torch.meshgrid(*axes, indexing="xy"), -1).reshape(-1, 2)


def _ftle_part(model, X, grid: int, order: int, tol: float):
    import neurodyn as nd

    flow = model.flow()
    if flow.dim != 2 or X.shape[-1] != 2:
        raise InvalidInputError(f"proven_ftle_and_orbit needs a classifier on 2-D inputs without augmented "
                                f"dimensions (its field has dimension {flow.dim}); the proven FTLEs are those of the "
                                "full flow map")
    points = grid_inputs(X, grid)
    bounds = nd.prove_ftle(flow, model.lift(points), t=model.t, k=1, order=order, tol=tol, strict=False)
    float_map = model.ftle(points, k=1).exponents[:, 0].to(torch.float64)

    def inside(v):
        return int(((v >= bounds.lower[:, 0]) & (v <= bounds.upper[:, 0])).sum())

    return bounds, float_map, inside(float_map), inside(bounds.float_ftle[:, 0])


def first_loss_hopf(study):
    """The Hopf point of a gain study at which ``x = 0`` first loses stability, with its proof, when it is proven
    supercritical (``l1`` proven negative): ``((hopf, proof), "")``; else ``(None, why not)``. The loss of stability
    is read from the branch's count of unstable eigenvalues (:meth:`~neurodyn.Branch.first_loss_of_stability`):
    it must go from 0 to 2 at a Hopf point; the cycles born there on the side where the normal form puts them are
    the candidates for stable cycles."""
    change = study.branch.first_loss_of_stability()
    if change is None:
        return None, "x = 0 does not lose stability on the branch"
    point = change.point
    if change.before != 0 or point is None or point.kind != "hopf" or change.after != 2:
        where = f"at a {point.kind} point at g = {point.value:.4g}" if point is not None else (
            f"between g = {change.left:.4g} and {change.right:.4g}")
        return None, (f"x = 0 first loses stability {where} ({change.before} -> {change.after} unstable "
                      "eigenvalues), not at a Hopf point of a stable equilibrium: the cycles born at its Hopf points "
                      "keep an unstable direction")
    k = next(i for i, h in enumerate(study.hopf) if h is point.hopf)
    proof = study.proofs[k]
    if not (proof.proved and proof.bounds.get("l1") and proof.bounds["l1"][1] < 0):
        return None, (f"the Hopf point at g = {point.value:.6g} where x = 0 first loses stability is not proven "
                      "supercritical (l1 < 0)")
    return (point.hopf, proof), ""


def _orbit_part(study, offset: float):
    """The orbit ``offset`` beyond the Hopf point where ``x = 0`` first loses stability, proven supercritical, on
    the side of the cycles, and its proof: ``(hopf, hopf proof, orbit, proof, note)``."""
    import neurodyn as nd

    chosen, note = first_loss_hopf(study)
    if chosen is None:
        return None, None, None, None, note
    h, p = chosen
    side = 1.0 if -h.crossing / h.l1 > 0 else -1.0  # where the normal form puts the cycles
    try:
        orbit = nd.periodic_orbit(study.family, h, at=h.value + side * offset)
    except NeurodynError as exc:
        return h, p, None, None, f"no float orbit at g = {h.value + side * offset:.6g}: {exc}"
    proof = nd.prove_periodic_orbit(study.family, orbit)
    return h, p, orbit, proof, "" if proof.proved else proof.reason


def proven_ftle_and_orbit(model, X, study, *, grid: int = 12, offset: float = 0.01, order: int = 10,
                          tol: float = 1e-12) -> ProvenDynamics:
    """Proven FTLE bounds of a trained two-moons neural ODE over a grid, and the proof of the periodic orbit born
    at the Hopf point where ``x = 0`` of a gain study first loses stability (when it is proven supercritical).

    FTLE part: :func:`neurodyn.prove_ftle` (C^1 Lohner enclosure of ``D phi_T``, Weyl bounds on its singular
    values) of the leading FTLE of the classifier's flow map at horizon ``model.t``, on a ``grid x grid`` grid
    over the bounding box of ``X`` widened by 0.3, against the classifier's own float FTLE map
    (``model.ftle``) and :func:`neurodyn.ftle` at step 0.01. Orbit part: :func:`neurodyn.periodic_orbit` at
    ``g* + offset`` on the side of the cycles (``-crossing / l1``), then :func:`neurodyn.prove_periodic_orbit`
    (existence, period, Floquet multipliers and orbital stability, or the reason it is not proved); the Hopf point
    is chosen by :func:`first_loss_hopf` (no orbit when ``x = 0`` first loses stability elsewhere: a study from
    :func:`neurodyn.validated.hopf_first_seed` has such a point).

    Args:
        model: a trained :class:`neurodyn.models.NeuralODEClassifier` on 2-D inputs without augmentation (e.g.
            from :func:`neurodyn.models.train_moons_classifier`). X: ``(N, 2)`` inputs that set the grid's box.
        study: a :class:`~neurodyn.validated.GainBifurcations` (:func:`neurodyn.validated.tanh_gain_bifurcations`;
            its cycles are not used, ``max_cycles=1`` will do).
        grid: points per axis (default 12). offset: distance in ``g`` from the Hopf point (default 0.01).
        order, tol: the integrator's Taylor order and step remainder for the FTLE bounds (defaults 10, 1e-12:
            widths of about 1e-9 on the demo's classifier, each grid point taking its own steps).

    Returns:
        A :class:`ProvenDynamics` with ``.plot()``.

    See also:
        :func:`neurodyn.prove_ftle`, :func:`neurodyn.prove_periodic_orbit`, :func:`neurodyn.prove_hopf_points`.
    """
    if not (isinstance(grid, int) and grid >= 2):
        raise InvalidInputError(f"grid must be an integer >= 2 (points per axis), got {grid!r}")
    if not offset > 0:
        raise InvalidInputError(f"offset must be > 0 (distance in g from the Hopf point), got {offset!r}")
    t0 = time.process_time()
    bounds, float_map, inside_map, inside_fine = _ftle_part(model, torch.as_tensor(X), grid, order, tol)
    t1 = time.process_time()
    h, hopf_proof, orbit, proof, note = _orbit_part(study, offset)
    t2 = time.process_time()
    ok = bool(bounds.proved.all()) and proof is not None and proof.proved
    return ProvenDynamics(grid=grid, bounds=bounds, float_map=float_map, inside_map=inside_map,
                          inside_fine=inside_fine, hopf_g=None if h is None else h.value,
                          hopf_l1=None if hopf_proof is None else hopf_proof.bounds["l1"], hopf_proof=hopf_proof,
                          study_seed=study.seed, family=study.family.name, orbit=orbit, orbit_proof=proof,
                          orbit_note=note, seconds={"ftle": t1 - t0, "orbit": t2 - t1},
                          status=Status.PROVED if ok else Status.NOT_PROVED)
