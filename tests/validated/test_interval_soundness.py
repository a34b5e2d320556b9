"""Soundness of the fast float64 ball backend against Arb: for random inputs, every enclosure must contain the
exact value at points drawn inside the input balls (computed by Arb, which is rigorous itself)."""

import numpy as np
import pytest
from flint import acb, acb_mat, arb, arb_mat, ctx
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from neurodyn.validated import balls as fast_balls
from neurodyn.validated.arb import ArbArray
from neurodyn.validated.backend import ArbBackend, FastBackend
from neurodyn.validated.balls import Ball, affine, norm_inf_upper
from neurodyn.validated.blocks import block_matmul, defect_norm_upper
from neurodyn.validated.ivec import FastIV, dot, matdot
from neurodyn.validated.linalg import real_form, spectrum_enclosure, verified_solve

PREC = 4500  # enough bits that sums of products of floats (exponents -2148 to 2048) are exact
finite = st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=True)
radius = st.one_of(st.just(0.0), st.floats(0.0, 1e-3, allow_subnormal=True))


def balls(shape):
    return st.builds(lambda m, r: Ball(m, r), arrays(np.float64, shape, elements=finite),
                     arrays(np.float64, shape, elements=radius))


def sample(b: Ball, theta: np.ndarray):
    """Exact (Arb) points ``mid + theta * rad`` with ``|theta| <= 1``: inside the ball."""
    with ctx.workprec(PREC):
        return np.frompyfunc(lambda m, r, t: arb(m) + arb(t) * arb(r), 3, 1)(b.mid, b.rad, theta)


def contains(b: Ball, exact) -> bool:
    with ctx.workprec(PREC):
        inside = np.frompyfunc(lambda m, r, v: bool(abs(v - arb(m)) <= arb(r)), 3, 1)(b.mid, b.rad, exact)
    return bool(np.all(inside.astype(bool)))


def exact_defect(A: np.ndarray, member):
    """``max_i sum_j |I - A member|_ij`` in exact (Arb) arithmetic, for a float ``A`` and exact ``member``."""
    n = len(A)
    with ctx.workprec(PREC):
        Aa = A.astype(object)
        return max(sum(abs((1 if i == j else 0) - sum(Aa[i, k] * member[k, j] for k in range(n))) for j in range(n))
                   for i in range(n))


thetas = st.integers(0, 2**32 - 1)  # a seed for independent positions per entry (see vertex)
VALUES, WEIGHTS = np.array([-1.0, 1.0, -0.5, 0.37, 0.0]), np.array([0.35, 0.35, 0.1, 0.1, 0.1])


def vertex(shape, seed: int, k: int = 0) -> np.ndarray:
    """Independent ``theta`` per entry for :func:`sample`, mostly ``+-1`` (mixed-sign vertices of the box, where
    products of radii are extreme and one shared ``theta`` would never go), from ``seed`` and a stream ``k``."""
    return np.random.default_rng([seed, k]).choice(VALUES, size=shape, p=WEIGHTS)


@settings(max_examples=400, deadline=None)
@given(balls((5,)), balls((5,)), thetas)
def test_sums_differences_and_products_contain_the_exact_values(x, y, th):
    sx, sy = sample(x, vertex(5, th, 0)), sample(y, vertex(5, th, 1))
    with ctx.workprec(PREC):
        assert contains(x + y, sx + sy) and contains(x - y, sx - sy) and contains(x * y, sx * sy)
        assert contains(2.5 * x - 0.1, 2.5 * sx - arb(0.1))  # float operands are exact points


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(balls((4,)), balls((4,))), min_size=1, max_size=9), thetas)
def test_fused_sums_of_products_and_scalar_multiples_contain_the_exact_values(pairs, th):
    # the interval arrays of the rigorous integrator: sum_i a_i b_i accumulated with one rounding bound, and
    # multiples by float scalars
    ivs = [(FastIV(a.mid, a.rad), FastIV(b.mid, b.rad)) for a, b in pairs]
    points = [(sample(a, vertex(4, th, 2 * i)), sample(b, vertex(4, th, 2 * i + 1))) for i, (a, b) in enumerate(pairs)]
    with ctx.workprec(PREC):
        exact = sum(a * b for a, b in points)
        assert contains(dot(ivs), exact)
        assert contains(ivs[0][0] * -0.3, points[0][0] * arb(-0.3)) and contains(3 * ivs[0][1], 3 * points[0][1])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(balls((2, 3, 4)), balls((2, 4, 3))), min_size=1, max_size=9), thetas)
