"""Benchmark: the leading 4 Lyapunov exponents of Mackey–Glass (beta 0.2, gamma 0.1, n 10, tau 17), 8 histories.

Ours: :func:`neurodyn.lyapunov_spectrum` on the discretised history (RK4, ``dt = tau / nodes``, default
``nodes = 17``: ``dt = 1``; the 8 histories as one batch, ``qr_every="auto"``), once compiled (``compile=True``;
a short run first compiles the step and is timed as compilation) and once eager. Refinement: the same run at
``dt / 2`` (eager); its difference from the main run, against their combined standard error, measures the
discretisation error at the stated accuracy. Reference: ``jitcdde_lyap`` (jitcdde: the Shampine–Thompson
Bogacki–Shampine 3(2) integrator with adaptive steps, compiled to C, tangent vectors in the same integration), at
its default tolerances (``atol 1e-10, rtol 1e-5``) and at loose ones (``atol 1e-6, rtol 1e-3``, to see how much
of its accuracy the tolerances buy), one history after the other, as it is used. Both start from the same
constant histories, discard 500 time units (transient and frame alignment) and measure over ``T`` time units;
accuracy is the standard error of the mean over the 8 histories, printed for every run, and the means are
compared against their combined error. Times: integration, with compilation separately.

    python bench/delay.py            # T = 3000
    python bench/delay.py --T 1000
"""

from __future__ import annotations

import argparse
import math
import platform
import time
import warnings

import numpy as np
import torch

import neurodyn as nd

TAU, WARMUP, SAMPLE = 17.0, 500.0, 10.0


def ours(histories: torch.Tensor, T: float, nodes: int, compile: bool = False):
    dt = TAU / nodes
    mg = nd.mackey_glass(tau=TAU)

    def run(steps: int, transient: int, tangent_transient: int):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return nd.lyapunov_spectrum(mg, k=4, dt=dt, steps=steps, transient=transient,
                                        tangent_transient=tangent_transient, x0=histories, qr_every="auto",
                                        compile=compile, strict=False)

    t0 = time.perf_counter()
    if compile:  # the first steps of each kind (state alone, state and frame) compile
        run(16, 4, 0)
    compile_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    res = run(round(T / dt), round(300 / dt), round(200 / dt))
    return res.per_sample.numpy(), time.perf_counter() - t1, compile_s, str(res.status)


def compile_reference():
    from jitcdde import jitcdde_lyap, t, y

    t0 = time.perf_counter()
    dde = jitcdde_lyap([0.2 * y(0, t - TAU) / (1 + y(0, t - TAU) ** 10) - 0.1 * y(0)], n_lyap=4, verbose=False)
    dde.compile_C(simplify=False, do_cse=False, verbose=False)
    return dde, time.perf_counter() - t0


def reference(dde, histories: torch.Tensor, T: float, tolerances: dict):
    t1 = time.perf_counter()
    per = []
    for h in histories[:, 0].tolist():
        dde.purge_past()
        dde.constant_past([h], time=0.0)
        dde.set_integration_parameters(**tolerances)
        dde.step_on_discontinuities()
        start = dde.t
        for tt in np.arange(start + SAMPLE, start + WARMUP + 1e-9, SAMPLE):
            dde.integrate(tt)
        lyaps, weights = [], []
        for tt in np.arange(dde.t + SAMPLE, dde.t + T + 1e-9, SAMPLE):
            _, lyap, w = dde.integrate(tt)
            lyaps.append(lyap)
            weights.append(w)
        per.append(np.average(np.array(lyaps), axis=0, weights=np.array(weights)))
    return np.array(per), time.perf_counter() - t1


def summary(per: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return per.mean(0), per.std(0, ddof=1) / math.sqrt(len(per))


def row(mean: np.ndarray, err: np.ndarray) -> str:
    return "  ".join(f"{a:+.5f} ± {b:.5f}" for a, b in zip(mean, err, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=float, default=3000.0)
    parser.add_argument("--nodes", type=int, default=17, help="history nodes per delay (dt = tau / nodes)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    histories = 1 + 0.1 * torch.randn(8, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    dt = TAU / args.nodes
    print(f"Mackey–Glass tau = 17, 8 histories, T = {args.T:g}; {platform.processor() or platform.machine()}, "
          f"torch {torch.__version__}, 1 thread")
    per_c, sec_c, comp_c, status = ours(histories, args.T, args.nodes, compile=True)
    per_e, sec_e, _, _ = ours(histories, args.T, args.nodes)
    per_f, sec_f, _, _ = ours(histories, args.T, 2 * args.nodes)
    m_c, s_c = summary(per_c)
    m_e, s_e = summary(per_e)
    m_f, s_f = summary(per_f)
    print(f"ours compiled (RK4, dt = {dt:.4g}): " + row(m_c, s_c) + f"   {sec_c:.2f} s + {comp_c:.1f} s compilation"
          f"   status {status}")
    print(f"ours eager    (RK4, dt = {dt:.4g}): " + row(m_e, s_e) + f"   {sec_e:.2f} s")
    print(f"ours eager    (RK4, dt = {dt / 2:.4g}): " + row(m_f, s_f) + f"   {sec_f:.2f} s")
    print(f"refinement dt -> dt/2, difference in combined standard errors: {zscores(m_c, s_c, m_f, s_f)}")
    try:
        dde, comp_r = compile_reference()
        per_r, sec_r = reference(dde, histories, args.T, {})
        per_l, sec_l = reference(dde, histories, args.T, {"atol": 1e-6, "rtol": 1e-3})
    except Exception as exc:  # noqa: BLE001 - a missing compiler or package is reported, not hidden
        print(f"jitcdde could not run here ({type(exc).__name__}: {exc})")
        return
    m_r, s_r = summary(per_r)
    m_l, s_l = summary(per_l)
    print("jitcdde_lyap (default tolerances):   " + row(m_r, s_r) + f"   {sec_r:.2f} s + {comp_r:.1f} s compilation")
    print("jitcdde_lyap (atol 1e-6, rtol 1e-3): " + row(m_l, s_l) + f"   {sec_l:.2f} s")
    print(f"ours compiled vs jitcdde (default), in combined standard errors: {zscores(m_c, s_c, m_r, s_r)}")
    print(f"jitcdde loose vs default tolerances, in combined standard errors: {zscores(m_l, s_l, m_r, s_r)}")
    print(f"time ratio ours / jitcdde (default tolerances): compiled {sec_c / sec_r:.2f} (integration only), "
          f"{(sec_c + comp_c) / (sec_r + comp_r):.2f} (with both compilations); eager {sec_e / sec_r:.2f} "
          f"(integration only), {sec_e / (sec_r + comp_r):.2f} (with its compilation)")


def zscores(m1: np.ndarray, s1: np.ndarray, m2: np.ndarray, s2: np.ndarray) -> str:
    return "  ".join(f"{v:.2f}" for v in np.abs(m1 - m2) / np.sqrt(s1**2 + s2**2))


if __name__ == "__main__":
    main()
