"""``neurodyn demo``: train small seeded models on embedded tasks, run every analysis on them, write a report.

Everything is computed here, from seeds, in a few minutes on two CPU cores: a GRU trained on the 3-bit
flip-flop task (its memories as stable fixed points, its Lyapunov spectrum), random tanh networks across
the order-to-chaos transition against mean-field theory, the bifurcations of -x + tanh(g W x) in the gain
with every Hopf point proven by interval arithmetic, the FTLE map of a two-moons neural-ODE classifier,
full-batch GD on digits at the edge of stability, and the Lorenz system against published values.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

import neurodyn as nd
from neurodyn import _linalg
from neurodyn.data import flip_flop
from neurodyn.models import train_flip_flop
from neurodyn.report.html import (
    FIXED_POINT_HEADER,
    Section,
    figure_png,
    fixed_point_rows,
    render,
    report_outputs,
    write_report,
)

LORENZ_PUBLISHED = (0.9056, 0.0, -14.5723)  # Sprott, Chaos and Time-Series Analysis (2003)


@dataclass(frozen=True)
class DemoSettings:
    """Sizes of the demo's runs; ``quick()`` shrinks them for tests."""

    hidden: int = 24
    train_iterations: int = 400
    n_starts: int = 512
    gru_steps: int = 600
    rnn_n: int = 300
    rnn_steps: int = 1500
    lorenz_steps: int = 20_000
    ftle_grid: int = 150
    ftle_epochs: int = 400
    eos_steps: int = 1200
    bif_n: int = 20
    bif_cycles: int = 20
    seed: int = 0

    @classmethod
    def quick(cls, seed: int = 0) -> DemoSettings:
        return cls(hidden=12, train_iterations=150, n_starts=64, gru_steps=100, rnn_n=60, rnn_steps=200,
                   lorenz_steps=2000, ftle_grid=30, ftle_epochs=100, eos_steps=60, bif_n=8, bif_cycles=5,
                   seed=seed)


def _flip_flop_sections(s: DemoSettings, results: dict, key: list, log) -> list[Section]:
    t0 = time.perf_counter()
    trained = train_flip_flop(n_bits=3, hidden=s.hidden, iterations=s.train_iterations, seed=s.seed)
    gru = trained.model.rnn
    log(f"trained GRU({s.hidden}) on the 3-bit flip-flop task: accuracy {trained.accuracy:.4f}")
    gen = torch.Generator().manual_seed(s.seed + 1)
    inputs, _ = flip_flop(3, batch=32, steps=100, generator=gen)
    fp = nd.find_fixed_points(gru, inputs=inputs, n_starts=s.n_starts, seed=s.seed)
    results["gru_fixed_points"] = fp
    stable = fp.fixed.stable
    with torch.no_grad():
        bits = torch.sign(trained.model.readout(stable.points.float())).int().tolist()
    log(f"fixed points: {fp}")
    patterns = sorted({tuple(b) for b in bits})
    key.append(("flip-flop GRU: stable fixed points", len(stable), "8 = 2^3 memories"))
    key.append(("flip-flop GRU: distinct bit patterns stored", len(patterns), "8"))
    dims = [int(fp.fixed.n_unstable[i]) for i, st in enumerate(fp.fixed.stability) if st.startswith("saddle")]
    by_dim = ", ".join(f"{dims.count(d)} with {d}" for d in sorted(set(dims)))
    key.append(("flip-flop GRU: saddles by unstable dimension", f"{len(dims)}: {by_dim}",
                "a cube's 12 edges, 6 faces, 1 centre: 12 with 1, 6 with 2, 1 with 3"))

    drive, _ = flip_flop(3, batch=8, steps=s.gru_steps + 100, generator=gen)
    spec = nd.lyapunov_spectrum(gru, inputs=drive.double(), transient=50, tangent_transient=50, qr_every="auto")
    results["gru_lyapunov"] = spec
    key.append(("flip-flop GRU: largest Lyapunov exponent (task inputs)",
                f"{spec.maximal:+.4f} ± {float(spec.stderr[0]):.4f} nats/step", "< 0: a stable memory"))
    log(f"GRU Lyapunov spectrum: {spec}")
    statement = (f"The trained GRU has {len(stable)} stable fixed points at zero input, storing {len(patterns)} "
                 f"distinct bit patterns; every reported point satisfies |h' - h| <= 1e-10.")
    return [
        Section(
            "Fixed points of a GRU trained on the 3-bit flip-flop task",
            f"A GRU with {s.hidden} units learned to hold three bits (sign accuracy {trained.accuracy:.4f} on "
            f"held-out sequences, {time.perf_counter() - t0:.0f} s including the analyses). Its memories should be "
            "stable fixed points of the zero-input dynamics, separated by saddles. find_fixed_points solved "
            f"{s.n_starts} starts (half on task-driven trajectories, half inside their hull and bounding box) "
            "with a batched trust-region Newton method; the figure projects the points on the trajectories' two "
            "leading principal components.",
            figures=[("Fixed points (colour: stability; saddles labelled by unstable dimension) and trajectories",
                      figure_png(lambda ax: fp.plot(ax=ax), size=(7, 5.5)))],
            header=FIXED_POINT_HEADER[fp.kind], rows=fixed_point_rows(fp), statement=statement,
        ),
        Section(
            "Lyapunov spectrum of the trained GRU",
            "All exponents of the GRU driven by flip-flop input sequences (QR method, mean over 8 sequences ± "
            "standard error). Negative exponents mean nearby states converge: the network forgets perturbations "
            "and keeps its memory.",
            figures=[("Lyapunov spectrum (nats per step)", figure_png(lambda ax: spec.plot(ax=ax, kind="spectrum")))],
        ),
    ]