def test_fused_sums_of_matrix_products_contain_the_exact_values(pairs, th):
    # sum_i A_i @ B_i over a batch of small matrices, accumulated with one rounding bound (the variational
    # recurrence of the rigorous integrator)
    ivs = [(FastIV(a.mid, a.rad), FastIV(b.mid, b.rad)) for a, b in pairs]
    points = [(sample(a, vertex(a.shape, th, 2 * i)), sample(b, vertex(b.shape, th, 2 * i + 1)))
              for i, (a, b) in enumerate(pairs)]
    with ctx.workprec(PREC):
        exact = sum(np.matmul(a, b) for a, b in points)
        assert contains(matdot(ivs), exact)


@settings(max_examples=200, deadline=None)
@given(balls((4, 6)), balls((6, 3)), thetas)
def test_matrix_products_contain_the_exact_product(A, B, th):
    sA, sB = sample(A, vertex(A.shape, th, 0)), sample(B, vertex(B.shape, th, 1))
    with ctx.workprec(PREC):
        exact = np.array((arb_mat(sA.tolist()) * arb_mat(sB.tolist())).tolist(), dtype=object)
        exact_point = np.array((arb_mat(A.mid.tolist()) * arb_mat(sB.tolist())).tolist(), dtype=object)
    assert contains(A @ B, exact)
    assert contains(A.mid @ B, exact_point)  # a point matrix times a ball (the radius terms of A skipped)


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, (7, 9), elements=finite), arrays(np.float64, 9, elements=finite),
       arrays(np.float64, 7, elements=finite))
def test_accurate_affine_product_is_sound_and_tight(M, x, b):
    y = affine(M, x, b)
    with ctx.workprec(PREC):
        exact = np.array([sum((arb(M[i, j]) * arb(x[j]) for j in range(9)), arb(b[i])) for i in range(7)])
    assert contains(y, exact)
    # the radius is a few units of the last place of the result (plus u^2-sized terms), not n u |M| |x|
    assert np.all(y.rad <= 4 * 2.0**-53 * np.abs(y.mid) + 1e-25 * (np.abs(M) @ np.abs(x) + np.abs(b)) + 1e-300)


def test_affine_product_in_row_bands_is_the_whole_matrix_result():
    # 2^16 entries a band: 600 columns give bands of 109 rows, the last one shorter
    gen = np.random.default_rng(3)
    M, x, b = gen.standard_normal((300, 600)), gen.standard_normal(600), gen.standard_normal(300)
    M[7] *= 1e12  # rows of very different scales, summed on their own grids
    banded = fast_balls.affine_parts(M, x, b)
    whole = fast_balls.affine_band(M, x, b)
    assert all(np.array_equal(u, v) for u, v in zip(banded, whole, strict=True))
    with ctx.workprec(PREC):
        exact = [sum((arb(M[i, j]) * arb(x[j]) for j in range(600)), arb(b[i])) for i in (0, 7, 150, 299)]
    assert contains(affine(M, x, b)[[0, 7, 150, 299]], np.array(exact))


