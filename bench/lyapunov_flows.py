"""Benchmark: Lyapunov spectra of classic chaotic systems written as a user would, against lyapynov and jitcode.

Each system is written once per library in that library's own terms: for neurodyn only the field or step
(``nd.Flow`` / ``nd.Map`` with no ``jacobian=``: the generic autodiff path); for lyapynov the numpy field and
the Jacobian it requires; for jitcode's ``jitcode_lyap`` symbolic expressions (compiled to C, flows only).

Equal accuracy means equal total trajectory time ``T`` at the same step ``dt``: the statistical error of a QR
estimate falls as ``1/sqrt(T)`` whatever the code, so runs of equal ``T`` reach the same accuracy, and the
table states it (the standard error of neurodyn's ``lambda_1`` over its batch). lyapynov follows one
trajectory (its API) for ``T``; neurodyn follows ``--batch`` trajectories of ``T / batch`` each at once, started
spread around the same point and each given the same transient (counted in its time) plus half as long again to
align its frame. Short trajectories bias the exponents that converge like ``1/T`` (the zero exponent of a
flow), so compare ``lambda_1``; jitcode integrates one trajectory adaptively
(scipy's dopri5) with a unit-time QR interval. Times are wall-clock seconds in this one process, one thread
each; jitcode's C compilation is shown apart from its run. The process's first neurodyn call pays torch's
one-time lazy imports on its first ``torch.autograd.grad`` with explicit output cotangents (sympy, about 0.4 s
here): a short warm-up run takes it before the table, and its time is printed apart.

    python bench/lyapunov_flows.py                 # jitcode on Lorenz only (its compile takes ~10-30 s)
    python bench/lyapunov_flows.py --jitcode all   # jitcode on every flow
    python bench/lyapunov_flows.py --compile       # also neurodyn with compile=True (compiling shown apart)
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import tempfile
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch

import neurodyn as nd


@dataclass(frozen=True)
class Case:
    name: str
    torch_f: object  # the user's batched function: field(t, x) or step(x, u)
    np_f: object  # lyapynov: f(x, t)
    np_jac: object  # lyapynov: jac(x, t)
    sym: object  # jitcode: y -> list of expressions, or None for maps
    x0: tuple
    dt: float | None  # None: a map
    T: float  # total trajectory time (maps: steps)
    transient: float  # time (maps: steps) before measuring, for every trajectory
    spread: float  # neurodyn's initial states: x0 plus this times standard normal noise


def lorenz_t(t, x):
    X, Y, Z = x.unbind(-1)
    return torch.stack((10 * (Y - X), X * (28 - Z) - Y, X * Y - 8 / 3 * Z), -1)


def rossler_t(t, x):
    X, Y, Z = x.unbind(-1)
    return torch.stack((-Y - Z, X + 0.2 * Y, 0.2 + Z * (X - 5.7)), -1)


def thomas_t(t, x):
    X, Y, Z = x.unbind(-1)
    return torch.stack((torch.sin(Y) - 0.208186 * X, torch.sin(Z) - 0.208186 * Y, torch.sin(X) - 0.208186 * Z), -1)


def halvorsen_t(t, x):
    X, Y, Z = x.unbind(-1)
    a = 1.27
    return torch.stack((-a * X - 4 * Y - 4 * Z - Y * Y, -a * Y - 4 * Z - 4 * X - Z * Z, -a * Z - 4 * X - 4 * Y - X * X),
                       -1)


def towel_t(x, u):
    X, Y, Z = x.unbind(-1)
    s = (Y + 0.35) * (1 - 2 * Z)
    return torch.stack((3.8 * X * (1 - X) - 0.05 * s, 0.1 * (s - 1) * (1 - 1.9 * X), 3.78 * Z * (1 - Z) + 0.2 * Y), -1)


def numpy_versions():
    """(f, jac) pairs in numpy, as a lyapynov user writes them."""
    def lorenz(x, t):
        return np.array([10 * (x[1] - x[0]), x[0] * (28 - x[2]) - x[1], x[0] * x[1] - 8 / 3 * x[2]])

    def lorenz_j(x, t):
        return np.array([[-10, 10, 0], [28 - x[2], -1, -x[0]], [x[1], x[0], -8 / 3]])

    def rossler(x, t):
        return np.array([-x[1] - x[2], x[0] + 0.2 * x[1], 0.2 + x[2] * (x[0] - 5.7)])

    def rossler_j(x, t):
        return np.array([[0, -1, -1], [1, 0.2, 0], [x[2], 0, x[0] - 5.7]])

    b = 0.208186

    def thomas(x, t):
        return np.array([np.sin(x[1]) - b * x[0], np.sin(x[2]) - b * x[1], np.sin(x[0]) - b * x[2]])

    def thomas_j(x, t):
        return np.array([[-b, np.cos(x[1]), 0], [0, -b, np.cos(x[2])], [np.cos(x[0]), 0, -b]])

    a = 1.27

    def halvorsen(x, t):
        X, Y, Z = x
        return np.array([-a * X - 4 * Y - 4 * Z - Y * Y, -a * Y - 4 * Z - 4 * X - Z * Z,
                         -a * Z - 4 * X - 4 * Y - X * X])

    def halvorsen_j(x, t):
        X, Y, Z = x
        return np.array([[-a, -4 - 2 * Y, -4], [-4, -a, -4 - 2 * Z], [-4 - 2 * X, -4, -a]])

    def towel(x, t):
        X, Y, Z = x
        s = (Y + 0.35) * (1 - 2 * Z)
        return np.array([3.8 * X * (1 - X) - 0.05 * s, 0.1 * (s - 1) * (1 - 1.9 * X), 3.78 * Z * (1 - Z) + 0.2 * Y])

    def towel_j(x, t):
        X, Y, Z = x
        s = (Y + 0.35) * (1 - 2 * Z)
        return np.array([[3.8 * (1 - 2 * X), -0.05 * (1 - 2 * Z), 0.1 * (Y + 0.35)],
                         [-0.19 * (s - 1), 0.1 * (1 - 2 * Z) * (1 - 1.9 * X), -0.2 * (Y + 0.35) * (1 - 1.9 * X)],
                         [0, 0.2, 3.78 * (1 - 2 * Z)]])

    return dict(lorenz=(lorenz, lorenz_j), rossler=(rossler, rossler_j), thomas=(thomas, thomas_j),
                halvorsen=(halvorsen, halvorsen_j), towel=(towel, towel_j))


def symbolic(name):
    """jitcode's expressions (symengine), or None for maps."""
    from jitcode import y
    from symengine import sin

    b, a = 0.208186, 1.27
    return {
        "lorenz": lambda: [10 * (y(1) - y(0)), y(0) * (28 - y(2)) - y(1), y(0) * y(1) - 8 / 3 * y(2)],
        "rossler": lambda: [-y(1) - y(2), y(0) + 0.2 * y(1), 0.2 + y(2) * (y(0) - 5.7)],
        "thomas": lambda: [sin(y(1)) - b * y(0), sin(y(2)) - b * y(1), sin(y(0)) - b * y(2)],
        "halvorsen": lambda: [-a * y(0) - 4 * y(1) - 4 * y(2) - y(1) ** 2, -a * y(1) - 4 * y(2) - 4 * y(0) - y(2) ** 2,
                              -a * y(2) - 4 * y(0) - 4 * y(1) - y(0) ** 2],
    }.get(name)


