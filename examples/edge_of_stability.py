"""Edge of stability (Cohen et al. 2021): full-batch GD on handwritten digits drives the sharpness up to 2/lr,
where it hovers while the loss keeps falling.

    python examples/edge_of_stability.py [--steps 1500] [--lr 0.2 0.1]
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from neurodyn.training import eos_digits  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=1500)
p.add_argument("--lr", type=float, nargs="+", default=[0.2, 0.1])
p.add_argument("--out", default="edge_of_stability.png")
a = p.parse_args()

runs = eos_digits(tuple(a.lr), steps=a.steps, progress=True)
fig, ax = plt.subplots(figsize=(8, 4.5))
for i, (lr, run) in enumerate(runs.items()):
    ratio = run.ratio()
    print(f"lr={lr:g}: 2/lr = {2 / lr:g}, sharpness/(2/lr) from {float(ratio[0]):.3f} to {float(ratio[-1]):.3f}, "
          f"max {float(ratio.max()):.3f}; final loss {run.loss[-1]:.4g}; {run.hvps} Hessian-vector products")
    run.plot(ax=ax, label=f"lr={lr:g}", color=f"C{i}", show_loss=False)
fig.tight_layout()
fig.savefig(a.out, dpi=120)
print(f"figure: {a.out}")
