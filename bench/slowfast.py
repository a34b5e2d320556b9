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
Timings are wall-clock in this one process, over ``--rounds`` parts (default 4) timed in turn: the reference on a
part, then each of ours on it, then the next part (so a drifting load on a shared machine is shared). ``--threads``
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
    parser.add_argument("--rounds", type=int, default=4, help="parts timed in turn (reference, then ours)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with threadpool_limits(args.threads):
        run(args.states, args.trajectory_states, args.sym_states, args.rounds)


def compare(flow, x: torch.Tensor, variants: dict[str, dict], rounds: int) -> None:
    """Time the reference and each variant of ``time_scales`` on ``x``; print speed-ups and agreement.

    The states are split into ``rounds`` consecutive parts, and each part is timed with the reference and then
    every variant before the next part: on a shared machine whose load drifts, every method sees about the same
    load (each variant starts afresh on each part: one more full decomposition per part)."""
    nd.time_scales(flow, x[:4])  # warm-up (first LAPACK calls)
    J = flow.jacobian(x).numpy()
    ref, ours = 0.0, dict.fromkeys(variants, 0.0)
    ref_fast, ref_eps, found = [], [], {label: [] for label in variants}
    for part in torch.arange(len(x)).tensor_split(rounds):
        fast, eps, seconds = reference_gaps(J[part.numpy()])
        ref, ref_fast, ref_eps = ref + seconds, ref_fast + [fast], ref_eps + [eps]
        for label, kwargs in variants.items():
            t0 = time.perf_counter()
            found[label].append(nd.time_scales(flow, x[part], **kwargs))
            ours[label] += time.perf_counter() - t0
    ref_fast, ref_eps = np.concatenate(ref_fast), np.concatenate(ref_eps)
    print(f"  numpy.linalg.eig one at a time: {ref:8.2f} s ({1e3 * ref / len(x):.1f} ms/state)")
    for label, parts in found.items():
        same = int((np.concatenate([ts.best_n_fast.numpy() for ts in parts]) == ref_fast).sum())
        rel = np.abs(np.concatenate([ts.best_eps.numpy() for ts in parts]) - ref_eps) / ref_eps
        t, full = ours[label], sum(ts.settings["full_spectra"] for ts in parts)
        print(f"  {label:28s} {t:8.2f} s ({1e3 * t / len(x):5.1f} ms/state), speed-up {ref / t:5.2f}x; "
              f"{'/'.join(sorted({str(ts.n_fast) for ts in parts}))} fast, same count at {same}/{len(x)}, "
              f"eps rel. diff <= {rel.max():.1e}, full spectra at {full} states, "
              f"status {'/'.join(sorted({ts.status.value for ts in parts}))}")


def run(count: int, traj_count: int, sym_count: int, rounds: int) -> None:
    flow = nd.planted_tanh(N, N_SLOW, EPS, seed=0)
    x = states(count)
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, numpy {np.__version__}, "
          f"{torch.get_num_threads()} thread(s)")
    print(f"planted_tanh(n={N}, n_slow={N_SLOW}, eps={EPS}), {count} states:")
    leading = {"time_scales (leading)": {"spectrum": "leading"},
               "time_scales (leading, 10%)": {"spectrum": "leading", "eps_rtol": 0.1}}
    compare(flow, x, {"time_scales (full)": {}} | leading, rounds)
    if traj_count:
        print(f"along a trajectory from the first state, {traj_count} states {DT} apart:")
        compare(flow, trajectory_states(flow, x[0], traj_count), leading, rounds)
    form = flow.tanh_form
    sym = nd.tanh_field(0.5 * (form.W + form.W.T), form.b, leak=form.leak, name="symmetrised planted_tanh")
    print(f"the same with W symmetrised, {sym_count} states:")
    compare(sym, x[:sym_count], {"time_scales (symmetric)": {}}, rounds)

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
