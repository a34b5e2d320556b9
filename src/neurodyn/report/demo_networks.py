"""The demo's sections on recurrent networks and a reference flow: a GRU trained on the 3-bit flip-flop task
(memories as stable fixed points, its Lyapunov spectrum), random tanh networks across the order-to-chaos
transition against mean-field theory, and the Lorenz system against published exponents."""

from __future__ import annotations

import time

import torch

import neurodyn as nd
from neurodyn.data import flip_flop
from neurodyn.report.html import FIXED_POINT_HEADER, Section, figure_png, fixed_point_rows
from neurodyn.report.notes import KeyNumber, convergence_note

LORENZ_PUBLISHED = (0.9056, 0.0, -14.5723)  # Sprott, Chaos and Time-Series Analysis (2003)


def flip_flop_sections(s, run) -> list[Section]:
    """Train the flip-flop GRU, find its fixed points and its Lyapunov spectrum (``s``: DemoSettings; ``run``:
    the demo's :class:`~neurodyn.report.demo.DemoRun`)."""
    from neurodyn.models import train_flip_flop

    t0 = time.perf_counter()
    trained = train_flip_flop(n_bits=3, hidden=s.hidden, iterations=s.train_iterations, seed=s.seed)
    gru = trained.model.rnn
    run.log(f"trained GRU({s.hidden}) on the 3-bit flip-flop task: accuracy {trained.accuracy:.4f}")
    gen = torch.Generator().manual_seed(s.seed + 1)
    inputs, _ = flip_flop(3, batch=32, steps=100, generator=gen)
    fp = nd.find_fixed_points(gru, inputs=inputs, n_starts=s.n_starts, seed=s.seed)
    run.results["gru_fixed_points"] = fp
    stable = fp.fixed.stable
    with torch.no_grad():
        bits = torch.sign(trained.model.readout(stable.points.float())).int().tolist()
    run.log(f"fixed points: {fp}")
    patterns = sorted({tuple(b) for b in bits})
    run.key.append(KeyNumber("flip-flop GRU: stable fixed points", str(len(stable)), "8 = 2^3 memories", None))
    run.key.append(KeyNumber("flip-flop GRU: distinct bit patterns stored", str(len(patterns)), "8", None))
    dims = [int(fp.fixed.n_unstable[i]) for i, st in enumerate(fp.fixed.stability) if st.startswith("saddle")]
    by_dim = ", ".join(f"{dims.count(d)} with {d}" for d in sorted(set(dims)))
    run.key.append(KeyNumber("flip-flop GRU: saddles by unstable dimension", f"{len(dims)}: {by_dim}",
                             "a cube's 12 edges, 6 faces, 1 centre: 12 with 1, 6 with 2, 1 with 3", None))

    drive, _ = flip_flop(3, batch=8, steps=s.gru_steps + 100, generator=gen)
    spec = nd.lyapunov_spectrum(gru, inputs=drive.double(), transient=50, tangent_transient=50, qr_every="auto")
    run.results["gru_lyapunov"] = spec
    run.key.append(KeyNumber("flip-flop GRU: largest Lyapunov exponent (task inputs)",
                             f"{spec.maximal:+.4f} ± {float(spec.stderr[0]):.4f} nats/step", "< 0: a stable memory",
                             note=convergence_note(spec, raise_what="gru_steps")))
    run.log(f"GRU Lyapunov spectrum: {spec}")
    statement = (f"The trained GRU has {len(stable)} stable fixed points at zero input, storing {len(patterns)} "
                 f"distinct bit patterns; every reported point satisfies |h' - h| <= 1e-10.")
    quick = (f" Quick mode: {s.train_iterations} training iterations, too few for the task to be learned fully, "
             "so the count of memories is not checked.") if run.quick else ""
    return [
        Section(
            "Fixed points of a GRU trained on the 3-bit flip-flop task",
            f"A GRU with {s.hidden} units learned to hold three bits (sign accuracy {trained.accuracy:.4f} on "
            f"held-out sequences, {time.perf_counter() - t0:.0f} s including the analyses). Its memories should be "
            "stable fixed points of the zero-input dynamics, separated by saddles. find_fixed_points solved "
            f"{s.n_starts} starts (half on task-driven trajectories, half inside their hull and bounding box) "
            "with a batched trust-region Newton method; the figure projects the points on the trajectories' two "
            "leading principal components." + quick,
            figures=[("Fixed points (colour: stability; saddles labelled by unstable dimension) and trajectories",
                      figure_png(lambda ax: fp.plot(ax=ax), size=(7, 5.5)))],
            header=FIXED_POINT_HEADER[fp.kind], rows=fixed_point_rows(fp), statement=statement,
        ),
        Section(
            "Lyapunov spectrum of the trained GRU",
            f"All exponents of the GRU driven by flip-flop input sequences (QR method, mean over 8 sequences ± "
            f"standard error, status: {spec.status}). "
            + ("Negative exponents mean nearby states converge: the network forgets perturbations and keeps its "
               "memory." if spec.maximal < 0 else "The largest exponent is not negative: perturbations of the "
               "state do not all die out under these inputs."),
            figures=[("Lyapunov spectrum (nats per step)", figure_png(lambda ax: spec.plot(ax=ax, kind="spectrum")))],
            notes=[n for n in (convergence_note(spec, raise_what="gru_steps"),) if n],
        ),
    ]


