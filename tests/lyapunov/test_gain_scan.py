"""random_rnn_gain_scan: the measured exponents are max_lyapunov's, the theory is the mean field's."""

import math

import torch

import neurodyn as nd


def test_gain_scan_matches_its_parts():
    scan = nd.lyapunov.random_rnn_gain_scan(30, gains=(0.5, 2.0), steps=300, transient=50, seed=1)
    for g, res in zip(scan.gains, scan.spectra, strict=True):
        direct = nd.max_lyapunov(nd.random_tanh_rnn(30, g, seed=1), steps=300, transient=50, batch=2, seed=1)
        assert torch.equal(res.exponents, direct.exponents)
    assert scan.mean_field == tuple(nd.meanfield.rnn_max_lyapunov(g) for g in (0.5, 2.0))
    assert abs(scan.mean_field[0] - math.log(0.5)) < 1e-12  # ln g below the transition
    assert scan.measured[0] < 0  # an ordered network contracts
    assert scan.first_chaotic_gain == next((g for g, v in zip(scan.gains, scan.measured, strict=True) if v > 0), None)
    d = scan.to_dict()
    assert d["g"] == [0.5, 2.0] and d["measured"] == scan.measured and d["n"] == 30 and d["steps"] == 300
