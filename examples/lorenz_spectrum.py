"""Lyapunov spectrum of the Lorenz system, compared with the published values (Sprott 2003).

    python examples/lorenz_spectrum.py [--steps 20000]
"""

import argparse

import neurodyn as nd

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=20_000)
p.add_argument("--out", default="lorenz_spectrum.png")
a = p.parse_args()

res = nd.lyapunov_spectrum(nd.lorenz(), steps=a.steps, dt=0.01, transient=1000, tangent_transient=500,
                           batch=8, qr_every=5, progress=True)
for i, (lam, ref) in enumerate(zip(res.exponents.tolist(), (0.9056, 0.0, -14.5723), strict=True), 1):
    print(f"lambda_{i} = {lam:+.4f} ± {res.stderr[i - 1]:.4f} nats/time   (published {ref:+.4f})")
print(f"sum = {res.sum:.4f} (trace of J: {-(10 + 1 + 8 / 3):.4f}),  Kaplan–Yorke dimension "
      f"{res.kaplan_yorke_dimension():.3f}")
res.plot().figure.savefig(a.out, dpi=120)
print(f"convergence plot: {a.out}")
