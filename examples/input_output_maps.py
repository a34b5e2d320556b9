"""What an architecture can represent: critical points of trained MLPs by architecture class, where a vector map
loses rank, and the concentric annuli with and without an augmented dimension.

    python examples/input_output_maps.py [--epochs 400] [--annuli-epochs 200]
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import neurodyn as nd  # noqa: E402
from neurodyn.iomaps import fit_annuli, morse_classes  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--epochs", type=int, default=400)
p.add_argument("--annuli-epochs", type=int, default=200)
p.add_argument("--out", default="input_output_maps.png")
a = p.parse_args()

# 1. One tanh MLP per architecture class, fitted to exp(-|x|^2): the theorems predict none / Morse / degenerate
classes = morse_classes(epochs=a.epochs)
print(classes)
for c in classes.classes:
    print(f"{c.name}: {c.architecture.guarantee}")

# 2. A vector map R^2 -> R^2 whose Jacobian loses rank on the line x1 = -0.2 (planted weights)
net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2)).double()
with torch.no_grad():
    net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=torch.float64))
    net[0].bias.copy_(torch.tensor([0.7, 0.0, -0.3], dtype=torch.float64))
    net[2].weight.copy_(torch.tensor([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]], dtype=torch.float64))
    net[2].bias.zero_()
loss = nd.rank_loss(net, (-2.0, 2.0), n_starts=64)
print(loss)
print(f"rank-1 points: x1 in [{float(loss.points[:, 0].min()):.9f}, {float(loss.points[:, 0].max()):.9f}]")

# 3. The annuli: a plane neural ODE cannot separate them (gap <= 0 forced), an augmented one can
plain, aug = (fit_annuli(augment=k, epochs=a.annuli_epochs) for k in (0, 1))
print(plain)
print(aug)

fig = plt.figure(figsize=(16, 9))
for i, ax in enumerate([fig.add_subplot(2, 3, k + 1) for k in range(3)]):
    classes.classes[i].points.plot(ax=ax)
    ax.set_title(f"{classes.classes[i].name}: {classes.classes[i].observed}")
loss.plot(ax=fig.add_subplot(2, 3, 4))
plain.plot(ax=fig.add_subplot(2, 3, 5))
aug.plot(ax=fig.add_subplot(2, 3, 6, projection="3d"))
fig.tight_layout()
fig.savefig(a.out, dpi=100)
print(f"figure: {a.out}")
