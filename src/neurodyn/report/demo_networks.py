"""The demo's sections on recurrent networks and a reference flow: a GRU trained on the 3-bit flip-flop task
(memories as stable fixed points, its Lyapunov spectrum), random tanh networks across the order-to-chaos
transition against mean-field theory, and the Lorenz system against published exponents."""

from __future__ import annotations

import time

import neurodyn as nd
from neurodyn.lyapunov.gains import random_rnn_gain_scan
from neurodyn.report.html import FIXED_POINT_HEADER, Section, figure_png, fixed_point_rows
from neurodyn.report.notes import KeyNumber, convergence_note

LORENZ_PUBLISHED = (0.9056, 0.0, -14.5723)  # Sprott, Chaos and Time-Series Analysis (2003)


def flip_flop_sections(s, run) -> list[Section]:
    """Train the flip-flop GRU, find its fixed points and its Lyapunov spectrum (``s``: DemoSettings; ``run``:
    the demo's :class:`~neurodyn.report.demo.DemoRun`)."""
    from neurodyn.models import flip_flop_study

    t0 = time.perf_counter()
    study = flip_flop_study(hidden=s.hidden, iterations=s.train_iterations, n_starts=s.n_starts,
                            drive_steps=s.gru_steps, seed=s.seed)
    trained, fp, spec, patterns = study.trained, study.fixed_points, study.spectrum, study.patterns
    run.log(f"trained GRU({s.hidden}) on the 3-bit flip-flop task: accuracy {trained.accuracy:.4f}")
    run.results["gru_fixed_points"] = fp
    stable = fp.fixed.stable
    run.log(f"fixed points: {fp}")
    run.key.append(KeyNumber("flip-flop GRU: stable fixed points", str(len(stable)), "8 = 2^3 memories", None))
    run.key.append(KeyNumber("flip-flop GRU: distinct bit patterns stored", str(len(patterns)), "8", None))
    dims = list(study.saddle_dims)
    by_dim = ", ".join(f"{dims.count(d)} with {d}" for d in sorted(set(dims)))
    run.key.append(KeyNumber("flip-flop GRU: saddles by unstable dimension", f"{len(dims)}: {by_dim}",
                             "a cube's 12 edges, 6 faces, 1 centre: 12 with 1, 6 with 2, 1 with 3", None))
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


def random_rnn_section(s, run) -> Section:
    """The largest exponent of random tanh networks against mean-field theory, across the gain."""
    scan = random_rnn_gain_scan(s.rnn_n, steps=s.rnn_steps, seed=s.seed)
    measured, theory = scan.measured, scan.mean_field
    rows = [(f"{g:g}", f"{res.maximal:+.4f} ± {float(res.stderr[0]):.4f}", f"{mf:+.4f}",
             convergence_note(res, raise_what="rnn_steps") or res.status)
            for g, res, mf in zip(scan.gains, scan.spectra, theory, strict=True)]
    run.results["random_rnn"] = scan
    i2 = scan.gains.index(2.0)
    run.key.append(KeyNumber(f"random tanh RNN n={s.rnn_n}, g=2: largest exponent", f"{measured[i2]:.4f} nats/step",
                             f"mean field {theory[i2]:.4f}",
                             f"near the mean field {theory[i2]:.4f}; n = {s.rnn_n} and {s.rnn_steps} steps leave "
                             "finite-size deviations of several hundredths", note=rows[i2][3] if "not settled" in
                             rows[i2][3] else ""))
    run.log(f"random tanh RNN: measured {[round(v, 3) for v in measured]}")
    crossing = scan.first_chaotic_gain
    where = (f"the measured exponent is first positive at g = {crossing:g} of the gains tried" if crossing
             else "no measured exponent is positive at the gains tried")
    return Section(
        "Order to chaos in random recurrent networks",
        f"h[t+1] = tanh(W h[t]) with W_ij ~ N(0, g²/n), n = {s.rnn_n}: mean-field theory predicts the largest "
        f"exponent to cross zero at g = 1 (Molgedey, Schuchhardt & Schuster 1992); {where} (one tangent vector by "
        f"forward-mode JVP, {s.rnn_steps} steps, 2 trajectories).",
        figures=[("Largest Lyapunov exponent against the gain", figure_png(lambda ax: scan.plot(ax=ax)))],
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