def cases() -> list[Case]:
    npv = numpy_versions()
    spec = [("lorenz", lorenz_t, (1.0, 1.0, 20.0), 0.01, 400.0, 5.0, 1.0),
            ("rossler", rossler_t, (1.0, 1.0, 0.0), 0.02, 800.0, 50.0, 1.0),
            ("thomas", thomas_t, (0.1, 0.0, 0.0), 0.05, 2000.0, 100.0, 1.0),
            ("halvorsen", halvorsen_t, (-5.0, 0.0, 0.0), 0.01, 400.0, 5.0, 0.1),
            ("towel", towel_t, (0.085, -0.121, 0.075), None, 40000.0, 100.0, 0.01)]
    return [Case(n, f, *npv[n], symbolic(n), *rest) for n, f, *rest in spec]


def run_neurodyn(c: Case, batch: int, transient: float, compile: bool = False) -> tuple[np.ndarray, float, float]:
    step_t = c.dt or 1.0
    steps = math.ceil(c.T / batch / step_t)
    tr = math.ceil(transient / step_t)
    system = nd.Map(c.torch_f, 3) if c.dt is None else nd.Flow(c.torch_f, 3)
    x0 = torch.tensor(c.x0, dtype=torch.float64) + c.spread * torch.randn(batch, 3, dtype=torch.float64,
                                                                           generator=torch.Generator().manual_seed(0))
    t0 = time.perf_counter()
    r = nd.lyapunov_spectrum(system, steps=steps, x0=x0, transient=tr, tangent_transient=tr // 2, dt=c.dt,
                             qr_every="auto", strict=False, compile=compile)
    return r.exponents.numpy(), float(r.stderr[0]), time.perf_counter() - t0