def _random_rnn_section(s: DemoSettings, results: dict, key: list, log) -> Section:
    gs = [0.5, 0.8, 1.2, 1.6, 2.0, 2.5, 3.0]
    measured, theory = [], []
    for g in gs:
        res = nd.max_lyapunov(nd.random_tanh_rnn(s.rnn_n, g, seed=s.seed), steps=s.rnn_steps, transient=200,
                              batch=2, seed=s.seed)
        measured.append(res.maximal)
        theory.append(nd.meanfield.rnn_max_lyapunov(g))
    results["random_rnn"] = {"g": gs, "measured": measured, "mean_field": theory, "n": s.rnn_n,
                             "steps": s.rnn_steps}
    i2 = gs.index(2.0)
    key.append((f"random tanh RNN n={s.rnn_n}, g=2: largest exponent", f"{measured[i2]:.4f} nats/step",
                f"mean field {theory[i2]:.4f}"))
    log(f"random tanh RNN: measured {[round(v, 3) for v in measured]}")

    def draw(ax):
        fine = [0.3 + 0.02 * i for i in range(136)]
        ax.plot(fine, [nd.meanfield.rnn_max_lyapunov(g) for g in fine], color="k", lw=1, label="mean field")
        ax.plot(gs, measured, "o", color="tab:red", label=f"measured, n = {s.rnn_n}")
        ax.axhline(0, color="grey", lw=0.7)
        ax.axvline(1, color="grey", lw=0.7, ls=":")
        ax.set_xlabel("gain g")
        ax.set_ylabel("largest Lyapunov exponent (nats/step)")
        ax.legend()

    return Section(
        "Order to chaos in random recurrent networks",
        "h[t+1] = tanh(W h[t]) with W_ij ~ N(0, g²/n): the largest exponent (one tangent vector by forward-mode "
        "JVP) crosses zero at g = 1, as mean-field theory predicts (Molgedey, Schuchhardt & Schuster 1992).",
        figures=[("Largest Lyapunov exponent against the gain", figure_png(draw))],
    )


