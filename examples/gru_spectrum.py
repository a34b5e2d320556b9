"""Full Lyapunov spectrum of a 2-layer GRU driven by random input sequences, and of an LSTM with its
full (h, c) state against the h-only view.

    python examples/gru_spectrum.py [--hidden 32] [--steps 500]
"""

import argparse

import torch
from torch import nn

import neurodyn as nd

p = argparse.ArgumentParser()
p.add_argument("--hidden", type=int, default=32)
p.add_argument("--steps", type=int, default=500)
p.add_argument("--out", default="gru_spectrum.png")
a = p.parse_args()

torch.manual_seed(0)  # only to build the example networks; neurodyn itself draws from its own seeds
gru = nn.GRU(input_size=4, hidden_size=a.hidden, num_layers=2, batch_first=True)
lstm = nn.LSTM(input_size=4, hidden_size=a.hidden, batch_first=True)
inputs = torch.randn(8, a.steps + 100, 4, generator=torch.Generator().manual_seed(1))

spec = nd.lyapunov_spectrum(gru, inputs=inputs, transient=50, tangent_transient=50, qr_every="auto")
print(spec)
print(f"largest {spec.maximal:+.4f} ± {spec.stderr[0]:.4f} nats/step over {spec.settings['batch']} sequences")
spec.plot(kind="spectrum").figure.savefig(a.out, dpi=120)

full = nd.lyapunov_spectrum(nd.from_torch(lstm), inputs=inputs, transient=50, tangent_transient=50, k=5)
h_only = nd.lyapunov_spectrum(nd.from_torch(lstm, lstm_state="h"), inputs=inputs, transient=50,
                              tangent_transient=50, k=5)
print("LSTM, full (h, c) state:", [round(v, 4) for v in full.exponents.tolist()])
print("LSTM, h-only view:      ", [round(v, 4) for v in h_only.exponents.tolist()])

top = nd.max_lyapunov(gru, inputs=inputs, transient=50, tangent_transient=50)
print(f"max_lyapunov (JVP, no Jacobian formed): {top.maximal:+.4f}  vs spectrum {spec.maximal:+.4f}")
print(f"spectrum plot: {a.out}")