def run_lyapynov(c: Case, transient: float) -> tuple[np.ndarray, float]:
    import lyapynov

    step_t = c.dt or 1.0
    x0 = np.array(c.x0)
    if c.dt is None:
        ds = lyapynov.DiscreteDS(x0, 0.0, c.np_f, c.np_jac)
    else:
        ds = lyapynov.ContinuousDS(x0, 0.0, c.np_f, c.np_jac, c.dt)
    t0 = time.perf_counter()
    le = lyapynov.LCE(ds, 3, math.ceil(transient / step_t), math.ceil(c.T / step_t), False)
    return le, time.perf_counter() - t0


def run_jitcode(c: Case, transient: float) -> tuple[np.ndarray, float, float]:
    from jitcode import jitcode_lyap

    t0 = time.perf_counter()
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:  # its C build runs setuptools in the working folder
        os.chdir(tmp)
        try:
            ode = jitcode_lyap(c.sym(), n_lyap=3, verbose=False)
            ode.set_integrator("dopri5")
        finally:
            os.chdir(here)
    ode.set_initial_value(np.array(c.x0), 0.0)
    compiled = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in np.arange(1.0, transient + 1.0):
        ode.integrate(t)
    rates = [ode.integrate(transient + t)[1] for t in np.arange(1.0, c.T + 1.0)]
    return np.mean(rates, axis=0), compiled, time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--jitcode", choices=["none", "lorenz", "all"], default="lorenz")
    p.add_argument("--only", nargs="*", default=None, help="system names to run")
    p.add_argument("--compile", action="store_true",
                   help="also time neurodyn with compile=True (compiled once by a short warm-up run, shown apart)")
    a = p.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", nd.ConvergenceWarning)
    print(f"torch {torch.__version__}, one thread; neurodyn batch {a.batch}, qr_every='auto', no Jacobian given")
    t0 = time.perf_counter()
    nd.lyapunov_spectrum(nd.Flow(lorenz_t, 3), steps=20, dt=0.01, batch=2, strict=False)
    print(f"first neurodyn call in this process (20 steps; torch's one-time imports): "
          f"{time.perf_counter() - t0:.2f} s, not counted below\n")
    head = (f"{'system':10} {'T':>7} {'neurodyn λ (± se λ1)':>34} {'s':>6} | {'lyapynov λ':>26} {'s':>6} "
            f"{'ratio':>6} | {'jitcode λ':>26} {'compile s':>9} {'run s':>6}")
    print(head)
    print("-" * len(head))
    for c in cases():
        if a.only and c.name not in a.only:
            continue
        ours, se, t_ours = run_neurodyn(c, a.batch, c.transient)
        theirs, t_theirs = run_lyapynov(c, c.transient)
        fmt = lambda v: " ".join(f"{x:8.4f}" for x in v)  # noqa: E731
        line = (f"{c.name:10} {c.T:>7g} {fmt(ours)} ± {se:.3f} {t_ours:6.2f} | {fmt(theirs)} {t_theirs:6.2f} "
                f"{t_theirs / t_ours:5.1f}x |")
        if c.sym is not None and (a.jitcode == "all" or (a.jitcode == "lorenz" and c.name == "lorenz")):
            jl, compiled, t_j = run_jitcode(c, c.transient)
            line += f" {fmt(jl)} {compiled:9.1f} {t_j:6.2f}"
        else:
            line += f" {'—':>26}"
        print(line, flush=True)
        if a.compile:
            t0 = time.perf_counter()
            run_neurodyn(dataclasses.replace(c, T=c.T / 50), a.batch, 0.0, compile=True)  # compiles (cached after)
            warm = time.perf_counter() - t0
            comp, se, t_comp = run_neurodyn(c, a.batch, c.transient, compile=True)
            print(f"{'  compiled':10} {c.T:>7g} {fmt(comp)} ± {se:.3f} {t_comp:6.2f} | compile {warm:.1f} s; "
                  f"{t_theirs / t_comp:.1f}x faster than lyapynov", flush=True)


if __name__ == "__main__":
    main()
