"""Fixed points of a GRU trained on the 3-bit flip-flop memory task: 8 stable points (the memories) and
the saddles between them, each classified by its Jacobian's eigenvalues.

    python examples/flip_flop_fixed_points.py [--hidden 24] [--iterations 400]
"""

import argparse

import torch

import neurodyn as nd
from neurodyn.data import flip_flop
from neurodyn.models import train_flip_flop

p = argparse.ArgumentParser()
p.add_argument("--hidden", type=int, default=24)
p.add_argument("--iterations", type=int, default=400)
p.add_argument("--out", default="flip_flop_fixed_points.png")
a = p.parse_args()

trained = train_flip_flop(n_bits=3, hidden=a.hidden, iterations=a.iterations, seed=0)
print(f"trained GRU({a.hidden}): sign accuracy {trained.accuracy:.4f}")

inputs, _ = flip_flop(3, batch=32, steps=100, generator=torch.Generator().manual_seed(1))
fp = nd.find_fixed_points(trained.model.rnn, inputs=inputs, n_starts=256, progress=True)
print(fp)
stable = fp.fixed.stable
with torch.no_grad():
    memories = torch.sign(trained.model.readout(stable.points.float()))
for point, bits, ev in zip(stable.points, memories.tolist(), stable.eigenvalues, strict=True):
    print(f"stable point |h| = {point.norm():.3f} stores bits {[int(b) for b in bits]}, "
          f"leading multiplier |mu| = {ev[0].abs():.4f}")
saddles = [i for i, s in enumerate(fp.fixed.stability) if s.startswith("saddle")]
print(f"{len(saddles)} saddles, unstable dimensions {sorted(int(fp.fixed.n_unstable[i]) for i in saddles)}")
fp.plot().figure.savefig(a.out, dpi=120)
print(f"figure: {a.out}")