# narrow balls (a proof's usual case) and wide ones up to 1e3, where a naive ball tanh blows up
wide = st.one_of(radius, st.floats(0.0, 1e3))


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, 6, elements=st.floats(-30, 30)), arrays(np.float64, 6, elements=wide), thetas)
def test_tanh_and_its_derivatives_contain_the_exact_values(m, r, th):
    y = Ball(m, r)
    sy = sample(y, vertex(6, th, 0))
    with ctx.workprec(PREC):
        t = np.frompyfunc(lambda v: v.tanh(), 1, 1)(sy)
        exact = [t, 1 - t * t, -2 * t * (1 - t * t), -2 * (1 - t * t) * (1 - 3 * t * t)]
    fast = FastBackend().tanh_derivatives(y, [0, 1, 2, 3])
    ref = ArbBackend(256).tanh_derivatives(ArbArray.ball(m, r, 256), [0, 1, 2, 3])
    for enclosure, arb_enclosure, value in zip(fast, ref, exact, strict=True):
        assert contains(enclosure, value)
        with ctx.workprec(PREC):
            assert all(e.contains(v) for v, e in zip(value, arb_enclosure.a, strict=True))
    # tanh maps into [-1, 1]: its enclosure stays bounded however wide the ball (up to Arb's radii, which carry
    # 30 bits and are rounded up again by the union of the endpoint balls)
    assert np.all(fast[0].mid - fast[0].rad >= -1 - 1e-6) and np.all(fast[0].mid + fast[0].rad <= 1 + 1e-6)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (6, 6), elements=st.floats(-1, 1)), arrays(np.float64, 6, elements=st.floats(-1, 1)))
def test_verified_solve_contains_the_exact_solution(M, b):
    M = M + 8 * np.eye(6)  # strictly diagonally dominant (margin >= 2): the solve must verify, tightly
    x = verified_solve(FastBackend(), Ball(M, 1e-12), Ball(b))
    with ctx.workprec(PREC):
        exact = np.array(arb_mat(M.tolist()).solve(arb_mat([[v] for v in b])).tolist(), dtype=object)[:, 0]
    assert x is not None and contains(x, exact) and float(x.rad.max()) < 1e-9


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (5, 5), elements=st.floats(-0.5, 0.5)), arrays(np.float64, (5, 5), elements=radius),
       thetas)
def test_gershgorin_discs_of_a_well_conditioned_matrix_hold_every_member_s_eigenvalues(E, r, th):
    # diagonal 0, 4, ..., 16 plus |E| <= 0.5: row sums keep the eigenvalues apart (a well-conditioned eigenbasis),
    # so the enclosure must not be refused and every exact eigenvalue of a member lies in a disc
    M = np.diag(4.0 * np.arange(5)) + E
    spectrum = spectrum_enclosure(FastBackend(), Ball(M, r))
    assert spectrum is not None
    member = sample(Ball(M, r), vertex((5, 5), th))
    with ctx.workprec(PREC // 8):
        eigs = acb_mat(arb_mat(member.tolist())).eig()  # rigorous balls (isolated: the discs are apart)
        for lam in eigs:
            dist = [abs(lam - acb(c.real, c.imag)) for c in spectrum.centers]
            assert any(bool(d <= arb(rad)) for d, rad in zip(dist, spectrum.radii, strict=True))


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (5, 5), elements=st.floats(-2, 2)))
def test_gershgorin_discs_hold_every_exact_eigenvalue(M):
    spectrum = spectrum_enclosure(FastBackend(), Ball(M))
    if spectrum is None:  # an ill-conditioned eigenbasis is refused, never mis-enclosed
        return
    with ctx.workprec(PREC):
        try:
            eigs = acb_mat(arb_mat(M.tolist())).eig()  # rigorous balls; raises when it cannot isolate them
        except ValueError:
            return
        for lam in eigs:
            dist = [abs(lam - acb(c.real, c.imag)) for c in spectrum.centers]
            assert any(bool(d <= arb(r)) for d, r in zip(dist, spectrum.radii, strict=True))


def test_spectrum_of_a_graded_matrix_is_enclosed_without_crashing():
    """Entries from 1e-254 to 2 with exact zeros: an eigen-decomposition that once corrupted the heap (torch's
    CPU ``eig``); the discs must hold the eigenvalues, all within 1e-48 of 0 here."""
    M = np.zeros((5, 5))
    M[0, 1], M[0, 3], M[0, 4] = 1.3730389955374733e-254, 0.33561584956509849, -1.9909514812078495
    M[1, 2], M[2, 0], M[2, 3], M[2, 4] = 1.1429802089438026e-157, 2.6134283835774129e-39, -1.4652310530251418, \
        -1.8124467372497843e-2
    M[3, 0], M[3, 1], M[4, 1] = 1.8938987549870373e-227, 0.80910769584462061, 0.80910769584462061
    spectrum = spectrum_enclosure(FastBackend(), Ball(M))
    if spectrum is not None:
        for lam in np.linalg.eigvals(M):  # |lam| <= 2e-49: every eigenvalue is near 0, so a disc must reach it
            assert np.any(np.abs(lam - spectrum.centers) <= spectrum.radii + 1e-48)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (5, 5), elements=st.floats(-2, 2)), arrays(np.float64, (5, 5), elements=radius), thetas)
