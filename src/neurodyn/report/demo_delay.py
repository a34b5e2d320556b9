"""The demo's section on neural delay differential equations: final loss of non-augmented 1-D neural DDEs trained
on ``x -> x^2`` against their memory capacity ``K tau`` (Kuehn & Kuntz 2025); rendering only, the computation is
:func:`neurodyn.delay.experiment.memory_sweep`."""

from __future__ import annotations

import math

from neurodyn.report.html import Section, figure_png
from neurodyn.report.notes import KeyNumber


def delay_section(s, run) -> Section:
    """Loss against K tau with 1/e marked."""
    from neurodyn.delay.experiment import SweepSettings, memory_sweep

    sweep = memory_sweep(SweepSettings(taus=s.dde_taus, iterations=s.dde_iterations, lr=s.dde_lr, seed=s.seed))
    run.results["delay_memory"] = sweep.to_dict()
    rows = [(f"{tau:g}", f"{K:.3g}", f"{kt:.3g}", "yes" if kt * math.e < 1 else "no", f"{loss:.4f}")
            for tau, K, kt, loss in zip(sweep.taus.tolist(), sweep.K.tolist(), sweep.K_tau.tolist(),
                                        sweep.loss.tolist(), strict=True)]
    small = [loss for kt, loss in zip(sweep.K_tau.tolist(), sweep.loss.tolist(), strict=True) if kt * math.e < 1]
    large = [loss for kt, loss in zip(sweep.K_tau.tolist(), sweep.loss.tolist(), strict=True) if kt * math.e >= 1]
    if small and large:
        run.key.append(KeyNumber("neural DDE on x → x²: final loss at K τ e < 1 against the best at K τ e ≥ 1",
                                 f"{min(small):.4f} vs {min(large):.4f}", "the first near the constant fit "
                                 f"{sweep.baseline:.4f}, the second below it", None))
    run.log(f"neural DDEs: K tau {sweep.K_tau.tolist()}, loss {sweep.loss.tolist()}")
    return Section(
        "Memory capacity of neural DDEs",
        "One-dimensional, non-augmented neural DDEs x' = f(x(t), x(t - τ)) (f a tanh MLP on (x, x(t - τ)), the input "
        "as the constant history, an affine read-out of x(T = 1)) trained on x → x² on [-1, 1] for several delays, "
        f"the field's Lipschitz bound K held at most {3.0:g} by a weight-norm constraint. For K τ e < 1 the map "
        "x → x(T) is ODE-like, hence monotone, and cannot fit the minimum of x² (Kuehn & Kuntz 2025, Thm. 5.4): its "
        f"loss stays near the best constant fit {sweep.baseline:.4f}; with more memory the fit improves.",
        figures=[("Final loss against K τ; the dashed line is K τ = 1/e", figure_png(lambda ax: sweep.plot(ax=ax),
                                                                                  size=(6.5, 4.2)))],
        header=("τ", "K (bound)", "K τ", "K τ e < 1", "final loss"), rows=rows,
    )
