"""The report's sentences are generated from the results they describe: contrasting bifurcation diagrams (Hopf
point first or branch point first, supercritical or subcritical) give contrasting text, and the figure's line
styles agree with it; quick mode and convergence notes are stated next to the numbers they concern."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import neurodyn as nd  # noqa: E402
from neurodyn.report.bifurcation import describe_bifurcations, figure_caption  # noqa: E402
from neurodyn.report.notes import KeyNumber, convergence_note  # noqa: E402


def _diagram(system, param, start, stop, cycle_stop, n_cycles=6):
    branch = nd.continue_equilibria(system, param=param, start=start, stop=stop, step=0.05)
    hopf = next(s.hopf for s in branch.special if s.kind == "hopf")
    orbits = nd.continue_periodic_orbits(system, hopf, stop=cycle_stop, step=0.05, max_points=n_cycles,
                                         steps_per_period=200)
    return branch, orbits


def _styles(branch, orbits):
    """Line styles the diagram uses for the equilibrium (C0) and for the cycles (C1)."""
    fig, ax = plt.subplots()
    try:
        branch.plot(ax=ax, orbits=[orbits])
        lines = [ln for ln in ax.lines if len(ln.get_xdata()) == 2]
        eq = {ln.get_linestyle() for ln in lines if ln.get_color() == "C0"}
        cyc = {ln.get_linestyle() for ln in lines if ln.get_color() == "C1"}
    finally:
        plt.close(fig)
    return eq, cyc


def test_hopf_first_supercritical_stable_cycle():
    # -x + tanh(((1 + alpha) I + J) x): the Jacobian at 0 is alpha I + J, a supercritical Hopf point at alpha = 0
    system = nd.tanh_family(torch.tensor([[1.0, -1.0], [1.0, 1.0]], dtype=torch.float64), leak=1.0)
    branch, orbits = _diagram(system, "alpha", -0.5, 0.5, 0.5)
    text = " ".join(describe_bifurcations(branch, [orbits], what="x = 0"))
    assert "first loses stability at alpha = " in text and "at a Hopf point" in text
    assert "supercritical" in text and "other unstable" not in text
    assert "are stable along" in text and "drawn solid" in text
    eq, cyc = _styles(branch, orbits)
    assert eq == {"-", "--"} and cyc == {"-"}
    assert "cycles from the Hopf point at alpha = 0 (solid: stable)" in figure_caption(branch, [orbits], what="x = 0")


def test_branch_point_first_then_an_unstable_cycle():
    # -x + tanh(g M x), M = [[0.5, -1, 0], [1, 0.5, 0], [0, 0, 1]]: a real eigenvalue crosses at g = 1 (branch
    # point), the complex pair at g = 2 (Hopf) on an already unstable equilibrium
    M = torch.tensor([[0.5, -1.0, 0.0], [1.0, 0.5, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    system = nd.tanh_family(torch.zeros(3, 3, dtype=torch.float64), direction=M, leak=1.0, param="g")
    branch, orbits = _diagram(system, "g", 0.0, 3.0, 3.0)
    text = " ".join(describe_bifurcations(branch, [orbits], what="x = 0"))
    assert "first loses stability at g = 1, at a branch point" in text
    assert "At the Hopf point g = 2 " in text and "1 other unstable eigenvalue(s)" in text
    assert "are unstable along" in text and "drawn dashed" in text
    eq, cyc = _styles(branch, orbits)
    assert eq == {"-", "--"} and cyc == {"--"}
    assert "(dashed: unstable)" in figure_caption(branch, [orbits], what="x = 0")


def test_subcritical_hopf_gives_an_unstable_cycle_and_says_so():
    # the normal form dz/dt = (alpha + i) z + |z|^2 z: a subcritical Hopf point at alpha = 0 (l1 = 1 > 0)
    def field(t, x, p):
        r2 = (x ** 2).sum(-1, keepdim=True)
        a = p["alpha"]
        return torch.stack([a * x[..., 0] - x[..., 1], x[..., 0] + a * x[..., 1]], -1) + r2 * x

    system = nd.Flow(field, 2, params={"alpha": torch.tensor(-0.5, dtype=torch.float64)}, name="subcritical")
    branch, orbits = _diagram(system, "alpha", -0.5, 0.5, -0.3)
    text = " ".join(describe_bifurcations(branch, [orbits], what="x = 0"))
    assert "at a Hopf point" in text and "subcritical" in text and "l1 = " in text and "> 0" in text
    assert "are unstable along" in text
    eq, cyc = _styles(branch, orbits)
    assert cyc == {"--"}


def test_quick_mode_marks_every_affected_key_number():
    k = KeyNumber("stable fixed points", "4", "8 = 2^3 memories", None)
    assert k.row(False)[2] == "8 = 2^3 memories"
    assert k.row(True)[2].startswith("not evaluated in quick mode")
    relaxed = KeyNumber("λ1", "0.92", "0.9056", "0.9056 within 0.05")
    assert relaxed.row(True)[2].startswith("quick mode: 0.9056 within 0.05")
    assert "checked in quick mode too" in KeyNumber("x", "1", "< 2").row(True)[2]


def test_convergence_notes_only_where_the_drift_exceeds_the_standard_error():
    from dataclasses import replace

    spec = nd.lyapunov_spectrum(nd.henon(), steps=2000, transient=100, tangent_transient=100, batch=4, seed=0)
    assert spec.status == "converged" and convergence_note(spec) == ""

    def with_diagnostic(drift, stderr):
        t = torch.tensor
        return replace(spec, status="unconverged", drift=t([drift, drift], dtype=torch.float64),
                       stderr=t([stderr, stderr], dtype=torch.float64))

    assert convergence_note(with_diagnostic(0.004, 0.01)) == ""  # drift within its standard error: not flagged
    note = convergence_note(with_diagnostic(0.05, 0.01), raise_what="lorenz_steps")
    assert "moved by 0.05 nats/step" in note and "standard error 0.01" in note and "raise lorenz_steps" in note
    one = convergence_note(with_diagnostic(0.05, math.nan))
    assert "no standard error" in one
