"""The demo's section on input–output maps: trained MLPs of each architecture class with the critical-point
structure the theorems predict, and the concentric annuli with and without augmentation."""

from __future__ import annotations

from neurodyn.report.html import Section, figure_png
from neurodyn.report.notes import KeyNumber


def _annuli_panels(plain, aug):
    def draw(axes):
        plain.plot(ax=axes[0])
        fig, spec = axes[1].figure, axes[1].get_subplotspec()
        axes[1].remove()
        aug.plot(ax=fig.add_subplot(spec, projection="3d"))

    return draw


def iomaps_section(s, run) -> Section:
    """Critical points of trained MLPs by architecture class; the annuli with and without augmentation (``s``:
    DemoSettings; ``run``: the demo's :class:`~neurodyn.report.demo.DemoRun`)."""
    from neurodyn.iomaps import fit_annuli, morse_classes

    classes = morse_classes(epochs=s.iomaps_epochs, n_starts=s.iomaps_starts, seed=s.seed)
    plain = fit_annuli(augment=0, epochs=s.annuli_epochs, seed=s.seed)
    aug = fit_annuli(augment=1, epochs=s.annuli_epochs, seed=s.seed)
    run.results["iomaps"] = {"classes": classes, "annuli_plain": plain, "annuli_augmented": aug}
    run.log(f"input-output maps: {classes!r}; {plain!r}; {aug!r}")
    observed = ", ".join(f"{c.name} {c.observed}" for c in classes.classes)
    run.key.append(KeyNumber("trained MLPs 2-2-1 / 2-16-1 / 2-1-16-1: critical points", observed,
                             "none / Morse / degenerate (Kuehn & Kuntz)", "same"))
    run.key.append(KeyNumber("annuli, plane neural ODE: winding of the circle's image; gap min d(circle) - d(0)",
                             f"{plain.winding}; {plain.gap:+.3g}", "1; <= 0 (forced: a homeomorphism)", "same"))
    run.key.append(KeyNumber("annuli: final loss without / with one augmented dimension",
                             f"{plain.loss:.2e} / {aug.loss:.2e}", "augmented far lower (separates the classes)",
                             None))
    rows = [(f"MLP {'-'.join(map(str, c.widths))} ({c.architecture.category})", c.predicted,
             f"{len(c.points)} found: {c.observed}", f"{c.loss:.2e}") for c in classes.classes]
    rows += [(f"neural ODE, augment = {r.augment}", "cannot separate" if r.augment == 0 else "can separate",
              f"accuracy {r.accuracy:.3f}, gap {r.gap:+.3g}", f"{r.loss:.2e}") for r in (plain, aug)]
    return Section(
        "What an architecture can represent: critical points and augmentation",
        f"Three tanh MLPs fitted to the bump {classes.target} on [-2, 2]^2 ({s.iomaps_epochs} Adam steps) and their "
        "critical points (critical_points, Morse index from the Hessian): widths that never increase allow none, an "
        "augmented layer without a bottleneck gives Morse points (here the maximum), and a bottleneck forces "
        "degenerate ones (the network is constant along a line, so its critical points fill a line). Below: the "
        "concentric annuli of Dupont et al. (2019), disk against annulus. A neural ODE in the plane is an "
        "orientation-preserving homeomorphism, so the image of a circle in the annulus winds around the centre's "
        "image and some annulus point is ranked no more 'outer' than the centre (gap <= 0); with one augmented "
        "dimension the flow lifts the disk out of the plane and the loss falls far lower.",
        figures=[("Trained MLPs of each architecture class with their critical points (circle: minimum, triangle: "
                  "saddle, square: maximum, cross: degenerate)", figure_png(classes.plot, size=(16, 4.5), ncols=3)),
                 ("Annuli: trajectories of the plane neural ODE (left) and of the augmented one (right; blue: disk, "
                  "red: annulus)", figure_png(_annuli_panels(plain, aug), size=(11, 4.8), ncols=2))],
        header=("model", "theorem predicts", "observed", "final loss"), rows=rows,
        statement=(f"Observed structure: {observed}; these agree with the prediction." if classes.agree else
                   f"Observed structure: {observed}; NOT all as predicted (see the table)."),
    )
