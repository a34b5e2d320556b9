"""Edge-of-stability tracking: thresholds of (momentum) GD, the tracker on a quadratic, the digits example."""

import matplotlib
import pytest
import torch
from torch import nn

from neurodyn import InvalidInputError
from neurodyn.training import EdgeOfStabilityTracker, eos_digits, stability_threshold

matplotlib.use("Agg")
F64 = torch.float64


def diverges(lr, curvature, momentum=0.0, nesterov=False, steps=3000, **kw):
    """Run PyTorch's SGD on 0.5 * curvature * w^2 from w = 1; True if |w| grew."""
    w = torch.ones(1, dtype=F64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr, momentum=momentum, nesterov=nesterov, **kw)
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * curvature * w * w).sum().backward()
        opt.step()
    return float(w.detach().abs()) > 1


@pytest.mark.parametrize("momentum,nesterov,extra", [(0.0, False, {}), (0.9, False, {}), (0.5, True, {}),
                                                     (0.9, True, {}), (0.7, False, {"dampening": 0.3}),
                                                     (0.0, False, {"dampening": 0.3}),
                                                     (0.5, False, {"weight_decay": 0.5})])
def test_threshold_is_where_pytorch_sgd_starts_to_diverge_on_a_quadratic(momentum, nesterov, extra):
    lr = 0.1
    edge = stability_threshold(lr, momentum, nesterov, **extra)
    assert not diverges(lr, 0.99 * edge, momentum, nesterov, **extra)
    assert diverges(lr, 1.01 * edge, momentum, nesterov, **extra)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=momentum, nesterov=nesterov, **extra)
    tracker = EdgeOfStabilityTracker(nn.Linear(1, 1), lambda o, t: o.sum(), (torch.zeros(2, 1), torch.zeros(2)),
                                     optimizer=opt)
    assert tracker.threshold() == pytest.approx(edge)


def test_threshold_values_and_optimizer_reading():
    assert stability_threshold(0.1) == pytest.approx(20.0)
    assert stability_threshold(0.1, 0.9) == pytest.approx(38.0)
    assert stability_threshold(0.1, 0.9, nesterov=True) == pytest.approx(3.8 / 0.28)
    with pytest.raises(InvalidInputError, match="momentum"):
        stability_threshold(0.1, 1.0)


def test_tracker_on_a_quadratic_sees_the_constant_hessian():
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(30, 5, generator=gen, dtype=F64), torch.randn(30, 1, generator=gen, dtype=F64)
    model = nn.Linear(5, 1, bias=False).double()

    def loss_fn(out, t):
        return 0.5 * ((out - t) ** 2).sum(-1).mean()

    lam = float(torch.linalg.eigvalsh(X.T @ X / 30).max())
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    tracker = EdgeOfStabilityTracker(model, loss_fn, (X, y), optimizer=opt, every=5)
    for _ in range(12):
        loss = loss_fn(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tracker(loss)
    res = tracker.result()
    assert res.sharpness_steps == [0, 5, 10] and len(res.loss) == 12
    assert res.sharpness == pytest.approx([lam] * 3, rel=1e-8)
    assert res.threshold == pytest.approx([3.0 / 0.05] * 3) and res.optimizer == "heavy-ball"
    assert res.ratio().shape == (3,) and res.plot().get_xlabel() == "step"
    with pytest.raises(InvalidInputError, match="either optimizer"):
        EdgeOfStabilityTracker(model, loss_fn, (X, y))


def test_digits_example_sharpness_rises_to_two_over_lr_and_stays_near_it():
    lr = 0.1
    run = eos_digits((lr,), steps=1200, every=25)[lr]
    ratio = run.ratio()
    assert float(ratio[0]) < 0.5  # progressive sharpening: it starts far below 2/lr
    reached = int(torch.nonzero(ratio >= 0.95)[0])  # ... rises to it
    assert float((ratio[reached:] - 1).abs().max()) <= 0.2  # ... and then stays within 20%
    assert len(ratio) - reached >= 8  # over a stretch of at least 200 steps
    assert run.loss[-1] < 0.5 * run.loss[0]  # while the loss keeps falling overall
