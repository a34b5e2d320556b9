"""The demo's section on rigorous integration: proven FTLE bounds of the two-moons classifier over a coarse grid
next to its float map, and a proven periodic orbit born at a proven Hopf point of the gain family."""

from __future__ import annotations

from neurodyn.report.html import Section, figure_png
from neurodyn.report.notes import KeyNumber


def _inputs(s, run):
    """The trained classifier of the FTLE section, the bifurcation section's gain study, and the gain study of the
    orbit: the bifurcation section's when ``x = 0`` first loses stability there at a Hopf point proven supercritical,
    else one of ``rigorous_n`` units with the first seed whose ``W`` has its rightmost eigenvalues in a complex pair
    (each trained or computed here when this section runs on its own). Returns ``(trained, bif study, orbit study,
    why the bifurcation study was not used or "")``."""
    from neurodyn.models import train_moons_classifier
    from neurodyn.validated import first_loss_hopf, hopf_first_seed, tanh_gain_bifurcations

    trained = run.shared.get("moons_classifier")
    if trained is None:
        trained = train_moons_classifier(hidden=16, epochs=s.ftle_epochs, seed=s.seed)
    study = run.results.get("bifurcation")
    if study is None:
        study = tanh_gain_bifurcations(s.bif_n, max_cycles=s.bif_cycles, seed=s.seed)
    chosen, why = first_loss_hopf(study)
    if chosen is not None:
        return trained, study, study, ""
    seed = hopf_first_seed(s.rigorous_n, s.seed)
    return trained, study, tanh_gain_bifurcations(s.rigorous_n, max_cycles=1, seed=seed), why


def rigorous_section(s, run) -> Section:
    """Proven FTLE bounds over a grid of the moons classifier, and the proof of an orbit born at a Hopf point."""
    from neurodyn.validated.showcase import proven_ftle_and_orbit

    trained, bif_study, study, why = _inputs(s, run)
    result = proven_ftle_and_orbit(trained.model, trained.X_test, study, grid=s.rigorous_grid,
                                   offset=s.rigorous_offset)
    run.results["rigorous"] = result
    b, n = result.bounds, len(result.float_map)
    width = float(b.width[b.proved].max()) if bool(b.proved.any()) else float("inf")
    proof = result.orbit_proof
    run.log(f"rigorous: {int(b.proved.sum())}/{n} FTLE intervals proven (max width {width:.2g}); orbit: "
            f"{proof.conclusion if proof is not None and proof.proved else 'not proved'}")
    run.key.append(KeyNumber("two-moons neural ODE: grid points with a proven FTLE interval (max width)",
                             f"{int(b.proved.sum())} of {n} ({width:.1g})", f"all {n}, width ≤ 1e-6", None))
    rows = [("grid points with a proven FTLE interval", f"{int(b.proved.sum())} of {n}"),
            ("largest width of a proven interval (nats/time)", f"{width:.2g}"),
            (f"classifier's float map ({trained.model.steps} steps) inside the intervals",
             f"{result.inside_map} of {n}"),
            ("nd.ftle (RK4, dt = 0.01) inside the intervals", f"{result.inside_fine} of {n}"),
            ("CPU seconds: FTLE bounds, orbit", f"{result.seconds['ftle']:.1f}, {result.seconds['orbit']:.1f}")]
    rows += _orbit_rows(result)
    text = (f"The flow map of the two-moons classifier of the FTLE section, enclosed by a C^1 Lohner integrator "
            f"(interval Taylor series, QR-preconditioned enclosures), gives a proven interval for the leading FTLE at "
            f"each point of a {s.rigorous_grid}×{s.rigorous_grid} grid; the float FTLE maps are checked against "
            "them (a float value outside its interval is a discretisation error of the float scheme). "
            + _orbit_story(result, bif_study, why))
    statement = proof.statement if proof is not None and proof.proved else None
    return Section("Proven FTLE bounds and a proven periodic orbit", text,
                   figures=[("The classifier's float FTLE map, the proven lower bound and the width over the grid; "
                             "the periodic orbit (first two coordinates)",
                             figure_png(lambda axes: result.plot(axes), size=(16, 3.8), ncols=4))],
                   header=("quantity", "value"), rows=rows,
                   statement=(f"Proven: {statement}." if statement else None))


def _orbit_rows(result) -> list[tuple]:
    proof = result.orbit_proof
    rows = [("gain family of the orbit", f"{result.family} (seed {result.study_seed})")]
    if result.hopf_g is not None:
        l1 = result.hopf_l1
        rows.append(("Hopf point (g) and proven l1", f"{result.hopf_g:.10f}, [{l1[0]:.4g}, {l1[1]:.4g}]"))
    if result.orbit is None:
        return rows + [("periodic orbit", f"none: {result.orbit_note}")]
    rows += [("orbit at g", f"{result.orbit.value:.6g} (float period {result.orbit.period:.8g})"),
             ("orbit proof", f"proven {proof.conclusion}" if proof.proved else f"not proved: {proof.reason}")]
    if "period" in proof.bounds:
        lo, hi = proof.bounds["period"]
        rows.append(("proven period", f"[{lo:.12g}, {hi:.12g}]"))
    if "|mu_1|" in proof.bounds:
        lo, hi = proof.bounds["|mu_1|"]
        rows.append(("proven largest non-trivial |multiplier|", f"[{lo:.8g}, {hi:.8g}]"))
    return rows


def _orbit_story(result, bif_study, why: str) -> str:
    """What was done for the orbit and what was proven, from the result (a conclusion only as proven)."""
    family = "the bifurcation section's family" if not why else (
        f"{result.family} with W drawn with seed {result.study_seed}, the "
        f"first seed from {bif_study.seed} whose W has its rightmost eigenvalues in a complex pair (in the "
        f"bifurcation section's family {why})")
    head = (f"Then a periodic orbit is proven in {family}: it is born at the Hopf point where x = 0 first loses "
            "stability, proven supercritical (l1 < 0), and is proven by multiple shooting and the Krawczyk test, with "
            "its period and Floquet multipliers enclosed. ")
    proof = result.orbit_proof
    if proof is None:
        return head + f"No orbit was proven: {result.orbit_note}."
    if not proof.proved:
        return head + f"The orbit is not proved: {proof.reason}."
    if proof.conclusion == "stable":
        lo, hi = proof.bounds["|mu_1|"]
        return head + (f"The orbit is proven orbitally asymptotically stable: every non-trivial Floquet multiplier "
                       f"lies inside the unit circle (the largest modulus in [{lo:.6g}, {hi:.6g}]).")
    lo, hi = proof.bounds["|mu_1|"]
    return head + (f"The orbit is proven orbitally unstable: a Floquet multiplier lies outside the unit circle (the "
                   f"largest modulus in [{lo:.6g}, {hi:.6g}]).")
