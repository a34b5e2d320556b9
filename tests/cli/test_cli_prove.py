"""`neurodyn prove`: every Hopf point of the tanh family proven at the exact eigenvalues of A, the leaky rotation's
closed-form l1 enclosed, equilibria with their stability, and one-line errors for bad input."""

import json

import numpy as np
import torch
from flint import arb, ctx
from typer.testing import CliRunner

from neurodyn.cli import app

runner = CliRunner()


def run(args):
    res = runner.invoke(app, ["prove", *args])
    return res, res.output


def test_every_hopf_point_of_the_tanh_family_is_proven_at_the_exact_eigenvalue(tmp_path):
    res, out = run(["hopf", "--n", "8", "--seed", "3", "--out", str(tmp_path)])
    assert res.exit_code == 0, out
    data = json.loads((tmp_path / "prove.json").read_text())
    assert (tmp_path / "prove.png").stat().st_size > 10_000
    A = np.array(data["system"]["A"])
    lam = np.linalg.eigvals(A)
    pairs = lam[lam.imag > 0]
    assert len(data["proofs"]) == len(pairs) and f"proved {len(pairs)} of {len(pairs)} Hopf points" in out
    # the table is never cut at the terminal's width: every l1 midpoint appears whole (exponent included)
    assert "…" not in out
    for p in data["proofs"]:
        lo, hi = float(p["bounds"]["l1"]["lower"]), float(p["bounds"]["l1"]["upper"])
        assert f"{0.5 * (lo + hi):.8g}" in out
    for p in data["proofs"]:
        assert p["proved"] and p["conclusion"] in ("supercritical", "subcritical")
        lo, hi = p["bounds"]["alpha"]["lower"], p["bounds"]["alpha"]["upper"]
        # alpha = -Re(lambda): the decimal bounds hold exactly one pair (eigenvalues to 1e-14, bounds ~1e-16 wide)
        hits = [mu for mu in pairs if float(lo) - 1e-13 <= -mu.real <= float(hi) + 1e-13]
        assert len(hits) == 1
        # l1 from the closed form at 60 digits: inside the proven decimal bounds, no slack
        l1 = _l1_closed_form(data["system"]["A"], hits[0])
        with ctx.workprec(300):
            assert bool(arb(p["bounds"]["l1"]["lower"]) <= arb(l1)) and bool(arb(l1) <= arb(p["bounds"]["l1"]["upper"]))


def _l1_closed_form(A, mu) -> str:
    """First Lyapunov coefficient of dx/dt = tanh((A + alpha I) x) at its Hopf point alpha = -Re(mu), computed
    independently at 60 digits: tanh is odd, so the quadratic term vanishes and (Kuznetsov, q^H q = 1, p^H q = 1)
    l1 = Re <p, C(q, q, conj q)> / (2 omega), with C(u, v, w)_i = -2 (Mu)_i (Mv)_i (Mw)_i (the third derivative of
    tanh at 0 is -2), M = A + alpha I, M q = i omega q, M^T p = -i omega p."""
    import mpmath

    with mpmath.workdps(60):
        M0 = mpmath.matrix([[mpmath.mpf(float(v)) for v in row] for row in A])
        ev, Q = mpmath.eig(M0)
        k = min(range(len(ev)), key=lambda j: abs(complex(ev[j]) - mu))
        lam = ev[k]
        alpha, omega = -mpmath.re(lam), mpmath.im(lam)
        n = M0.rows
        M = M0 + alpha * mpmath.eye(n)
        q = Q[:, k]
        q = q / mpmath.sqrt(sum(abs(q[i]) ** 2 for i in range(n)))
        evt, P = mpmath.eig(M0.T)
        j = min(range(len(evt)), key=lambda j: abs(evt[j] - mpmath.conj(lam)))
        p = P[:, j]
        p = p / mpmath.conj(sum(mpmath.conj(p[i]) * q[i] for i in range(n)))  # p^H q = 1
        Mq = M * q
        C = [-2 * Mq[i] * Mq[i] * mpmath.conj(Mq[i]) for i in range(n)]
        l1 = mpmath.re(sum(mpmath.conj(p[i]) * C[i] for i in range(n))) / (2 * omega)
        return mpmath.nstr(l1, 50)


def test_leaky_rotation_l1_is_enclosed_by_the_decimal_bounds(tmp_path):
    omega = 2.0
    res, out = run(["hopf", "--family", "leaky-rotation", "--omega", str(omega), "--at", "0.2", "--out",
                    str(tmp_path)])
    assert res.exit_code == 0, out
    (p,) = json.loads((tmp_path / "prove.json").read_text())["proofs"]
    with ctx.workprec(200):
        l1 = -(1 + arb(omega) ** 2) / (2 * arb(omega))
        assert bool(arb(p["bounds"]["l1"]["lower"]) <= l1) and bool(l1 <= arb(p["bounds"]["l1"]["upper"]))
    assert p["conclusion"] == "supercritical" and "proved 1 of 1 Hopf points" in out


def test_equilibria_of_a_network_with_their_stability(tmp_path):
    res, out = run(["equilibria", "--family", "network", "--n", "10", "--gain", "2", "--starts", "64", "--out",
                    str(tmp_path)])
    assert res.exit_code == 0, out
    data = json.loads((tmp_path / "prove.json").read_text())
    W, b = (torch.tensor(data["system"][k], dtype=torch.float64) for k in ("W", "b"))
    eqs = [p for p in data["proofs"] if p["kind"] == "equilibrium"]
    stab = [p for p in data["proofs"] if p["kind"] == "stability"]
    assert len(eqs) >= 2 and all(p["proved"] for p in eqs) and len(stab) == len(eqs)
    for e, s in zip(eqs, stab, strict=True):
        x = torch.tensor([float(v) for v in e["center"]], dtype=torch.float64)
        assert float((torch.tanh(W @ x + b) - x).abs().max()) < 1e-12
        # the float spectrum of the Jacobian agrees with the proven conclusion
        J = (1 - torch.tanh(W @ x + b) ** 2)[:, None] * W - torch.eye(10, dtype=torch.float64)
        top = float(torch.linalg.eigvals(J).real.max())
        assert s["conclusion"] == ("stable" if top < 0 else "unstable")
    assert f"proved {len(eqs)} of {len(eqs)} equilibria" in out


def test_bad_input_gets_one_line(tmp_path):
    for args, words in [(["hopf", "--family", "network"], "no parameter"),
                        (["equilibria", "--backend", "double"], "unknown interval backend"),
                        (["orbits"], "unknown target"),
                        (["hopf", "--family", "lorenz"], "unknown family")]:
        res, out = run([*args, "--out", str(tmp_path)])
        assert res.exit_code == 2 and words in out and "Traceback" not in out
