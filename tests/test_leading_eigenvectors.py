"""``linalg.eig_leading``: all eigenvalues, and eigenvectors of the leading ones by inverse iteration."""

import numpy as np
import pytest
import torch

from neurodyn import linalg


def _check(A, k, key=lambda v: v.abs()):
    vals, vecs = linalg.eig_leading(A, key, k)
    ref = torch.linalg.eigvals(A)
    P, n = A.shape[0], A.shape[-1]
    assert vals.shape == (P, n) and vecs.shape == (P, n, k)
    g = key(vals)
    assert bool((g[:, :-1] >= g[:, 1:]).all())  # sorted by decreasing key
    for p in range(P):  # the same spectrum as LAPACK's
        assert np.allclose(np.sort_complex(vals[p].numpy()), np.sort_complex(ref[p].numpy()), atol=1e-10)
    Ac = A.to(vecs.dtype)
    norm_A = torch.linalg.matrix_norm(A, ord=2).unsqueeze(-1)
    residual = torch.linalg.vector_norm(Ac @ vecs - vecs * vals[:, None, :k], dim=-2)
    assert bool((residual <= 1e-12 * norm_A).all()), residual.max()
    assert torch.allclose(torch.linalg.vector_norm(vecs, dim=-2), torch.ones(P, k, dtype=torch.float64))
    return vals, vecs


def test_random_matrices_real_and_complex_eigenvalues():
    gen = torch.Generator().manual_seed(1)
    A = torch.randn(6, 40, 40, generator=gen, dtype=torch.float64) / 40**0.5
    with pytest.MonkeyPatch.context() as mp:  # by inverse iteration, not by LAPACK's vectors
        mp.setattr(linalg, "eig", None)
        vals, vecs = _check(A, 7)
    # conjugate eigenvalues have conjugate vectors; real eigenvalues real vectors; largest component real
    for p in range(6):
        for j in range(7):
            v = vecs[p, :, j]
            assert float(v[v.abs().argmax()].imag) == 0.0
            if vals[p, j].imag == 0:
                assert bool((v.imag == 0).all())
            if j and vals[p, j] == vals[p, j - 1].conj() and vals[p, j].imag != 0:
                assert torch.equal(v, vecs[p, :, j - 1].conj())
    # the vectors of well separated eigenvalues are LAPACK's up to a phase
    ref_vals, ref_vecs = torch.linalg.eig(A[0])
    for j in range(7):
        i = int((ref_vals - vals[0, j]).abs().argmin())
        assert abs(abs(complex(ref_vecs[:, i].conj() @ vecs[0, :, j])) - 1) < 1e-10


def test_circulant_and_flow_ordering():
    # the tanh RNN's W (circulant): eigenvectors are Fourier modes, orthogonal to any fixed start vector but one
    n = 9
    W = -torch.stack([torch.roll(torch.linspace(-1, 1, n, dtype=torch.float64), -i) for i in range(n)])
    _check(W[None], n)
    # flows order by real part; k = n returns every vector
    gen = torch.Generator().manual_seed(2)
    _check(torch.randn(3, 12, 12, generator=gen, dtype=torch.float64), 12, key=lambda v: v.real)


def test_repeated_eigenvalues_get_independent_vectors():
    D = torch.diag(torch.tensor([2.0, 2.0, 2.0, 1.0, 0.5], dtype=torch.float64))
    Q, _ = torch.linalg.qr(torch.randn(5, 5, generator=torch.Generator().manual_seed(3), dtype=torch.float64))
    A = torch.stack([D, Q @ D @ Q.T])
    _, vecs = _check(A, 3)
    assert bool((torch.linalg.svdvals(vecs).min(-1).values > 1e-3).all())  # they span the eigenspace


def test_exactly_singular_shifts_get_a_perturbed_pivot():
    # A - lambda I is exactly zero (the identity, a scaled identity, zero) or has exact zero pivots (triangular)
    T = torch.triu(torch.randn(4, 4, generator=torch.Generator().manual_seed(5), dtype=torch.float64))
    A = torch.stack([torch.eye(4, dtype=torch.float64), 3 * torch.eye(4, dtype=torch.float64),
                     torch.zeros(4, 4, dtype=torch.float64), T])
    with pytest.MonkeyPatch.context() as mp:  # no fallback needed
        mp.setattr(linalg, "eig", None)
        _, vecs = _check(A, 4)
    assert bool((torch.linalg.svdvals(vecs[:3]).min(-1).values > 0.1).all())  # independent for the multiple ones
    assert linalg.eig_leading(A[:0], lambda v: v.abs(), 2)[1].shape == (0, 4, 2)


def test_an_inaccurate_vector_falls_back_to_lapack():
    # a rotated Jordan block: its eigenvalues are known only to ~eps^(1/4), and two inverse-iteration steps do
    # not bring the residual down to 1e-13
    J = torch.diag(torch.ones(3, dtype=torch.float64), 1) + 0.5 * torch.eye(4, dtype=torch.float64)
    Q, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    calls = []
    eig = linalg.eig
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(linalg, "eig", lambda A: (calls.append(len(A)), eig(A))[1])
        _check(torch.stack([Q @ J @ Q.T, 2 * torch.eye(4, dtype=torch.float64)]), 2)
    assert calls == [1]  # only the Jordan block


def test_float32_matrices_are_checked_at_their_precision():
    A = torch.randn(3, 20, 20, generator=torch.Generator().manual_seed(6))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(linalg, "eig", None)
        vals, vecs = linalg.eig_leading(A, torch.abs, 3)
    assert vecs.dtype == torch.complex64
    residual = torch.linalg.vector_norm(A.to(vecs.dtype) @ vecs - vecs * vals[:, None, :3], dim=-2)
    assert bool((residual <= 1e-4 * torch.linalg.matrix_norm(A).unsqueeze(-1)).all())


def test_complex_matrices_have_no_conjugate_shortcut():
    gen = torch.Generator().manual_seed(4)
    A = torch.complex(torch.randn(2, 10, 10, generator=gen, dtype=torch.float64),
                      torch.randn(2, 10, 10, generator=gen, dtype=torch.float64))
    _check(A, 4)
