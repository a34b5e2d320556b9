"""The demo's sections on trained models and training: the FTLE map of a two-moons neural-ODE classifier
against its decision boundary, full-batch GD on digits at the edge of stability, and the bifurcations of
-x + tanh(g W x) in the gain with every Hopf point proven by interval arithmetic."""

from __future__ import annotations

from neurodyn.report.bifurcation import describe_bifurcations, figure_caption
from neurodyn.report.html import Section, figure_png
from neurodyn.report.notes import KeyNumber
from neurodyn.validated.gain_study import tanh_gain_bifurcations


def ftle_section(s, run) -> Section:
    """FTLE map, boundary link (ROC AUC, PGD ranks) and long-time exponents of a trained two-moons neural ODE."""
    from neurodyn.classifier import classifier_ftle_study
    from neurodyn.models import train_moons_classifier

    trained = train_moons_classifier(hidden=16, epochs=s.ftle_epochs, seed=s.seed)
    run.shared["moons_classifier"] = trained  # the rigorous section proves FTLE bounds of the same model
    study = classifier_ftle_study(trained.model, trained.X_test, trained.y_test, grid=s.ftle_grid,
                                  lyapunov_time=s.ftle_lyapunov_time, link_points=s.ftle_link_points,
                                  pgd_steps=s.pgd_steps, radius_bisections=s.radius_bisections)
    summary = study.summary()
    run.results["moons_ftle"] = summary
    run.log(f"two-moons neural ODE: accuracy {study.accuracy:.4f}, FTLE/boundary AUC {study.link.auc:.3f}")
    run.key.append(KeyNumber("two-moons neural ODE: ROC AUC of FTLE for near-boundary inputs", f"{study.link.auc:.3f}",
                             "> 0.8 (FTLE ridges on the decision boundary)", None))
    ridge = ("lights up along the decision boundary: inputs there are torn apart" if study.link.auc > 0.8 else
             f"is only loosely tied to the decision boundary here (ROC AUC {study.link.auc:.3f})")
    return Section(
        "FTLE ridges of a neural-ODE classifier",
        f"A neural ODE (field W2 tanh(W1 z + b1) + b2, 16 hidden units, T = 1) trained on two moons "
        f"({s.ftle_epochs} epochs) reaches test accuracy {study.accuracy:.3f}. The finite-time Lyapunov exponent of "
        f"its input-to-output flow map, on a {s.ftle_grid}×{s.ftle_grid} grid, {ridge}. Right: FTLE against the "
        f"distance to the boundary (along the margin's gradient) for {len(study.link.ftle)} test inputs; the "
        f"smallest PGD perturbation ({s.pgd_steps} steps, {s.radius_bisections} bisections of the radius) is "
        "rank-correlated with the FTLE.",
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


def eos_section(s, run) -> Section:
    """Full-batch GD on digits at two learning rates: the sharpness against 2/lr."""
    from neurodyn.training import eos_digits

    runs = eos_digits((0.2, 0.1), steps=s.eos_steps, every=s.eos_every, seed=s.seed)
    run.results["edge_of_stability"] = {str(lr): r.to_dict() for lr, r in runs.items()}
    rows = []
    for lr, r in runs.items():
        ratio = r.ratio()
        tail = ratio[len(ratio) * 2 // 3:]
        rows.append((f"{lr:g}", f"{2 / lr:g}", f"{r.sharpness[0]:.3g}", f"{r.sharpness[-1]:.3g}",
                     f"{float(tail.min()):.2f} – {float(tail.max()):.2f}"))
        run.key.append(KeyNumber(f"GD at lr={lr:g} on digits: sharpness / (2/lr), last third of training",
                                 f"{float(tail.min()):.2f} – {float(tail.max()):.2f}", "≈ 1 (edge of stability)",
                                 None))
    run.log(f"edge of stability: {[r[-1] for r in rows]}")

    def draw(axes):
        for i, (lr, r) in enumerate(runs.items()):
            r.plot(ax=axes[0], label=f"lr={lr:g}", color=f"C{i}", show_loss=False)
            axes[1].semilogy(r.steps, r.loss, color=f"C{i}", label=f"lr={lr:g}")
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("training loss")
        axes[1].legend(fontsize=8)

    reached = [lr for lr, r in runs.items() if float(r.ratio().max()) >= 0.9]
    outcome = (f"At lr = {', '.join(f'{lr:g}' for lr in reached)} it reached 2/lr within {s.eos_steps} steps"
               if reached else f"Within {s.eos_steps} steps it did not reach 2/lr at either learning rate")
    return Section(
        "Training at the edge of stability",
        f"Full-batch gradient descent on 500 handwritten digits (tanh MLP 64-64-64-10, squared loss): the top "
        f"Hessian eigenvalue (Lanczos on Hessian-vector products, every {s.eos_every} steps) rises towards the "
        "stability threshold 2/lr and, once there, hovers at it while the loss keeps falling, with spikes (Cohen et "
        f"al. 2021). {outcome}.",
        figures=[("Sharpness against 2/lr, and the training loss", figure_png(draw, size=(12, 4.5), ncols=2))],
        header=("lr", "2/lr", "initial sharpness", "final sharpness", "ratio, last third"), rows=rows,
    )


def bifurcation_section(s, run) -> Section:
    """Bifurcations of -x + tanh(g W x) in the gain g, every Hopf point proven with interval arithmetic."""
    study = tanh_gain_bifurcations(s.bif_n, max_cycles=s.bif_cycles, seed=s.seed)
    n, g_max, branch, hopf, proofs, orbits = study.n, study.g_max, study.branch, study.hopf, study.proofs, study.orbits
    exact = list(study.exact_hopf_g)
    if study.cycles_error is not None:
        run.log(f"cycles from the first Hopf point not continued: {study.cycles_error}")
    proved = study.proved
    run.results["bifurcation"] = study
    run.log(f"bifurcations of -x + tanh(g W x): {len(hopf)} Hopf points for g in [0, {g_max:g}] ({len(exact)} "
            f"exact), {proved} proven")
    run.key.append(KeyNumber(f"-x + tanh(g W x), n = {n}: Hopf points proven", f"{proved} of {len(hopf)}",
                             f"{len(exact)} pairs of W with 1/Re λ in (0, {g_max:g})"))
    rows = []
    for h, p in zip(hopf, proofs, strict=True):
        lo, hi = p.bounds.get("g", (h.value, h.value))
        l1 = p.bounds.get("l1")
        rows.append((f"{h.value:.10f}", f"{min(abs(h.value - e) for e in exact):.1e}" if exact else "",
                     f"{h.omega:.6f}", f"[{l1[0]:.4g}, {l1[1]:.4g}]" if l1 else "",
                     p.conclusion if p.proved else f"not proved: {p.reason}", f"{hi - lo:.1e}"))
    statement = next((p.statement for p in proofs if p.proved), None)
    story = " ".join(describe_bifurcations(branch, orbits, what="x = 0"))
    return Section(
        "Bifurcations in a weight-scaling parameter, with proofs",
        f"The network dx/dt = -x + tanh(g W x) ({n} units, W random, seeded) as the gain g grows from 0 to "
        f"{g_max:g}. The Jacobian at x = 0 is -I + g W, so an eigenvalue λ of W crosses the axis at g = 1/Re λ. "
        f"{story} Each Hopf point is then proven with interval arithmetic: a unique solution of the extended Hopf "
        "system in a tiny ball, a simple critical pair with no other eigenvalue on the axis, transversal crossing, "
        "and the first Lyapunov coefficient l1 enclosed away from 0.",
        figures=[(figure_caption(branch, orbits, what="x = 0"),
                  figure_png(lambda ax: study.plot(ax=ax)))],
        header=("g (Hopf point)", "|g − 1/Re λ|", "ω", "l1 (proven interval)", "proof", "width of g interval"),
        rows=rows, statement=(f"Proven: {statement}." if statement else None),
    )