GAINS = (0.5, 0.8, 1.2, 1.6, 2.0, 2.5, 3.0)


def random_rnn_section(s, run) -> Section:
    """The largest exponent of random tanh networks against mean-field theory, across the gain."""
    rows, measured, theory = [], [], []
    for g in GAINS:
        res = nd.max_lyapunov(nd.random_tanh_rnn(s.rnn_n, g, seed=s.seed), steps=s.rnn_steps, transient=200,
                              batch=2, seed=s.seed)
        measured.append(res.maximal)
        theory.append(nd.meanfield.rnn_max_lyapunov(g))
        rows.append((f"{g:g}", f"{res.maximal:+.4f} ± {float(res.stderr[0]):.4f}", f"{theory[-1]:+.4f}",
                     convergence_note(res, raise_what="rnn_steps") or res.status))
    run.results["random_rnn"] = {"g": list(GAINS), "measured": measured, "mean_field": theory, "n": s.rnn_n,
                                 "steps": s.rnn_steps}
    i2 = GAINS.index(2.0)
    run.key.append(KeyNumber(f"random tanh RNN n={s.rnn_n}, g=2: largest exponent", f"{measured[i2]:.4f} nats/step",
                             f"mean field {theory[i2]:.4f}",
                             f"near the mean field {theory[i2]:.4f}; n = {s.rnn_n} and {s.rnn_steps} steps leave "
                             "finite-size deviations of several hundredths", note=rows[i2][3] if "not settled" in
                             rows[i2][3] else ""))
    run.log(f"random tanh RNN: measured {[round(v, 3) for v in measured]}")

    def draw(ax):
        fine = [0.3 + 0.02 * i for i in range(136)]
        ax.plot(fine, [nd.meanfield.rnn_max_lyapunov(g) for g in fine], color="k", lw=1, label="mean field")
        ax.plot(GAINS, measured, "o", color="tab:red", label=f"measured, n = {s.rnn_n}")
        ax.axhline(0, color="grey", lw=0.7)
        ax.axvline(1, color="grey", lw=0.7, ls=":")
        ax.set_xlabel("gain g")
        ax.set_ylabel("largest Lyapunov exponent (nats/step)")
        ax.legend()

    crossing = next((g for g, v in zip(GAINS, measured, strict=True) if v > 0), None)
    where = (f"the measured exponent is first positive at g = {crossing:g} of the gains tried" if crossing
             else "no measured exponent is positive at the gains tried")
    return Section(
        "Order to chaos in random recurrent networks",
        f"h[t+1] = tanh(W h[t]) with W_ij ~ N(0, g²/n), n = {s.rnn_n}: mean-field theory predicts the largest "
        f"exponent to cross zero at g = 1 (Molgedey, Schuchhardt & Schuster 1992); {where} (one tangent vector by "
        f"forward-mode JVP, {s.rnn_steps} steps, 2 trajectories).",
        figures=[("Largest Lyapunov exponent against the gain", figure_png(draw))],
        header=("g", "measured (nats/step)", "mean field", "convergence"), rows=rows,
    )


def lorenz_section(s, run) -> Section:
    """The Lorenz system's spectrum against published values, and its equilibria."""
    spec = nd.lyapunov_spectrum(nd.lorenz(), steps=s.lorenz_steps, dt=0.01, transient=1000, tangent_transient=500,
                                batch=4, qr_every=5, seed=s.seed)
    eq = nd.find_fixed_points(nd.lorenz(), n_starts=64, seed=s.seed)
    run.results["lorenz_lyapunov"], run.results["lorenz_equilibria"] = spec, eq
    run.log(f"Lorenz: {spec}")
    tolerance = (0.05, 0.05, 0.2) if run.quick else (0.02, 0.02, 0.05)
    for i, ref in enumerate(LORENZ_PUBLISHED):
        run.key.append(KeyNumber(f"Lorenz λ{i + 1}", f"{float(spec.exponents[i]):+.4f} ± {float(spec.stderr[i]):.4f}",
                                 f"{ref:+.4f} (Sprott 2003)",
                                 f"{ref:+.4f} within {tolerance[i]:g} ({s.lorenz_steps} steps)",
                                 note=convergence_note(spec, index=i, raise_what="lorenz_steps")))
    rows = [(i + 1, ", ".join(f"{v:.4f}" for v in eq.fixed.points[i].tolist()), eq.fixed.stability[i],
             int(eq.fixed.n_unstable[i])) for i in range(len(eq.fixed))]
    return Section(
        "A reference check: the Lorenz system",
        f"The Lorenz system (σ = 10, ρ = 28, β = 8/3): its Lyapunov spectrum over {s.lorenz_steps} RK4 steps "
        f"of 0.01 (mean of 4 trajectories, status: {spec.status}) against published values, and its "
        f"{len(eq.fixed)} equilibria.",
        figures=[("Running estimates of the three exponents",
                  figure_png(lambda ax: spec.plot(ax=ax, kind="convergence")))],
        header=("#", "equilibrium", "stability", "unstable dim"), rows=rows,
        statement=f"Sum of exponents {spec.sum:.4f} (exact: trace of the Jacobian = {-(10 + 1 + 8 / 3):.4f}).",
        notes=[f"λ{i + 1}: {n}" for i in range(3) if (n := convergence_note(spec, index=i,
                                                                            raise_what="lorenz_steps"))],
    )