def test_defect_norm_bounds_the_exact_defect_of_every_member(M, r, th):
    A = np.linalg.inv(M + 6 * np.eye(5))  # an approximate inverse, as the proofs use it
    bound = defect_norm_upper(A, Ball(M + 6 * np.eye(5), r))
    member = sample(Ball(M + 6 * np.eye(5), r), vertex((5, 5), th))
    with ctx.workprec(PREC):
        assert bool(exact_defect(A, member) <= arb(bound))
    # and it is tight: the a-priori rounding terms (~k u |A| |M| ~ 1e-13 here) plus the radius through |A|
    assert bound < 1e-12 + 10 * float(np.abs(A).sum(1).max() * r.sum(1).max())


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (6, 6), elements=st.floats(-2, 2)), arrays(np.float64, 6, elements=st.floats(-2, 2)),
       arrays(np.float64, (6, 6), elements=radius), thetas)
def test_block_products_keep_the_bound_of_the_plain_product(M, d, r, th):
    """Blocks at rows/columns (0, 2, 4, 6): one zero, one diagonal, the rest dense; the defect bound computed
    block by block still holds for every member."""
    cut = [0, 2, 4, 6]
    M = M.copy()
    M[0:2, 4:6] = 0.0
    M[2:4, 2:4] = np.diag(d[:2])
    M[4:6, 0:2] = np.diag([0.0, d[2]])
    M += 6 * np.eye(6)
    A = np.linalg.inv(M)
    with ctx.workprec(PREC):  # the block product is within gamma_k |A| |M| of the exact product
        exact = (arb_mat(A.tolist()) * arb_mat(M.tolist()))
        P = block_matmul(A, M, cut, cut)
        # (plus 2^-1020 for underflow: each of the k operations errs by at most 2^-1075 absolutely)
        tol = (np.abs(A) @ np.abs(M)) * (6 * 2.0**-53 / (1 - 6 * 2.0**-53)) + 2.0**-1020
        assert all(bool(abs(exact[i, j] - arb(P[i, j])) <= arb(tol[i, j])) for i in range(6) for j in range(6))
    bound = defect_norm_upper(A, Ball(M, r), (cut, cut))
    member = sample(Ball(M, r), vertex((6, 6), th))
    with ctx.workprec(PREC):
        assert bool(exact_defect(A, member) <= arb(bound))
    # zero column blocks of A (the extended Hopf inverse has one in the rows of its lower bands) are skipped: the
    # product keeps the plain product's bound
    A0 = A.copy()
    A0[:, 2:4] = 0.0
    A0[:, 0:2] = 0.0
    P0, plain = block_matmul(A0, M, cut, cut), A0 @ M
    with ctx.workprec(PREC):
        exact = arb_mat(A0.tolist()) * arb_mat(M.tolist())
        tol = (np.abs(A0) @ np.abs(M)) * (6 * 2.0**-53 / (1 - 6 * 2.0**-53)) + 2.0**-1020
        assert all(bool(abs(exact[i, j] - arb(P0[i, j])) <= arb(tol[i, j])) for i in range(6) for j in range(6))
    assert np.allclose(P0, plain, rtol=1e-12, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (4, 3, 3), elements=st.floats(-2, 2)), arrays(np.float64, (3, 3), elements=radius), thetas)
