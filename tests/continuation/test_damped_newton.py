"""The extended systems' Newton (``neurodyn.numerics.damped_newton``) is damped: it converges from seeds where the
full Newton step overshoots, and gives up at once where ``|residual|`` has no zero to descend to."""

import torch

from neurodyn import numerics


def test_damped_newton_converges_where_full_steps_diverge():
    # atan: full Newton steps from |z0| > 1.39 overshoot further every step (to inf); halved steps reach 0
    z = numerics.damped_newton(torch.atan, torch.tensor([3.0], dtype=torch.float64), tol=1e-12, maxiter=30)
    assert z is not None and abs(float(z[0])) <= 1e-12
    undamped = torch.tensor([3.0], dtype=torch.float64)
    for _ in range(5):  # what the undamped iteration does from the same seed
        undamped = undamped - torch.atan(undamped) * (1 + undamped**2)
    assert abs(float(undamped[0])) > 1e10


def test_damped_newton_stops_at_a_minimum_of_the_residual():
    # z^2 + 1 has no real zero; |residual| has its minimum at z = 0, where the step vanishes
    evaluations = []

    def residual(z):
        evaluations.append(1)
        return z * z + 1

    assert numerics.damped_newton(residual, torch.tensor([1.0], dtype=torch.float64), tol=1e-10, maxiter=30) is None
    # the seed, two Jacobians (jacfwd evaluates the residual once), the accepted step to 0, and at 0 the full
    # step and its 12 halvings, none lower: two iterations, not 30
    assert len(evaluations) == 1 + 2 + 1 + 13
