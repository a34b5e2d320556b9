"""The leading-spectrum certificate: proved bounds hold with every rounding counted, and it refuses what it
cannot prove."""

from fractions import Fraction

import numpy as np

from neurodyn.slowfast.leading import leading_spectrum


def _symmetric(n, slow, fast, seed):
    """``U diag(slow, fast) U^T`` with a random orthogonal ``U`` (the eigenvalues are known)."""
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((n, n)))[0]
    lam = np.concatenate((slow, fast))
    return U @ np.diag(lam) @ U.T, U, lam


def _exact_gershgorin(A):
    """``max_i (-S_ii + sum_{j != i} |S_ij|)`` of the exact ``S = (A + A^T)/2``, in rational arithmetic."""
    n = A.shape[0]
    F = [[Fraction(float(v)) for v in row] for row in A]
    S = [[(F[i][j] + F[j][i]) / 2 for j in range(n)] for i in range(n)]
    return max(-S[i][i] + sum(abs(S[i][j]) for j in range(n) if j != i) for i in range(n))


def test_certified_values_and_a_rate_bound_above_the_exact_one():
    slow = np.array([-0.01, -0.02, -0.03])
    fast = -np.linspace(1.0, 5.0, 17)
    A, U, lam = _symmetric(20, slow, fast, seed=3)
    start = np.linalg.qr(U[:, :3] + 1e-6 * np.random.default_rng(0).standard_normal((20, 3)))[0]
    lead = leading_spectrum(A, start, rtol=0.0, rng=np.random.default_rng(1))
    assert lead.certified
    assert np.allclose(lead.values.real, [-0.01, -0.02, -0.03, -1.0], rtol=0, atol=1e-12)
    assert np.all(lead.values.imag == 0)
    # an upper bound on every rate of J~: above the exact (rational) Gershgorin bound of the exact symmetric part
    assert Fraction(lead.rate_bound) >= _exact_gershgorin(A)
    assert lead.rate_bound >= 5.0


def test_a_fast_block_reaching_the_split_is_not_certified():
    """A fast block whose symmetric part has ``lambda_max`` right of the reported ``Re l_k``, though all its
    eigenvalues are left of it (non-normal): the logarithmic-norm certificate must refuse."""
    n = 12
    A = np.diag(np.concatenate(([-0.01, -0.02], -np.linspace(1.0, 3.0, n - 2))))
    A[3, 4] = 10.0  # Jordan-like coupling: eigenvalues unchanged, (C + C^T)/2 has lambda_max > 0 > -1
    start = np.eye(n)[:, :2]
    lead = leading_spectrum(A, start, rtol=0.0, rng=np.random.default_rng(0))
    assert not lead.certified
    assert lead.rate_bound >= float(_exact_gershgorin(A))



def test_rate_bound_counts_the_rounding_of_the_gershgorin_sum():
    """Upper triangular: ``span(e_1, e_2)`` and ``e_3`` are exactly invariant, so the residual is ~0 and the
    bound is Gershgorin's alone. Row 8 of the symmetric part sums ``10 + 5 * 2^-51``, which rounds to
    ``10 + 2^-49`` (the float sum, below the exact one): the bound must still be above the exact value."""
    n = 8
    A = np.diag([-0.01, -0.02, -1.0, -2.0, -3.0, -4.0, -5.0, -10.0])
    A[:5, 7] = 2.0 ** -50
    lead = leading_spectrum(A, np.eye(n)[:, :2], rtol=0.0, rng=np.random.default_rng(0))
    assert lead.certified and np.array_equal(lead.values, np.array([-0.01, -0.02, -1.0], dtype=complex))
    assert Fraction(lead.rate_bound) >= _exact_gershgorin(A)
    assert lead.rate_bound <= 10 + 1e-12  # and only just
