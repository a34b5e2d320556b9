"""The weighted (eigenvector-metric) certificate: it proves what holds, with rounding counted, and refuses what
does not hold."""

import numpy as np
import pytest

from neurodyn.slowfast.metric import eigenvector_metric, metric_below, proved_positive_definite


def _non_normal(n=30, k=3, seed=0, coupling=3.0):
    """``A = V T V^{-1}``: slow rates 1, 1.5, 2 and fast ones 100, 101, ..., with an upper-triangular fast block
    (so its logarithmic norm lies far right of its spectral abscissa) in a random orthogonal basis ``V``; returns
    ``A``, its eigenvalues and an orthonormal basis of the ``p``-leading invariant subspaces (``p = 1..n``)."""
    rng = np.random.default_rng(seed)
    lam = -np.concatenate(([1.0, 1.5, 2.0][:k], 100.0 + np.arange(n - k)))
    T = np.diag(lam) + np.triu(coupling * rng.standard_normal((n, n)), 1)
    T[:k, k:] = 0.0
    V = np.linalg.qr(rng.standard_normal((n, n)))[0]
    return V @ T @ V.T, lam, V  # span(V[:, :p]) is invariant (T upper triangular)


def test_positive_definiteness_is_proved_only_with_room_for_delta():
    M = np.diag([2.0, 1.0, 1e-3])
    assert proved_positive_definite(M.copy(), 0.0)
    assert proved_positive_definite(M.copy(), 0.9e-3)
    assert not proved_positive_definite(M.copy(), 1.1e-3)
    assert not proved_positive_definite(np.diag([1.0, -1e-12, 1.0]), 0.0)


@pytest.mark.parametrize("bad", [(0, 0, np.nan), (0, 1, np.nan), (2, 2, np.inf), (1, 2, np.inf)])
def test_non_finite_matrices_are_never_proved_positive_definite(bad):
    """LAPACK's Cholesky lets a NaN pivot through (numpy's too); the proof must refuse such matrices."""
    i, j, value = bad
    M = np.eye(3)
    M[i, j] = M[j, i] = value
    assert not proved_positive_definite(M, 0.0)


def test_metric_certifies_past_the_euclidean_logarithmic_norm():
    A, lam, V = _non_normal()
    metric = eigenvector_metric(*np.linalg.eig(A))
    assert metric is not None
    Q = V[:, :4]  # the slow modes and the slowest fast one, -100
    # the compression of the symmetric part to span(Q)^perp reaches far right of -101 (the next eigenvalue)
    P = V[:, 4:]
    C = P.T @ A @ P
    assert np.linalg.eigvalsh(0.5 * (C + C.T))[-1] > -95
    factor = metric_below(A, Q, -100.5, metric)
    assert factor is not None and 1 <= factor < 1e3


@pytest.mark.parametrize("c", [-101.0, -101.5, -150.0])
def test_metric_refuses_a_bound_that_an_eigenvalue_violates(c):
    """Eigenvalue -101 lies outside span(Q): no bound c <= -101 may be proved, whatever the metric."""
    A, lam, V = _non_normal()
    metric = eigenvector_metric(*np.linalg.eig(A))
    assert metric_below(A, V[:, :4], c, metric) is None


def test_nearby_matrix_is_certified_and_a_far_one_is_not():
    """The metric of one matrix certifies a small perturbation of it (margin: the gap 1 between -100 and -101)
    but not a matrix whose eigenvectors differ at O(1)."""
    A, lam, V = _non_normal()
    metric = eigenvector_metric(*np.linalg.eig(A))
    rng = np.random.default_rng(5)
    B = A + 1e-4 * rng.standard_normal(A.shape)
    vals, vecs = np.linalg.eig(B)
    order = np.argsort(-vals.real)
    assert vals[order[3]].imag == 0 and vals[order[4]].real < -100.5
    Q = np.linalg.qr(vecs[:, order[:4]].real)[0]
    assert metric_below(B, Q, -100.5, metric) is not None
    A2, _, V2 = _non_normal(seed=7)
    assert metric_below(A2, V2[:, :4], -100.5, metric) is None


def test_singular_eigenvector_matrix_gives_no_metric():
    vals = np.array([-1.0, -2.0, -3.0], dtype=complex)
    vecs = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=complex)
    assert eigenvector_metric(vals, vecs) is None
