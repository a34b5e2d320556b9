"""Benchmark: the top Hessian eigenvalue of an MLP, neurodyn's Lanczos against PyHessian's power iteration.

Model: a tanh MLP 64 -> 300 -> 300 -> 10 (112 810 parameters), float32, on 5000 generated examples (Gaussian
inputs, targets from a random teacher MLP), squared loss; evaluated at its seeded initialisation and after 200
Adam steps. Reference value: our Lanczos in float64 to a residual of 1e-9. Each method runs until its own
stopping rule says it has the eigenvalue, with the loosest setting that reaches a relative error of 1e-4
against the reference (tried from loose to tight; the time and Hessian-vector products of the first setting
that reaches it are reported). Both in float32 on the same model and data, in this one process.

PyHessian (``pip install pyhessian --no-deps``; Yao et al. 2020) is used when it imports; otherwise a faithful
copy of its power iteration (stop when the Rayleigh quotient changes by less than ``tol`` relative).

    python bench/sharpness.py
"""

from __future__ import annotations

import copy
import platform
import time

import torch
from torch import nn

from neurodyn.training import half_mse, sharpness

N, D_IN, HIDDEN, D_OUT = 5000, 64, 300, 10
TOLS = (1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6)


def mlp(seed: int) -> nn.Sequential:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(D_IN, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, HIDDEN), nn.Tanh(),
                             nn.Linear(HIDDEN, D_OUT))


def problem():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(N, D_IN, generator=gen)
    with torch.no_grad():
        y = mlp(123)(X) * 3
    return X, y


def trained(model, X, y, steps=200):
    model = copy.deepcopy(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(steps):
        loss = half_mse(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def power_iteration(model, X, y, tol, max_iter=1000):
    """PyHessian's ``hessian(...).eigenvalues(top_n=1, tol=tol)``, or the same loop written out. Returns
    (eigenvalue, Hessian-vector products)."""
    try:
        import importlib

        ph = importlib.import_module("pyhessian.hessian")  # the module (the package re-exports a class by its name)
    except ImportError:
        ph = None
    if ph is not None:
        count = [0]
        original = ph.hessian_vector_product

        def counted(*a, **kw):
            count[0] += 1
            return original(*a, **kw)

        ph.hessian_vector_product = counted
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                values, _ = ph.hessian(model, half_mse, data=(X, y), cuda=False).eigenvalues(maxIter=max_iter,
                                                                                              tol=tol)
        finally:
            ph.hessian_vector_product = original
        return values[0], count[0]
    params = [p for p in model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(half_mse(model(X), y), params, create_graph=True)
    v = [torch.randn(p.shape, generator=torch.Generator().manual_seed(0)) for p in params]
    value, hvps = None, 0
    for _ in range(max_iter):
        norm = torch.sqrt(sum((a * a).sum() for a in v))
        v = [a / norm for a in v]
        Hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
        hvps += 1
        new = float(sum((a * b).sum() for a, b in zip(Hv, v, strict=True)))
        v = [h.detach() for h in Hv]
        if value is not None and abs(value - new) / (abs(value) + 1e-6) < tol:
            value = new
            break
        value = new
    return value, hvps


def first_accurate(run, exact):
    """Time and products of the loosest tolerance in TOLS whose answer is within 1e-4 of ``exact``."""
    for tol in TOLS:
        t0 = time.perf_counter()
        value, hvps = run(tol)
        seconds = time.perf_counter() - t0
        if abs(value - exact) <= 1e-4 * abs(exact):
            return dict(tol=tol, seconds=seconds, hvps=hvps, err=abs(value - exact) / abs(exact))
    return dict(tol=float("nan"), seconds=float("nan"), hvps=0, err=abs(value - exact) / abs(exact))


def main() -> None:
    X, y = problem()
    base = mlp(0)
    n_params = sum(p.numel() for p in base.parameters())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}; MLP {D_IN}-{HIDDEN}-"
          f"{HIDDEN}-{D_OUT} ({n_params} parameters), {N} examples, float32; target: relative error <= 1e-4")
    head = (f"{'model':>12} {'lambda_max':>11} | {'ours tol':>8} {'HVPs':>5} {'s':>6} {'rel err':>8} | "
            f"{'power tol':>9} {'HVPs':>5} {'s':>6} {'rel err':>8} | {'HVP ratio':>9} {'time ratio':>10}")
    print(head)
    print("-" * len(head))
    for label, model in (("init", base), ("200 Adam", trained(base, X, y))):
        exact = sharpness(model, half_mse, (X, y), tol=1e-9, max_iter=500).max

        def ours(tol, model=model):
            res = sharpness(model, half_mse, (X, y), tol=tol, dtype=torch.float32)
            return res.max, res.hvps

        def power(tol, model=model):
            return power_iteration(model, X, y, tol)

        a, b = first_accurate(ours, exact), first_accurate(power, exact)
        print(f"{label:>12} {exact:>11.6g} | {a['tol']:>8.0e} {a['hvps']:>5} {a['seconds']:>6.2f} {a['err']:>8.1e} | "
              f"{b['tol']:>9.0e} {b['hvps']:>5} {b['seconds']:>6.2f} {b['err']:>8.1e} | "
              f"{b['hvps'] / max(a['hvps'], 1):>8.1f}x {b['seconds'] / a['seconds']:>9.1f}x")


if __name__ == "__main__":
    main()