def _lorenz_section(s: DemoSettings, results: dict, key: list, log) -> Section:
    spec = nd.lyapunov_spectrum(nd.lorenz(), steps=s.lorenz_steps, dt=0.01, transient=1000, tangent_transient=500,
                                batch=4, qr_every=5, seed=s.seed)
    eq = nd.find_fixed_points(nd.lorenz(), n_starts=64, seed=s.seed)
    results["lorenz_lyapunov"], results["lorenz_equilibria"] = spec, eq
    log(f"Lorenz: {spec}")
    for i, ref in enumerate(LORENZ_PUBLISHED):
        key.append((f"Lorenz λ{i + 1}", f"{float(spec.exponents[i]):+.4f} ± {float(spec.stderr[i]):.4f}",
                    f"{ref:+.4f} (Sprott 2003)"))
    rows = [(i + 1, ", ".join(f"{v:.4f}" for v in eq.fixed.points[i].tolist()), eq.fixed.stability[i],
             int(eq.fixed.n_unstable[i])) for i in range(len(eq.fixed))]
    return Section(
        "A reference check: the Lorenz system",
        f"The Lorenz system (σ = 10, ρ = 28, β = 8/3): its Lyapunov spectrum over {s.lorenz_steps} RK4 steps "
        "of 0.01 (mean of 4 trajectories) against published values, and its three equilibria.",
        figures=[("Running estimates of the three exponents",
                  figure_png(lambda ax: spec.plot(ax=ax, kind="convergence")))],
        header=("#", "equilibrium", "stability", "unstable dim"), rows=rows,
        statement=f"Sum of exponents {spec.sum:.4f} (exact: trace of the Jacobian = {-(10 + 1 + 8 / 3):.4f}).",
    )


def _ftle_section(s: DemoSettings, results: dict, key: list, log) -> Section:
    from neurodyn.models import train_moons_classifier
    from neurodyn.report.classifier import classifier_ftle_study

    trained = train_moons_classifier(hidden=16, epochs=s.ftle_epochs, seed=s.seed)
    study = classifier_ftle_study(trained.model, trained.X_test, trained.y_test, grid=s.ftle_grid,
                                  lyapunov_time=50.0)
    summary = study.summary()
    results["moons_ftle"] = summary
    log(f"two-moons neural ODE: accuracy {study.accuracy:.4f}, FTLE/boundary AUC {study.link.auc:.3f}")
    key.append(("two-moons neural ODE: ROC AUC of FTLE for near-boundary inputs", f"{study.link.auc:.3f}",
                "> 0.8 (FTLE ridges on the decision boundary)"))
    return Section(
        "FTLE ridges of a neural-ODE classifier",
        f"A neural ODE (field W2 tanh(W1 z + b1) + b2, 16 hidden units, T = 1) trained on two moons reaches test "
        f"accuracy {study.accuracy:.3f}. The finite-time Lyapunov exponent of its input-to-output flow map, on a "
        f"{s.ftle_grid}×{s.ftle_grid} grid, lights up along the decision boundary: inputs there are torn apart. "
        "Right: FTLE against the distance to the boundary (along the margin's gradient) for the test inputs.",
        figures=[("FTLE map with the decision boundary, and FTLE against boundary distance",
                  figure_png(lambda axes: study.plot(axes, model=trained.model,
                                                     data=(trained.X_test, trained.y_test)),
                             size=(12, 4.8), ncols=2))],
        header=("quantity", "value"),
        rows=[(f"ROC AUC of FTLE for distance < {study.link.eps:.3g}", f"{study.link.auc:.3f}"),
              ("Spearman(FTLE, smallest PGD perturbation)", f"{study.link.spearman:.3f}"),
              ("long-time Lyapunov exponents of the field (nats/time)",
               ", ".join(f"{v:.2g}" for v in study.long_time.exponents.tolist()))],
    )


