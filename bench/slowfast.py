"""Benchmark: time scales along many states of an n = 400 tanh network, and the slow/fast split with its reduced model.

1. ``nd.time_scales`` over ``--states`` states (default 1000) of ``planted_tanh(400, 40, eps=0.01)`` (40 slow
   modes, 360 fast; W not symmetric), against the obvious way: the full eigen-decomposition of each Jacobian, one
   at a time, with ``numpy.linalg.eig``, then the same largest-gap rule on the sorted eigenvalues. The reference
   gets its Jacobians formed for free (outside its timing); ours includes forming them. Three of ours:
   ``spectrum="full"`` (every eigenvalue), ``spectrum="leading"`` (certified leading spectrum, eps exact to the
   residual tolerance) and ``spectrum="leading", eps_rtol=0.1`` (the slowest fast rate certified to 10%). Each
   must find the same number of fast modes at every state; printed: the largest relative eps difference and at
   how many states the full spectrum was needed.
2. The same along a trajectory (``--trajectory-states``, default 1000): the states of one solution from the
   first batch state, every ``DT = 0.01`` (the fast transient, then the slow manifold), in order, so that
   ``spectrum="leading"`` follows them (warm starts and a reference state's eigenvector metric).
3. The same for the symmetrised network (``W -> (W + W^T)/2``, a Hopfield-type field), where ``time_scales``
   takes the symmetric solver; the reference is ``numpy.linalg.eig`` again (``--sym-states``, default 200).
4. ``nd.slow_fast`` on 8 of the states, the reduced model (``split.reduced()``) and one evaluation of its field
   and Jacobian at the 8 states' slow coordinates: target under 10 s.

The states are ``x = 0.5 g_s + 0.1 eps g_f`` (standard normal ``g``; fast units unsaturated), seed 0.
Timings are wall-clock in this one process; the reference runs in parts around ours (one part before each of
ours and one after: :func:`compare`), so that a drifting load on a shared machine falls on both. ``--threads``
(default 1) limits both torch and numpy's BLAS/LAPACK (threadpoolctl) to the same number of threads: on a shared
machine, numpy's default thread pool competing with other processes made ``numpy.linalg.eig`` 25x slower per call
than with one thread, which would flatter ours.

    python bench/slowfast.py                  # 1000 states, 1 thread
    python bench/slowfast.py --states 200 --trajectory-states 200 --threads 2
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torchdiffeq import odeint

import neurodyn as nd

N, N_SLOW, EPS = 400, 40, 0.01
DT = 0.01  # time between trajectory states (the fast rates are about 60 to 120)


def reference_gaps(J: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Per matrix of ``J (B, n, n)``: the number of fast modes and eps of the largest gap from numpy.linalg.eig one
    at a time (same rule as time_scales: max_{j<k} |Re l_j| / -Re l_k, no conjugate pair split, fast decays);
    and the seconds taken."""
    t0 = time.perf_counter()
    n_fast, eps = [], []
    for M in J:
        vals, _ = np.linalg.eig(M)
        vals = vals[np.argsort(-vals.real, kind="stable")]
        re = vals.real
        slow_rate = np.maximum.accumulate(np.abs(re))[:-1]
        fast_rate = -re[1:]
        pair = (vals[1:].imag != 0) & (vals[1:] == np.conj(vals[:-1]))
        ok = (fast_rate > 0) & ~pair
        ratio = np.where(ok, slow_rate / np.where(ok, fast_rate, 1.0), np.inf)
        k = int(np.argmin(ratio)) + 1
        n_fast.append(len(vals) - k)
        eps.append(ratio[k - 1])
    return np.array(n_fast), np.array(eps), time.perf_counter() - t0


