"""Classify an attractor by the signs of its Lyapunov spectrum, each sign decided against its standard error.

With ``s = sigmas * stderr + drift`` (``drift = |lambda(T) - lambda(T/2)|``, so that a sign holds for the
estimates at both ``T/2`` and ``T``) and the zero band ``z`` (see :class:`~neurodyn.attractors.AttractorSettings`), an
exponent is ``+`` when ``lambda - s > z``, ``-`` when ``lambda + s < -z``, ``0`` when ``|lambda| <= s + z`` and
``s <= z``, and ``?`` otherwise (too noisy to tell zero from nonzero). Then (Eckmann & Ruelle, Rev. Mod. Phys. 57,
1985; Wolf et al., Physica D 16, 1985):

- ``chaotic``: the largest exponent is ``+`` (the others need not be decided);
- ``equilibrium``: all ``-``; ``limit cycle``: one ``0``, the rest ``-``; ``torus``: two or more ``0``, the rest ``-``;
- ``unknown`` otherwise (an exponent ``?``: status ``unconverged``), or when the spectrum run was too short to judge
  or diverged (that status), never a guess.

The spectrum's own status (its drift test, ``spectrum.status``) is kept with it; the classification needs only
that every sign it reads holds within the widened error ``s``, so a spectrum whose estimates still drift by
less than that decides the kind.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import torch

from neurodyn.attractors.grouping import Group
from neurodyn.attractors.settings import AttractorSettings
from neurodyn.errors import ConvergenceWarning, DivergenceError
from neurodyn.lyapunov import LyapunovSpectrum, lyapunov_spectrum
from neurodyn.results import Status
from neurodyn.systems.protocol import Flow

CONVERGENCE_TOL = 1e-3  # lyapunov_spectrum's default drift tolerance (nats per time unit): the spectrum's own status
KINDS = ("equilibrium", "limit cycle", "torus", "chaotic", "unknown")


@dataclass(frozen=True)
class Classification:
    """The verdict on one attractor: ``kind`` (one of :data:`KINDS`), ``status``, ``reason`` (why, in words),
    ``signs`` (one of ``+ 0 - ?`` per exponent), the zero band ``zero_tol`` (nats per time unit) and the
    spectrum (``None`` when it diverged before anything was measured)."""

    kind: str
    status: Status
    reason: str
    signs: str
    zero_tol: float
    spectrum: LyapunovSpectrum | None


def lyapunov_members(group: Group, s: AttractorSettings) -> torch.Tensor:
    """The up to ``lyapunov_batch`` members (start indices) whose trajectories the spectrum and the zero band use:
    evenly spread over the group (its first and last member included)."""
    members = group.members
    return members[torch.linspace(0, len(members) - 1, min(len(members), s.lyapunov_batch)).round().long()]


def measure_spectrum(system: Flow, path: torch.Tensor, group: Group, s: AttractorSettings, seed: int,
                     progress: bool = False) -> LyapunovSpectrum | None:
    """The Lyapunov spectrum averaged over up to ``lyapunov_batch`` members (evenly spread over the group), from
    their final recorded states; ``None`` when the run diverged before measuring."""
    x0 = path[lyapunov_members(group, s).to(path.device), -1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the verdict carries the status
        try:
            return lyapunov_spectrum(system, x0=x0, steps=s.steps(s.lyapunov_time), dt=s.dt, method=s.method,
                                     tangent_transient=s.steps(s.tangent_transient), qr_every=s.qr_every, seed=seed,
                                     convergence_tol=CONVERGENCE_TOL, strict=False, progress=progress)
        except DivergenceError:
            return None


def zero_band(system: Flow, path: torch.Tensor, group: Group, s: AttractorSettings) -> float:
    """The band of exponents that count as zero (see :class:`~neurodyn.attractors.AttractorSettings`), from the
    speeds along the recorded windows of the members the spectrum is measured on (:func:`lyapunov_members`)."""
    if s.zero_tol is not None:
        return s.zero_tol
    T = s.steps(s.lyapunov_time) * s.dt
    if group.point is not None:
        return 1.0 / T
    with torch.no_grad():
        speed = torch.linalg.vector_norm(system.f(path[lyapunov_members(group, s).to(path.device)]), dim=-1)
    lo, hi = float(speed.min()), float(speed.max())
    if not lo > 0:
        return 1.0 / T
    return (1.0 + math.log(hi / lo)) / T


def signs(spectrum: LyapunovSpectrum, sigmas: float, z: float) -> str:
    """One of ``+ 0 - ?`` per exponent (see the module docstring)."""
    out = []
    for lam, se, drift in zip(spectrum.exponents.tolist(), spectrum.stderr.tolist(), spectrum.drift.tolist(),
                              strict=True):
        e = sigmas * se + drift if math.isfinite(se) and math.isfinite(drift) else math.inf
        if lam - e > z:
            out.append("+")
        elif lam + e < -z:
            out.append("-")
        elif abs(lam) <= e + z and e <= z:
            out.append("0")
        else:
            out.append("?")
    return "".join(out)


def classify(system: Flow, path: torch.Tensor, group: Group, s: AttractorSettings, seed: int,
             progress: bool = False) -> Classification:
    """Measure the spectrum of ``group``'s attractor (with a progress bar if ``progress``) and read its kind off the
    signs."""
    spectrum = measure_spectrum(system, path, group, s, seed, progress)
    z = zero_band(system, path, group, s)
    if spectrum is None:
        return Classification("unknown", Status.DIVERGED, "the Lyapunov run diverged before measuring; lower dt",
                              "", z, None)
    sg = signs(spectrum, s.sigmas, z)
    if group.stationary:
        return Classification("unknown", Status.UNCONVERGED, f"the trajectories stop at a point that is not a stable "
                              f"equilibrium (signs {sg}): a saddle reached from a set of starts of measure zero, or a "
                              "non-isolated equilibrium; not an attractor", sg, z, spectrum)
    if spectrum.status not in (Status.CONVERGED, Status.UNCONVERGED):
        return Classification("unknown", spectrum.status, f"the Lyapunov spectrum is {spectrum.status.value}; "
                              "increase lyapunov_time", sg, z, spectrum)
    if sg[0] == "+":
        return Classification("chaotic", Status.CONVERGED, f"lambda_1 = {float(spectrum.exponents[0]):.4g} > 0 "
                              f"beyond {s.sigmas:g} standard errors and the zero band {z:.2g}", sg, z, spectrum)
    if "?" in sg or "+" in sg:
        i = (sg.index("?") if "?" in sg else sg.index("+"))
        return Classification("unknown", Status.UNCONVERGED, f"lambda_{i + 1} = {float(spectrum.exponents[i]):.3g} "
                              f"+- {float(spectrum.stderr[i]):.2g} is neither clearly nonzero nor within the zero band "
                              f"{z:.2g} (counting its drift {float(spectrum.drift[i]):.2g}); increase lyapunov_time",
                              sg, z, spectrum)
    zeros = sg.count("0")
    kind = {0: "equilibrium", 1: "limit cycle"}.get(zeros, "torus")
    if (kind == "equilibrium") != (group.point is not None):
        where = ("no equilibrium was found where its trajectories end (they still move: increase transient)"
                 if group.point is None else "its trajectories end at a stable equilibrium")
        return Classification("unknown", Status.UNCONVERGED, f"the spectrum's signs ({sg}) say {kind} but {where}",
                              sg, z, spectrum)
    return Classification(kind, Status.CONVERGED, f"signs {sg} (zero band {z:.2g}, {s.sigmas:g} standard errors)",
                          sg, z, spectrum)
