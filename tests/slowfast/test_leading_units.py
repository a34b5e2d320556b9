"""spectrum="leading" does not depend on the units of time: a Jacobian scaled by a power of two far from 1 gets the
same answers as the full spectra (certified or not), never an error from the float32 Arnoldi estimate."""

import warnings

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


def test_an_exactly_singular_jacobian_falls_back_without_warnings():
    """A coordinate that does not move (a zero row: eigenvalue 0) makes J exactly singular, so the slow iteration's
    LU fails; the states get their full spectra, and no scipy warning reaches the caller."""
    n = 12
    rng = np.random.default_rng(0)
    V = np.linalg.qr(rng.standard_normal((n - 1, n - 1)))[0]
    A = np.zeros((n, n))
    A[1:, 1:] = V @ np.diag(np.r_[-1.0, -1.5, -np.linspace(100, 150, n - 3)]) @ V.T
    A[1:, 0] = 0.3
    A = torch.tensor(A)
    flow = nd.Flow(lambda t, x: x @ A.T, n, jacobian=lambda t, x: A.expand(*x.shape[:-1], n, n).clone(),
                   name="frozen coordinate")
    x = torch.randn(4, n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ref = nd.time_scales(flow, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = nd.time_scales(flow, x, spectrum="leading")
    assert ours.n_fast == ref.n_fast == 11  # the eigenvalue 0 alone is slow: eps = 0
    assert bool((ours.computed == n).all()) and torch.allclose(ours.eps, ref.eps, rtol=1e-9, atol=1e-15)
    # the full spectra come from geev with or without vectors: equal up to rounding
    assert torch.allclose(ours.eigenvalues, ref.eigenvalues, rtol=1e-12, atol=1e-12)
