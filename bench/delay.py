"""Benchmark: the leading 4 Lyapunov exponents of Mackey–Glass (beta 0.2, gamma 0.1, n 10, tau 17), 8 histories.

Ours: :func:`neurodyn.lyapunov_spectrum` on the discretised history (RK4, ``dt = tau / 34``, the 8 histories as
one batch). Reference: ``jitcdde_lyap`` (jitcdde: the Shampine–Thompson Bogacki–Shampine 3(2) integrator with
adaptive steps, compiled to C, tangent vectors in the same integration; its default tolerances), one history
after the other, as it is used. Both start from the same constant histories, discard 500 time units
(transient and frame alignment) and measure over ``T`` time units; accuracy is the standard error of the mean
over the 8 histories, printed for both, and the two means are compared against their combined error.
Times: ours whole; the reference's C compilation separately from its integration.

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


def ours(histories: torch.Tensor, T: float, nodes: int):
    dt = TAU / nodes
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = nd.lyapunov_spectrum(nd.mackey_glass(tau=TAU), k=4, dt=dt, steps=round(T / dt),
                                   transient=round(300 / dt), tangent_transient=round(200 / dt), x0=histories)
    return res.per_sample.numpy(), time.perf_counter() - t0, str(res.status)


def reference(histories: torch.Tensor, T: float):
    from jitcdde import jitcdde_lyap, t, y

    t0 = time.perf_counter()
    dde = jitcdde_lyap([0.2 * y(0, t - TAU) / (1 + y(0, t - TAU) ** 10) - 0.1 * y(0)], n_lyap=4, verbose=False)
    dde.compile_C(simplify=False, do_cse=False, verbose=False)
    compile_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    per = []
    for h in histories[:, 0].tolist():
        dde.purge_past()
        dde.constant_past([h], time=0.0)
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
    return np.array(per), time.perf_counter() - t1, compile_s


def summary(per: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return per.mean(0), per.std(0, ddof=1) / math.sqrt(len(per))


def row(mean: np.ndarray, err: np.ndarray) -> str:
    return "  ".join(f"{a:+.5f} ± {b:.5f}" for a, b in zip(mean, err, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=float, default=3000.0)
    parser.add_argument("--nodes", type=int, default=34, help="history nodes per delay (dt = tau / nodes)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    histories = 1 + 0.1 * torch.randn(8, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    print(f"Mackey–Glass tau = 17, 8 histories, T = {args.T:g}; {platform.processor() or platform.machine()}, "
          f"torch {torch.__version__}, 1 thread")
    per_o, sec_o, status = ours(histories, args.T, args.nodes)
    try:
        per_r, sec_r, comp = reference(histories, args.T)
    except Exception as exc:  # noqa: BLE001 - a missing compiler or package is reported, not hidden
        print(f"jitcdde could not run here ({type(exc).__name__}: {exc})")
        per_r = None
    m_o, s_o = summary(per_o)
    print(f"ours  (RK4, dt = {TAU / args.nodes:.4g}): " + row(m_o, s_o) + f"   {sec_o:.1f} s   status {status}")
    if per_r is None:
        return
    m_r, s_r = summary(per_r)
    print("jitcdde_lyap (default tolerances):  " + row(m_r, s_r) + f"   {sec_r:.1f} s integration + {comp:.1f} s "
          "compilation")
    z = np.abs(m_o - m_r) / np.sqrt(s_o**2 + s_r**2)
    print("difference in combined standard errors: " + "  ".join(f"{v:.2f}" for v in z))
    print(f"time ratio ours / jitcdde: {sec_o / sec_r:.2f} (integration only), {sec_o / (sec_r + comp):.2f} "
          "(with its compilation)")


if __name__ == "__main__":
    main()
