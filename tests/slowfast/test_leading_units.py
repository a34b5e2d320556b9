"""spectrum="leading" does not depend on the units of time: a Jacobian scaled by a power of two far from 1 gets the
same answers as the full spectra (certified or not), never an error from the float32 Arnoldi estimate."""

import numpy as np
import pytest
import torch

import neurodyn as nd


def _two_matrices(n=12, seed=0):
    """Two unrelated matrices with slow rates 1, 1.5, 2 and a non-normal fast block (rates 100..150): a state
    followed from the first one fails at the second, which then takes the cold method (Arnoldi's estimate)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        T = np.diag(-np.r_[1.0, 1.5, 2.0, np.linspace(100, 150, n - 3)])
        T[3:, 3:] += np.triu(20.0 * rng.standard_normal((n - 3, n - 3)), 1)
        V = np.linalg.qr(rng.standard_normal((n, n)))[0]
        out.append(V @ T @ V.T)
    return torch.tensor(np.stack(out))


@pytest.mark.parametrize("scale", [2.0**130, 2.0**-110])
def test_extreme_units_give_the_full_answers(scale):
    mats = scale * _two_matrices()
    n = mats.shape[-1]

    def jacobian(t, x):
        return mats[(x[..., 0] > 0.5).long()].clone()

    flow = nd.Flow(lambda t, x: (jacobian(t, x) @ x[..., None])[..., 0], n, jacobian=jacobian, name="scaled")
    x = torch.zeros(8, n, dtype=torch.float64)
    x[1:, 0] = 1.0  # the first state on one matrix, the others on the unrelated one
    ours, ref = nd.time_scales(flow, x, spectrum="leading"), nd.time_scales(flow, x)
    assert ours.n_fast == ref.n_fast == 9
    assert torch.allclose(ours.eps, ref.eps, rtol=1e-9, atol=0)
    known = ours.computed
    for i in range(len(x)):
        assert torch.allclose(ours.eigenvalues[i, :known[i]], ref.eigenvalues[i, :known[i]], rtol=1e-9, atol=0)
