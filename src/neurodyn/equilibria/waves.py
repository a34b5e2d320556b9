"""Waves of starts until the search saturates, and the record of how complete it looks."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import torch

from neurodyn.equilibria.roots import Roots, chao1
from neurodyn.equilibria.stages import Search, Wave, run_wave
from neurodyn.equilibria.starts import Starts
from neurodyn.results import Result


@dataclass(frozen=True)
class Saturation(Result):
    """How complete a fixed-point search looks.

    The roots are counted like species in a capture-recapture survey: every start that ends at a root (by a
    plain or a deflated solve) "captures" it. Chao's (1984) estimator ``S_obs + f1^2 / (2 f2)`` (``f1``, ``f2``:
    roots captured once, twice) is a lower-bound estimate of how many roots the starts' distribution can
    reach; roots no start distribution reaches (outside the searched region) are not counted.

    Attributes:
        saturated: the search stopped because every root found was reached by at least two starts (``f1 = 0``:
            the Good-Turing estimate of the chance that another start finds a new root is 0), or because the last
            ``patience`` waves of new starts found no new root. False: the start budget (``max_starts``) ran out
            while waves still found roots, or the starts were given (no more can be drawn) and ``f1 > 0``.
        reason: that in words.
        waves: waves of starts solved (the first included); starts: starts solved in all.
        new_roots: per wave, how many roots it found that no earlier wave had (inside ``count_box`` when given).
        singletons, doubletons: ``f1``, ``f2``.
        estimated_total: the Chao1 estimate of the number of roots (``>= `` the number found).
    """

    saturated: bool
    reason: str
    waves: int
    starts: int
    new_roots: list[int]
    singletons: int
    doubletons: int
    estimated_total: float


def search_in_waves(search: Search, first: Starts, gen: torch.Generator,
                    on_finished: Callable[[int], None] | None) -> tuple[list[Wave], Saturation]:
    """Solve the first starts, then waves of ``n_starts`` new ones drawn the same way (the known roots may be
    joined, so starts in their basins cost little; starts that find no root give up early), until ``patience``
    waves in a row find no new root or ``max_starts`` starts are spent."""
    s = search.settings
    waves = [run_wave(search, first.x, Roots.empty(first.x), on_finished)]
    total, quiet = len(first.x), 0
    hunt = dataclasses.replace(search, hunting=True)
    while True:
        f1, f2, estimate = chao1(waves[-1].roots.hits)
        if first.sampler is None:
            saturated = f1 == 0
            reason = ("every root found was reached by at least two of the given starts" if saturated else
                      "some roots were reached by one of the given starts only") + " (no more starts can be drawn)"
        elif quiet >= s.patience:
            saturated, reason = True, f"the last {quiet} waves of {s.n_starts} new starts found no new root"
        elif total >= s.max_starts:
            saturated, reason = False, f"the budget of max_starts = {s.max_starts} starts ran out"
        else:
            k = min(s.n_starts, s.max_starts - total)
            wave = run_wave(hunt, first.sampler.draw(k, gen), waves[-1].roots, on_finished)
            waves.append(wave)
            total, quiet = total + k, quiet + 1 if wave.new == 0 else 0
            continue
        break
    return waves, Saturation(saturated, reason, len(waves), total, [w.new for w in waves], f1, f2, estimate)