def test_defect_norms_of_real_forms_from_half_the_rows_hold_for_every_member(parts, r, th):
    M = real_form(parts[0] + 6 * np.eye(3) + 1j * parts[1])
    A = real_form(np.linalg.inv(parts[0] + 6 * np.eye(3) + 1j * parts[1]) + 1e-6 * (parts[2] + 1j * parts[3]))
    R = np.block([[r, r], [r, r]])
    half = defect_norm_upper(A, Ball(M, R), real_form=True)
    full = defect_norm_upper(A, Ball(M, R))
    # the same bound, from the top rows only, up to the rounding of the bottom rows' product (~gamma_6 |A| |M|)
    assert abs(half - full) <= 1e-6 * full + 1e-13
    member = sample(Ball(M, R), vertex((6, 6), th, 1))
    with ctx.workprec(PREC):
        assert bool(exact_defect(A, member) <= arb(half))
    # |A g| for a ball vector g from the top half of |A|
    from neurodyn.validated.blocks import DefectBound

    g = Ball(parts[2][0].repeat(2), r[0].repeat(2))
    bound = DefectBound(A, Ball(M, R), real_form=True)
    assert bound.A is not bound.A_full  # the half-row path
    y, point = bound.image_norm_upper(g), sample(g, vertex(6, th, 0))
    with ctx.workprec(PREC):
        assert bool(max(abs(sum(arb(A[i, k]) * point[k] for k in range(6))) for i in range(6)) <= arb(y))
    # the same matrix kept as a grid of blocks [[P, -Q], [Q, P]]: the same bound
    from neurodyn.validated.blocks import BlockBall

    P, Q = Ball(M[:3, :3], R[:3, :3]), Ball(M[3:, :3], R[3:, :3])
    grid = BlockBall([[P, -Q], [Q, P]])
    assert grid.is_real_form() and abs(defect_norm_upper(A, grid, real_form=True) - full) <= 1e-6 * full + 1e-13
    # not real forms (the radius pattern broken): every row is used, as without the hint
    R2 = R.copy()
    R2[0, 5] = 1e-3
    hinted, plain = defect_norm_upper(A, Ball(M, R2), real_form=True), defect_norm_upper(A, Ball(M, R2))
    assert abs(hinted - plain) <= 1e-12 * plain  # (BLAS may round the same product differently run to run)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (5, 5), elements=st.floats(-2, 2)), arrays(np.float64, (5, 5), elements=st.floats(-1, 1)),
       arrays(np.float64, (5, 5), elements=radius), thetas)
def test_a_defect_bound_formed_once_holds_for_balls_around_other_midpoints(M, shift, r, th):
    from neurodyn.validated.blocks import DefectBound

    mid0 = M + 6 * np.eye(5)
    A = np.linalg.inv(mid0)
    bound = DefectBound(A, Ball(mid0))
    other = Ball(mid0 + 1e-6 * shift, r)  # e.g. an enclosure over a smaller ball with a slightly moved midpoint
    z = bound(other)
    member = sample(other, vertex((5, 5), th, 1))
    with ctx.workprec(PREC):
        assert bool(exact_defect(A, member) <= arb(z))
    # recentring costs only the moved midpoint through |A|
    assert z <= defect_norm_upper(A, other) + 2e-6 * float(np.abs(A).sum(1).max() * np.abs(shift).sum(1).max())
    # and |A g| for a ball vector g (the residual bound Y) from the same |A|
    g = Ball(shift[0], r[0])
    y = bound.image_norm_upper(g)
    point = sample(g, vertex(5, th, 0))
    with ctx.workprec(PREC):
        assert bool(max(abs(sum(arb(A[i, k]) * point[k] for k in range(5))) for i in range(5)) <= arb(y))
    assert y <= 1.01 * norm_inf_upper(A @ g) + 1e-300


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (6, 6), elements=st.floats(-2, 2)), arrays(np.float64, (6, 6), elements=st.floats(-1, 1)),
       arrays(np.float64, (6, 6), elements=radius), thetas)
def test_defect_bounds_of_block_matrices_hold_for_every_member(M, shift, r, th):
    """A grid with a zero block, a diagonal block and dense ones; the second matrix moves the midpoints, adds
    radii and fills the zero block (the bound must see all three)."""
    from neurodyn.validated.blocks import BlockBall, DefectBound

    def grid(mid, rad, fill):
        b = [[Ball(mid[i:i + 2, j:j + 2], rad[i:i + 2, j:j + 2]) for j in (0, 2, 4)] for i in (0, 2, 4)]
        b[0][2] = Ball(1e-7 * mid[0:2, 4:6]) if fill else None
        b[1][1] = Ball(np.diag(np.diag(mid[2:4, 2:4])), np.diag(np.diag(rad[2:4, 2:4])))
        return BlockBall(b)

    M0 = grid(M + 6 * np.eye(6), np.zeros((6, 6)), False)
    A = np.linalg.inv(M0.mid)
    bound = DefectBound(A, M0)
    other = grid(M + 6 * np.eye(6) + 1e-6 * shift, r, True)
    z = bound(other)
    member = sample(other.ball(), vertex((6, 6), th))
    with ctx.workprec(PREC):
        assert bool(exact_defect(A, member) <= arb(z))
    assert abs(bound(M0) - defect_norm_upper(A, M0.ball())) <= 1e-12  # same bound as the assembled matrix