def _bifurcation_section(s: DemoSettings, results: dict, key: list, log) -> Section:
    """Bifurcations of -x + tanh(g W x) in the gain g, every Hopf point proven with interval arithmetic."""
    n = s.bif_n
    gen = torch.Generator().manual_seed(s.seed + 7)
    W = torch.randn(n, n, generator=gen, dtype=torch.float64) / n**0.5
    family = nd.tanh_family(torch.zeros(n, n, dtype=torch.float64), direction=W, leak=1.0, param="g",
                            name=f"-x + tanh(g W x), n = {n}")
    g_max = 5.0
    branch = nd.continue_equilibria(family, param="g", start=0.0, stop=g_max, step=0.05)
    hopf = [sp.hopf for sp in branch.special if sp.kind == "hopf"]
    proofs = nd.prove_hopf(family, hopf)
    first = hopf[0] if hopf else None
    orbits = []
    if first is not None and first.kind != "degenerate":
        end = g_max if -first.crossing / first.l1 > 0 else 0.0
        try:
            orbits.append(nd.continue_periodic_orbits(family, first, stop=end, step=0.05, max_points=s.bif_cycles,
                                                      steps=200))
        except nd.NeurodynError as exc:  # the diagram stays useful without the cycles
            log(f"cycles from the first Hopf point not continued: {exc}")
    # exact: the Jacobian at x = 0 is -I + g W, so pairs lambda of W cross at g = 1 / Re(lambda), omega = g Im(lambda)
    lam = _linalg.eigvals(W)
    exact = sorted(1 / float(mu.real) for mu in lam if mu.imag > 0 and 0 < 1 / mu.real < g_max)
    proved = sum(p.proved for p in proofs)
    results["bifurcation"] = {"branch": branch, "hopf_proofs": proofs, "cycles": orbits, "exact_hopf_g": exact}
    log(f"bifurcations of -x + tanh(g W x): {len(hopf)} Hopf points for g in [0, {g_max:g}] ({len(exact)} exact), "
        f"{proved} proven")
    key.append((f"-x + tanh(g W x), n = {n}: Hopf points proven", f"{proved} of {len(hopf)}",
                f"{len(exact)} pairs of W with 1/Re λ in (0, {g_max:g})"))
    rows = []
    for h, p in zip(hopf, proofs, strict=True):
        lo, hi = p.bounds.get("g", (h.value, h.value))
        l1 = p.bounds.get("l1")
        rows.append((f"{h.value:.10f}", f"{min(abs(h.value - e) for e in exact):.1e}" if exact else "",
                     f"{h.omega:.6f}", f"[{l1[0]:.4g}, {l1[1]:.4g}]" if l1 else "",
                     p.conclusion if p.proved else f"not proved: {p.reason}", f"{hi - lo:.1e}"))
    statement = next((p.statement for p in proofs if p.proved), None)
    return Section(
        "Bifurcations in a weight-scaling parameter, with proofs",
        f"The network dx/dt = -x + tanh(g W x) ({n} units, W random, seeded) as the gain g grows from 0 to "
        f"{g_max:g}: the equilibrium x = 0 loses stability at Hopf points, where a pair of eigenvalues of -I + g W "
        "crosses the imaginary axis (exactly at g = 1/Re λ(W)) and periodic orbits are born. Each Hopf point is "
        "then proven with interval arithmetic: a unique solution of the extended Hopf system in a tiny ball, a "
        "simple critical pair with no other eigenvalue on the axis, transversal crossing, and the first Lyapunov "
        "coefficient l1 enclosed away from 0 (its sign: supercritical, a stable cycle, or subcritical).",
        figures=[("Bifurcation diagram: |x| of the equilibria and max|x(t)| of the cycles from the first Hopf point "
                  "(stable solid, unstable dashed)", figure_png(lambda ax: branch.plot(ax=ax, orbits=orbits)))],
        header=("g (Hopf point)", "|g − 1/Re λ|", "ω", "l1 (proven interval)", "proof", "width of g interval"),
        rows=rows, statement=(f"Proven: {statement}." if statement else None),
    )


