"""Order-to-chaos transition of random tanh networks h[t+1] = tanh(g W h[t]), W_ij ~ N(0, 1/n):
the measured maximal exponent against mean-field theory.

    python examples/random_rnn_transition.py [--n 500] [--steps 1000]
"""

import argparse

import neurodyn as nd

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=500)
p.add_argument("--steps", type=int, default=1000)
a = p.parse_args()

print(f"{'g':>5} {'measured':>10} {'mean field':>11}")
for g in (0.5, 0.9, 1.5, 2.0, 3.0):
    res = nd.max_lyapunov(nd.random_tanh_rnn(a.n, g, seed=0), steps=a.steps, transient=200, batch=2)
    print(f"{g:>5.1f} {res.maximal:>10.4f} {nd.meanfield.rnn_max_lyapunov(g):>11.4f}")
