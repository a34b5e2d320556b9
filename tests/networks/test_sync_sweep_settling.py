"""SyncSweep: r must have settled (the two halves of the averaging window agree within the finite-N
fluctuation 1/sqrt(N)), and hysteresis is counted only above a noise floor."""

import math

import torch

from neurodyn import networks as nw


def _phases(n, seed=0):
    return 2 * math.pi * torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _net(n, gamma=0.5):
    return nw.kuramoto(nw.CompleteGraph(n), nw.Lorentzian(gamma).quantiles(n))


def test_a_sweep_still_growing_in_its_window_is_unconverged_and_a_settled_one_ok():
    # gamma = 1/2, K = 2.5: r grows from ~N^-1/2 at rate K/2 - gamma = 0.75 to sqrt(1 - 1/K) = 0.77 in ~5 time
    # units; averaged over [0, 6] the first half is still on the rise, far more than 1/sqrt(N) = 0.022 below.
    n = 2000
    short = nw.synchrony_sweep(_net(n), [2.5], _phases(n), down=False,
                               settings=nw.SyncSettings(t_settle=6.0, dt=0.1, average_last=6.0, slices=4))
    assert short.status == "unconverged" and not short.status.ok
    assert short.unsettled == (2.5,) and "K = 2.5" in short.reason
    assert short.noise == 1 / math.sqrt(n)
    settled = nw.synchrony_sweep(_net(n), [2.5], _phases(n), down=False,
                                 settings=nw.SyncSettings(t_settle=40.0, dt=0.1, average_last=20.0, slices=4))
    assert settled.status == "ok" and settled.unsettled == ()
    assert abs(float(settled.r_up[0]) - nw.oa_stationary_r(0.5, 2.5)) < 3 * settled.noise


def test_a_finite_n_wobble_below_onset_is_not_hysteresis():
    # K = 0.5, 0.8 < K_c = 1 (unimodal: no bistability): up and down both incoherent, r ~ N^-1/2 with its own
    # time fluctuation; the branches differ by a wobble below the floor 3 / sqrt(N).
    n = 200
    sweep = nw.synchrony_sweep(_net(n), [0.5, 0.8], _phases(n),
                               settings=nw.SyncSettings(t_settle=30.0, dt=0.1, average_last=20.0, slices=4))
    assert 0 < sweep.hysteresis < sweep.hysteresis_floor == 3 / math.sqrt(n)
    assert not sweep.hysteretic


def test_too_few_records_in_the_window_say_too_short():
    n = 200
    sweep = nw.synchrony_sweep(_net(n), [0.5], _phases(n), down=False,
                               settings=nw.SyncSettings(t_settle=1.0, dt=0.1, average_last=0.5, every=5, slices=4))
    assert sweep.status == "too short" and "average_last" in sweep.reason


def test_branches_that_have_not_relaxed_are_not_called_hysteresis():
    # Unimodal Lorentzian (no bistability): sweeping up from incoherence and down from sync over a short window,
    # the up branch at K = 2.5 is still rising while the down branch sits near the stationary r, so the branches
    # differ by far more than the floor; the sweep is unsettled and must not claim a loop.
    n = 2000
    sweep = nw.synchrony_sweep(_net(n), [2.5, 3.0], _phases(n),
                               settings=nw.SyncSettings(t_settle=6.0, dt=0.1, average_last=6.0, slices=4))
    assert not sweep.status.ok and sweep.hysteresis > sweep.hysteresis_floor
    assert not sweep.hysteretic