def _eos_section(s: DemoSettings, results: dict, key: list, log) -> Section:
    from neurodyn.training import eos_digits

    runs = eos_digits((0.2, 0.1), steps=s.eos_steps, seed=s.seed)
    results["edge_of_stability"] = {str(lr): run.to_dict() for lr, run in runs.items()}
    rows = []
    for lr, run in runs.items():
        ratio = run.ratio()
        tail = ratio[len(ratio) * 2 // 3:]
        rows.append((f"{lr:g}", f"{2 / lr:g}", f"{run.sharpness[0]:.3g}", f"{run.sharpness[-1]:.3g}",
                     f"{float(tail.min()):.2f} – {float(tail.max()):.2f}"))
        key.append((f"GD at lr={lr:g} on digits: sharpness / (2/lr), last third of training",
                    f"{float(tail.min()):.2f} – {float(tail.max()):.2f}", "≈ 1 (edge of stability)"))
    log(f"edge of stability: {[r[-1] for r in rows]}")

    def draw(axes):
        for i, (lr, run) in enumerate(runs.items()):
            run.plot(ax=axes[0], label=f"lr={lr:g}", color=f"C{i}", show_loss=False)
            axes[1].semilogy(run.steps, run.loss, color=f"C{i}", label=f"lr={lr:g}")
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("training loss")
        axes[1].legend(fontsize=8)

    return Section(
        "Training at the edge of stability",
        "Full-batch gradient descent on 500 handwritten digits (tanh MLP 64-64-64-10, squared loss): the top "
        "Hessian eigenvalue (Lanczos on Hessian-vector products, every 25 steps) rises until it reaches the "
        "stability threshold 2/lr, then hovers there while the loss keeps falling, with spikes (Cohen et al. 2021).",
        figures=[("Sharpness against 2/lr, and the training loss", figure_png(draw, size=(12, 4.5), ncols=2))],
        header=("lr", "2/lr", "initial sharpness", "final sharpness", "ratio, last third"), rows=rows,
    )


DEMO_RESULTS = ("gru_fixed_points", "gru_lyapunov", "random_rnn", "bifurcation", "moons_ftle", "edge_of_stability",
                "lorenz_lyapunov", "lorenz_equilibria")


def run_demo(out: Path, *, settings: DemoSettings | None = None, log=print, progress: bool = False,
             overwrite: bool = False, overwrite_flag: str = "overwrite=True") -> Path:
    """Run the demo and write ``out/report.html`` and one JSON per result; returns the report's path.

    The folder is checked first (writable; none of the report's files there unless ``overwrite``, where
    ``overwrite_flag`` is how the caller's user asks for it). Nothing is written until every analysis has
    finished, so a failed run leaves no partial report.
    """
    outputs = report_outputs(out, DEMO_RESULTS, overwrite=overwrite, flag=overwrite_flag)
    try:
        page, results = _demo_page(settings or DemoSettings(), log)
    except BaseException:
        outputs.discard()
        raise
    report = write_report(outputs, page, results)
    log(f"wrote {report}")
    return report


def _demo_page(s: DemoSettings, log) -> tuple[str, dict]:
    t0 = time.perf_counter()
    results: dict = {}
    key: list[tuple] = []
    with warnings.catch_warnings(record=True) as caught:  # convergence notes go into the report
        warnings.simplefilter("always", nd.ConvergenceWarning)
        sections = _flip_flop_sections(s, results, key, log)
        sections.append(_random_rnn_section(s, results, key, log))
        sections.append(_bifurcation_section(s, results, key, log))
        sections.append(_ftle_section(s, results, key, log))
        sections.append(_eos_section(s, results, key, log))
        sections.append(_lorenz_section(s, results, key, log))
    notes = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, nd.ConvergenceWarning)))
    for other in (w for w in caught if not issubclass(w.category, nd.ConvergenceWarning)):
        warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    elapsed = time.perf_counter() - t0
    settings_table = {k: getattr(s, k) for k in s.__dataclass_fields__}
    settings_table["wall time (s)"] = f"{elapsed:.1f}"
    for i, note in enumerate(notes):
        settings_table[f"convergence note {i + 1}"] = note
    if notes:
        log(f"{len(notes)} estimate(s) still drifting beyond their standard error; see the report's notes")
    page = render("neurodyn demo report", "Small seeded models trained here on embedded tasks, analysed as dynamical "
                  "systems: fixed points, Lyapunov spectra, chaos, bifurcations with proofs, FTLE maps, the edge of "
                  "stability, checked against "
                  "theory and published values.",
                  sections, key, settings_table)
    log(f"demo finished in {elapsed:.0f} s")
    return page, results
