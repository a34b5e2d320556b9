"""FTLE ridges of a neural-ODE classifier trained on two moons trace its decision boundary.

    python examples/moons_ftle.py [--hidden 16] [--grid 200]
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import neurodyn as nd  # noqa: E402
from neurodyn.models import train_moons_classifier  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--hidden", type=int, default=16)
p.add_argument("--grid", type=int, default=200)
p.add_argument("--out", default="moons_ftle.png")
a = p.parse_args()

trained = train_moons_classifier(hidden=a.hidden, seed=0)
model = trained.model
print(f"NeuralODEClassifier(hidden={a.hidden}): test accuracy {trained.accuracy:.4f}")

xs = torch.linspace(-1.5, 2.5, a.grid, dtype=torch.float64)
ys = torch.linspace(-1.0, 1.5, a.grid, dtype=torch.float64)
grid = torch.cartesian_prod(xs, ys)
field = model.ftle(grid)
print(field)

link = nd.ftle_boundary_link(model, model.ftle(trained.X_test))
print(link)
print(f"ROC AUC of FTLE for 'within {link.eps:.3g} of the boundary': {link.auc:.3f}")
print(f"Spearman rank correlation of FTLE with the PGD radius: {link.spearman:.3f}")
print(f"long-time exponents of the field: {model.long_time_lyapunov(trained.X_test[:16])}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
field.plot(ax=axes[0], classifier=model, data=(trained.X_test, trained.y_test))
link.plot(ax=axes[1])
fig.tight_layout()
fig.savefig(a.out, dpi=120)
print(f"figure: {a.out}")
