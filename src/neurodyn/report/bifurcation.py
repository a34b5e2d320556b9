"""Sentences about a bifurcation diagram, generated from the branch and cycle results they describe (the facts
come from :meth:`~neurodyn.continuation.Branch.first_loss_of_stability`,
:meth:`~neurodyn.continuation.Branch.unstable_besides` and :attr:`~neurodyn.continuation.OrbitBranch.stability`;
this module only words them).

Nothing here is written in advance: where the equilibrium first loses stability and through which kind of
point (a branch point, where a real eigenvalue crosses zero; a fold; or a Hopf point, where a complex pair
crosses the imaginary axis), how many unstable directions the equilibrium already has at each Hopf point, the
sign of the first Lyapunov coefficient, and whether the cycles born there are stable (Floquet multipliers),
with the line style the figure uses for each.
"""

from __future__ import annotations

KIND_WORDS = {
    "branch": "a branch point (a real eigenvalue crosses zero and other equilibria branch off)",
    "fold": "a fold (two equilibria meet and disappear)",
    "hopf": "a Hopf point (a pair of complex eigenvalues crosses the imaginary axis and cycles are born)",
}


def _num(v: float, digits: int = 4) -> str:
    """A parameter value for the text: ``digits`` significant digits, rounding noise below 1e-10 to 0."""
    return f"{round(float(v), 10) + 0.0:.{digits}g}"


def _cap(what: str) -> str:
    """``what`` at the start of a sentence (a formula such as ``x = 0`` keeps its case)."""
    return what[:1].upper() + what[1:] if what.startswith("the ") else what


def describe_bifurcations(branch, orbits=(), *, what: str = "the equilibrium") -> list[str]:
    """Sentences describing ``branch`` (a :class:`~neurodyn.Branch`) and the cycle branches ``orbits``
    (:class:`~neurodyn.continuation.cycles.OrbitBranch`), each generated from those results.

    See also: :func:`figure_caption`, which states the line styles the diagram uses for the same data.
    """
    p = branch.param
    start, n0 = float(branch.values[0]), int(branch.n_unstable[0])
    out = []
    change = branch.first_loss_of_stability()
    if n0 > 0:
        out.append(f"{_cap(what)} is already unstable at {p} = {_num(start)} ({n0} eigenvalue(s) with positive "
                   "real part).")
    elif change is None:
        out.append(f"{_cap(what)} stays stable over the whole range traced, {p} from {_num(start)} to "
                   f"{_num(float(branch.values[-1]))}.")
    if change is not None and n0 == 0:
        where = (f"at {p} = {_num(change.point.value)}, " if change.point is not None
                 else f"between {p} = {_num(change.left)} and {_num(change.right)}, ")
        how = KIND_WORDS.get(getattr(change.point, "kind", None), "a point the event detection did not classify")
        out.append(f"{_cap(what)} is stable from {p} = {_num(start)} and first loses stability {where}"
                   f"at {how}.")
    for s in (s for s in branch.special if s.kind == "hopf"):
        h = s.hopf
        sign = "< 0" if h.l1 < 0 else "> 0" if h.l1 > 0 else "= 0"
        sentence = (f"At the Hopf point {p} = {_num(h.value)} (frequency ω = {_num(h.omega)}) the first Lyapunov "
                    f"coefficient is l1 = {_num(h.l1, 3)} {sign}: {h.kind}")
        extra = branch.unstable_besides(s)
        if extra:
            sentence += (f"; {what} there already has {extra} other unstable eigenvalue(s), so every cycle born "
                         "there is unstable whatever the sign of l1")
        out.append(sentence + ".")
    for ob in orbits:
        kind = ob.stability
        born = f"The cycles born at {p} = {_num(ob.hopf.value)}"
        if kind == "mixed":
            first = next(float(v) for v, st in zip(ob.values.tolist(), ob.stable.tolist(), strict=True)
                         if st != bool(ob.stable[0]))
            out.append(f"{born} are {'stable' if bool(ob.stable[0]) else 'unstable'} at first and change "
                       f"stability near {p} = {_num(first)} (drawn solid where stable, dashed where unstable).")
        else:
            out.append(f"{born} are {kind} along the {len(ob.values)} orbits computed (by their Floquet "
                       f"multipliers; drawn {'solid' if kind == 'stable' else 'dashed'}).")
    return out


def figure_caption(branch, orbits=(), *, what: str = "the equilibrium") -> str:
    """The diagram's caption: what is drawn, in which line style, for this data."""
    p = branch.param
    st = branch.stable.tolist()
    vals = branch.values.tolist()
    if all(st):
        eq = f"{what} (solid: stable throughout)"
    elif not any(st):
        eq = f"{what} (dashed: unstable throughout)"
    else:
        i = st.index(not st[0])
        change = branch.first_loss_of_stability() if st[0] else None
        at = change.point.value if change is not None and change.point is not None else vals[i]
        eq = (f"{what} ({'solid' if st[0] else 'dashed'} up to {p} ≈ {_num(at, 3)}, "
              f"{'solid' if not st[0] else 'dashed'} after; solid means stable)")
    parts = [f"Bifurcation diagram: |x| of {eq}"]
    for ob in orbits:
        kind = ob.stability
        style = {"stable": "solid: stable", "unstable": "dashed: unstable", "mixed": "solid where stable, dashed "
                 "where unstable"}[kind]
        parts.append(f"max |x(t)| of the cycles from the Hopf point at {p} = {_num(ob.hopf.value)} ({style})")
    return "; ".join(parts) + "."
