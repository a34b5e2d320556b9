"""Bifurcations of -x + tanh(g W x) in the gain g, and a computer-assisted proof of every Hopf point.

    python examples/hopf_proofs.py [--n 30] [--g-max 4] [--backend fast]
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import neurodyn as nd  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=30)
p.add_argument("--g-max", type=float, default=4.0)
p.add_argument("--backend", default="fast", help="'fast' (float64 balls) or 'arb' (Arb balls, slower)")
p.add_argument("--out", default="hopf_proofs.png")
a = p.parse_args()

W = torch.randn(a.n, a.n, generator=torch.Generator().manual_seed(0), dtype=torch.float64) / a.n**0.5
# dx/dt = -x + tanh((0 + g W) x): the Jacobian at x = 0 is -I + g W, pairs cross at g = 1 / Re(lambda(W))
family = nd.tanh_family(torch.zeros(a.n, a.n, dtype=torch.float64), direction=W, leak=1.0, param="g",
                        name="-x + tanh(g W x)")
branch = nd.continue_equilibria(family, param="g", start=0.0, stop=a.g_max)
print(branch)
for sp in branch.special:
    if sp.kind != "hopf":
        continue
    proof = nd.prove_hopf(family, sp.hopf, backend=a.backend)
    lo, hi = proof.bounds.get("g", (float("nan"),) * 2)
    print(f"Hopf point g in [{lo:.15g}, {hi:.15g}]: {proof.conclusion if proof.proved else proof.reason}")
    if proof.proved:
        print("  proven:", proof.statement)

fig, ax = plt.subplots(figsize=(6.5, 4.5))
branch.plot(ax=ax)
fig.tight_layout()
fig.savefig(a.out, dpi=120)
print(f"bifurcation diagram: {a.out}")
