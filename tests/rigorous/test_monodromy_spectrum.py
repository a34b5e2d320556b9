"""Floquet multipliers from segment enclosures (neurodyn.validated.monodromy_spectrum): a planted product of
non-normal factors whose interval product no eigenbasis resolves, resolved in the transported eigenbasis."""

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.validated.linalg import spectrum_enclosure

N, M = 12, 8
# multipliers: the trivial 1, one unstable 1.12, and ten stable ones (distinct, well separated at width 1e-3)
MULTIPLIERS = np.concatenate([[1.0, 1.12], np.linspace(0.2, 0.85, N - 2)])


def planted(seed: int = 1):
    """Segments ``J_i = S_{i+1} D^{1/m} S_i^{-1}`` (``S_m = S_0``, each ``S_i`` non-normal, condition numbers up
    to ~100): their product is ``S_0 D S_0^{-1}`` with eigenvalues ``D``; radii 1e-7 relative plus 1e-9."""
    rng = np.random.default_rng(seed)
    S = [np.eye(N) + 0.8 * rng.standard_normal((N, N)) for _ in range(M)]
    S.append(S[0])
    step = np.diag(MULTIPLIERS ** (1 / M))
    mid = np.stack([S[i + 1] @ step @ np.linalg.inv(S[i]) for i in range(M)])
    return mid, 1e-7 * np.abs(mid) + 1e-9


def interval_product(mid, rad):
    """Midpoint-radius product of the segments without rounding terms (smaller than any rigorous enclosure of
    the product, so its failure below is not an artefact of rounding)."""
    P, R = mid[0], rad[0]
    for J, r in zip(mid[1:], rad[1:], strict=True):
        P, R = J @ P, np.abs(J) @ R + r @ (np.abs(P) + R)
    return P, R


def test_transported_basis_resolves_what_the_interval_product_cannot():
    mid, rad = planted()
    P, R = interval_product(mid, rad)
    old = spectrum_enclosure(nd.validated.FastBackend(), nd.validated.Ball(P, R))
    assert old is None or np.all(old.sizes() > 1)  # discs of the product in its eigenbasis: nothing isolated
    spec = nd.validated.monodromy_spectrum(mid, rad)
    assert spec is not None and np.all(spec.sizes() == 1) and spec.radii.max() < 1e-2
    for mu in MULTIPLIERS:  # each exact multiplier in its own disc
        assert np.sum(np.abs(spec.centers - mu) <= spec.radii) == 1


def test_discs_hold_the_multipliers_of_sampled_segments():
    mid, rad = planted(seed=2)
    spec = nd.validated.monodromy_spectrum(mid, rad)
    assert spec is not None
    rng = np.random.default_rng(3)
    for _ in range(20):
        J = mid + rad * rng.uniform(-1, 1, size=mid.shape)
        P = J[0]
        for j in J[1:]:
            P = j @ P
        lam = np.linalg.eigvals(P)
        inside = np.abs(lam[:, None] - spec.centers[None]) <= spec.radii[None]
        assert inside.any(axis=1).all()
        # a component of k discs holds k eigenvalues; here every disc is its own component
        assert np.all(inside.sum(axis=0) == 1)


def test_defective_product_claims_nothing_and_bad_input():
    jordan = np.array([[1.0, 1.0], [0.0, 1.0]])  # a double multiplier 1 with one eigenvector
    spec = nd.validated.monodromy_spectrum(jordan, np.full((2, 2), 1e-12))
    assert spec is None or (np.all(spec.sizes() == 2) and np.all(np.abs(spec.centers - 1) <= spec.radii))
    with pytest.raises(nd.InvalidInputError, match="shape"):
        nd.validated.monodromy_spectrum(np.eye(3), np.zeros((2, 2)))
    with pytest.raises(nd.NonFiniteError, match="finite"):
        nd.validated.monodromy_spectrum(np.full((2, 2), np.nan), np.zeros((2, 2)))


def test_modulus_bounds_of_a_component_of_several_discs_are_the_components():
    # discs around 0.8 and 1.3 of radius 0.26 meet: the component holds two multipliers, not one per disc, so
    # the disc lying outside the unit circle proves no multiplier outside it; the isolated disc at 0.3 keeps its own
    mid = np.diag([0.8, 1.3, 0.3])
    rad = np.zeros((3, 3))
    rad[:2, :2] = 0.13
    spec = nd.validated.monodromy_spectrum(mid, rad)
    assert spec is not None and list(spec.sizes()) == [2, 2, 1]
    assert spec.centers[1].real - spec.radii[1] > 1  # on its own, the second disc lies outside the unit circle
    lower, upper = nd.validated.modulus_bounds(spec)
    assert lower[0] == lower[1] < 0.6 and upper[0] == upper[1] > 1.5 and lower[1] < 1
    assert lower[2] <= 0.3 <= upper[2] and upper[2] < 0.31
    rng = np.random.default_rng(4)
    for _ in range(50):
        lam = np.abs(np.linalg.eigvals(mid + rad * rng.uniform(-1, 1, size=(3, 3))))
        assert np.all((lam >= lower.min()) & (lam <= upper.max()))