def states(count: int) -> torch.Tensor:
    g = torch.randn(count, N, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    g[:, :N_SLOW] *= 0.5
    g[:, N_SLOW:] *= 0.1 * EPS
    return g


def trajectory_states(flow, x0: torch.Tensor, count: int) -> torch.Tensor:
    """``count`` states of the solution from ``x0``, every ``DT`` (dopri5, rtol 1e-8, atol 1e-10)."""
    t = DT * torch.arange(count, dtype=torch.float64)
    with torch.no_grad():
        return odeint(lambda s, x: flow.f(x[None])[0], x0, t, rtol=1e-8, atol=1e-10, method="dopri5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=1000)
    parser.add_argument("--trajectory-states", type=int, default=1000)
    parser.add_argument("--sym-states", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with threadpool_limits(args.threads):
        run(args.states, args.trajectory_states, args.sym_states)


def compare(flow, x: torch.Tensor, variants: dict[str, dict]) -> None:
    """Time the reference and each variant of ``time_scales`` on ``x``; print speed-ups and agreement.

    The reference runs in ``len(variants) + 1`` consecutive parts of the states, one before each variant (which
    runs on all of them, in one call) and one after the last: on a shared machine whose load drifts, the
    reference's time is spread over the same stretch as ours."""
    nd.time_scales(flow, x[:4])  # warm-up (first LAPACK calls)
    J = flow.jacobian(x).numpy()
    parts = torch.arange(len(x)).tensor_split(len(variants) + 1)
    ref, ref_fast, ref_eps, found = 0.0, [], [], {}

    def reference(part):
        nonlocal ref
        fast, eps, seconds = reference_gaps(J[part.numpy()])
        ref += seconds
        ref_fast.append(fast)
        ref_eps.append(eps)

    for part, (label, kwargs) in zip(parts, variants.items(), strict=False):
        reference(part)
        t0 = time.perf_counter()
        ts = nd.time_scales(flow, x, **kwargs)
        found[label] = ts, time.perf_counter() - t0
    reference(parts[-1])
    ref_fast, ref_eps = np.concatenate(ref_fast), np.concatenate(ref_eps)
    print(f"  numpy.linalg.eig one at a time: {ref:8.2f} s ({1e3 * ref / len(x):.1f} ms/state)")
    for label, (ts, ours) in found.items():
        same = int((ts.best_n_fast.numpy() == ref_fast).sum())
        rel = np.abs(ts.best_eps.numpy() - ref_eps) / ref_eps
        print(f"  {label:28s} {ours:8.2f} s ({1e3 * ours / len(x):5.1f} ms/state), speed-up {ref / ours:5.2f}x; "
              f"{ts.n_fast} fast, same count at {same}/{len(x)}, eps rel. diff <= {rel.max():.1e}, "
              f"full spectra at {ts.settings['full_spectra']} states, status {ts.status.value}")


def run(count: int, traj_count: int, sym_count: int) -> None:
    flow = nd.planted_tanh(N, N_SLOW, EPS, seed=0)
    x = states(count)
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, numpy {np.__version__}, "
          f"{torch.get_num_threads()} thread(s)")
    print(f"planted_tanh(n={N}, n_slow={N_SLOW}, eps={EPS}), {count} states:")
    leading = {"time_scales (leading)": {"spectrum": "leading"},
               "time_scales (leading, 10%)": {"spectrum": "leading", "eps_rtol": 0.1}}
    compare(flow, x, {"time_scales (full)": {}} | leading)
    if traj_count:
        print(f"along a trajectory from the first state, {traj_count} states {DT} apart:")
        compare(flow, trajectory_states(flow, x[0], traj_count), leading)
    form = flow.tanh_form
    sym = nd.tanh_field(0.5 * (form.W + form.W.T), form.b, leak=form.leak, name="symmetrised planted_tanh")
    print(f"the same with W symmetrised, {sym_count} states:")
    compare(sym, x[:sym_count], {"time_scales (symmetric)": {}})

    t0 = time.perf_counter()
    split = nd.slow_fast(flow, x[:8])
    red = split.reduced()
    z = split.slow_coordinates(split.states)
    v, Jr = red.f(z), red.jacobian(z)
    sf = time.perf_counter() - t0
    print(f"slow_fast + reduced model (field and Jacobian at 8 states): {sf:.2f} s (target < 10 s); "
          f"{split.n_slow} slow + {split.n_fast} fast, status {split.status.value}, "
          f"reduced field {tuple(v.shape)}, Jacobian {tuple(Jr.shape)}")


if __name__ == "__main__":
    main()