@settings(max_examples=100, deadline=None)
@given(balls((4, 4)), balls(()), thetas)
def test_diagonal_shifts_and_scaled_identities_contain_the_exact_matrices(M, a, th):
    fast = FastBackend()
    sM, sa = sample(M, vertex((4, 4), th)), sample(a, vertex((), th, 1))
    with ctx.workprec(PREC):
        shifted = np.array([[sM[i, j] + (sa if i == j else 0) for j in range(4)] for i in range(4)], dtype=object)
        scaled = np.array([[sa if i == j else arb(0) for j in range(4)] for i in range(4)], dtype=object)
    assert contains(fast.shift_diagonal(M, a), shifted)
    assert contains(fast.scaled_eye(a, 4), scaled)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.floats(0.0, 1e300, allow_subnormal=True), st.floats(0.0, 1e-300, allow_subnormal=True)),
       st.integers(0, 10**6))
def test_upper_bounds_the_a_priori_error_bound_exactly(x, k):
    """``upper(x, k) >= x (1 + (2k + 4) u) + 2^-1022`` in exact arithmetic, subnormals included."""
    from neurodyn.validated.balls import upper

    with ctx.workprec(PREC):
        exact = arb(x) * (1 + (2 * k + 4) * arb(2) ** -53) + arb(2) ** -1022
        assert arb(float(upper(x, k))) >= exact


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (4, 3, 3), elements=st.floats(-1, 1)), arrays(np.float64, (6, 6), elements=radius),
       arrays(np.float64, (6, 2), elements=st.floats(-1, 1)), thetas)
def test_defect_bounds_formed_in_bands_of_rows_are_the_same_bounds(parts, r, g, th):
    """``fl(A mid)`` and ``|A|`` are formed a band of rows at a time; bands of one, two and all rows give the same
    bounds (the same sums, up to the order BLAS adds them in), for the half-row real-form path too, and with a
    matrix of right-hand sides."""
    from neurodyn.validated import blocks
    from neurodyn.validated.blocks import DefectBound

    C = parts[0] + 6 * np.eye(3) + 1j * parts[1]
    M = real_form(C)
    A = real_form(np.linalg.inv(C) + 1e-6 * (parts[2] + 1j * parts[3]))
    R = np.block([[r[:3, :3], r[:3, 3:]], [r[:3, 3:], r[:3, :3]]])
    G = Ball(g, np.abs(g) * 1e-9)
    results = []
    for band in (6, 12, blocks.BAND):
        for real in (True, False):
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(blocks, "BAND", band)
                bound = DefectBound(A, Ball(M, R), real_form=real)
                assert (bound.A is not bound.A_full) == real
                results.append((real, bound(Ball(M, R)), bound.image_norm_upper(G), bound.image_norm_upper(G[:, 0])))
    for real, z, y, y0 in results:
        # the same up to rounding: E = fl(A mid) - I is of order u here, and BLAS may add a band's rows in another
        # order than the whole product's
        ref = next(x for x in results if x[0] == real)
        assert abs(z - ref[1]) <= 1e-9 * ref[1] + 1e-13
        assert np.allclose(y, ref[2], rtol=1e-12, atol=1e-300) and abs(y0 - ref[3]) <= 1e-12 * ref[3] + 1e-300
        assert y.shape == (2,) and abs(y0 - y[0]) <= 1e-12 * y[0] + 1e-300
        member, point = sample(Ball(M, R), vertex((6, 6), th)), sample(G, vertex((6, 2), th, 1))
        with ctx.workprec(PREC):
            assert bool(exact_defect(A, member) <= arb(z))
            for c in range(2):
                assert bool(max(abs(sum(arb(A[i, k]) * point[k, c] for k in range(6))) for i in range(6)) <= arb(y[c]))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from([0.0, 0.5j, 2.0j, 0.3 + 1.1j]), st.floats(0.0, 1e-6), thetas)
def test_spectral_solves_contain_every_solution_of_the_shifted_systems(seed, s, s_rad, th):
    """``(J' - s') y = b'`` for members of a ball matrix ``J`` (a random non-normal 6x6 with complex pairs), shifts
    within ``s_rad`` of ``s`` and ball right-hand sides (two columns): the exact solution, from Arb, lies in the
    enclosure; a shift on an eigenvalue is refused."""
    from flint import acb, acb_mat

    from neurodyn.validated.linalg import EigenBases
    from neurodyn.validated.spectral import spectral_solve

    rng = np.random.default_rng(seed)
    n = 6
    mid = rng.standard_normal((n, n)) + np.triu(rng.standard_normal((n, n)), 1)  # non-normal
    J = Ball(mid, np.abs(rng.standard_normal((n, n))) * 1e-9)
    basis, lam = EigenBases().decompose(mid)
    spectrum = spectrum_enclosure(FastBackend(), J, basis)
    assert spectrum is not None
    if np.min(np.abs(lam - s)) < 1e-3:
        return
    b_re = Ball(rng.standard_normal((n, 2)), np.full((n, 2), 1e-10))
    b_im = Ball(rng.standard_normal((n, 2)), np.full((n, 2), 1e-10))
    out = spectral_solve(J, spectrum, basis, s, b_re, b_im, s_rad=s_rad)
    if out is None:  # only when the shift is not clearly off the discs (theta < 1 holds beyond sqrt(2) radii)
        assert np.min(np.abs(spectrum.centers - s) - np.sqrt(2) * (spectrum.radii + s_rad)) <= 1e-12
        return
    y_re, y_im = out
    Jm, br, bi = sample(J, vertex((n, n), th)), sample(b_re, vertex((n, 2), th, 1)), sample(b_im, vertex((n, 2), th, 2))
    with ctx.workprec(PREC // 8):
        t = float(vertex((), th, 3))
        shift = acb(s.real, s.imag) + acb(t * s_rad, (1 - abs(t)) * s_rad)  # |Re| + |Im| of the change: s_rad
        M = acb_mat([[acb(Jm[i, j]) - (shift if i == j else 0) for j in range(n)] for i in range(n)])
        for col in range(2):
            y = M.solve(acb_mat([[acb(br[i, col], bi[i, col])] for i in range(n)]))
            for i in range(n):
                for part, ball in ((y[i, 0].real, y_re), (y[i, 0].imag, y_im)):
                    assert bool(abs(part - arb(ball.mid[i, col])) <= arb(ball.rad[i, col])), (i, col)
    assert spectral_solve(J, spectrum, basis, complex(lam[0]), b_re, b_im) is None  # on an eigenvalue


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, (4, 4), elements=finite), balls(()), balls((4,)), balls((4, 1)), st.booleans(), thetas)
def test_shifted_matrices_and_products_with_points_contain_the_exact_values(M, a, v, c, exact_c, th):
    """``(M + a I) v`` and ``diag(c) (M + a I)`` kept as the pair (point ``M``, ball ``a``), and products of point
    balls with balls (the terms with a zero radius skipped), contain the exact values of every member."""
    from neurodyn.validated.balls import ShiftedMatrix

    c = Ball(c.mid) if exact_c else c
    W = ShiftedMatrix(Ball(M), a)
    sa, sv, sc = sample(a, vertex((), th, 1)), sample(v, vertex(4, th, 0)), sample(c, vertex((4, 1), th, 2))
    with ctx.workprec(PREC):
        member = np.array([[arb(M[i, j]) + (sa if i == j else 0) for j in range(4)] for i in range(4)], dtype=object)
        assert contains(W @ v, member @ sv)
        assert contains(W * c, sc * member)
        assert contains(W.ball(), member)
        assert contains(Ball(M) * c, sc * M.astype(object))
        assert contains(c * Ball(M), sc * M.astype(object))
