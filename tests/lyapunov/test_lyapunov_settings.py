"""LyapunovSettings / FTLESettings: a settings object gives exactly the keyword call's numbers, a keyword replaces
its field, and unknown or mistyped options are refused by name."""

import pytest
import torch

import neurodyn as nd


@pytest.mark.filterwarnings("ignore::neurodyn.ConvergenceWarning")  # a short run: its status is not the point
def test_settings_object_equals_keywords_bitwise():
    kw = dict(dt=0.01, transient=50, tangent_transient=20, k=2, qr_every=2, seed=4)
    a = nd.lyapunov_spectrum(nd.lorenz(), steps=200, strict=False, **kw)
    b = nd.lyapunov_spectrum(nd.lorenz(), steps=200, strict=False, settings=nd.LyapunovSettings(**kw))
    assert torch.equal(a.exponents, b.exponents)
    measured = "memory_peak_bytes"  # the process's memory growth, read while the run went: not a setting to repeat
    assert {k: v for k, v in a.settings.items() if k != measured} == {k: v for k, v in b.settings.items()
                                                                       if k != measured}


def test_keyword_replaces_the_settings_field():
    base = nd.LyapunovSettings(transient=100, seed=1)
    a = nd.lyapunov_spectrum(nd.henon(), steps=500, settings=base, seed=7)
    b = nd.lyapunov_spectrum(nd.henon(), steps=500, transient=100, seed=7)
    assert torch.equal(a.exponents, b.exponents)
    assert a.settings["seed"] == 7 and a.settings["transient"] == 100
    assert base.seed == 1  # the user's settings object is not changed


def test_max_lyapunov_settings_and_renamed_alias():
    rnn = nd.random_tanh_rnn(12, 2.0, seed=0)
    s = nd.LyapunovSettings(transient=50, batch=2)
    a = nd.max_lyapunov(rnn, steps=300, settings=s, qr_every=3)
    b = nd.max_lyapunov(rnn, steps=300, transient=50, batch=2, qr_every=3)
    assert torch.equal(a.exponents, b.exponents)
    with pytest.warns(DeprecationWarning, match="renorm_every"):
        c = nd.max_lyapunov(rnn, steps=300, settings=s, renorm_every=3)
    assert torch.equal(a.exponents, c.exponents)
    with pytest.raises(nd.InvalidInputError, match="k=2"):
        nd.max_lyapunov(rnn, steps=300, settings=nd.LyapunovSettings(k=2))


@pytest.mark.parametrize("call", [
    lambda: nd.lyapunov_spectrum(nd.henon(), steps=100, qr_evry=2),
    lambda: nd.max_lyapunov(nd.henon(), steps=100, qr_evry=2),
    lambda: nd.ftle(nd.henon(), torch.zeros(2, 2), steps=3, qr_evry=2),
])
def test_unknown_option_is_named_and_valid_ones_listed(call):
    with pytest.raises(nd.InvalidInputError, match=r"\['qr_evry'\]") as err:
        call()
    assert "seed" in str(err.value) and "settings" in str(err.value)


def test_settings_of_the_wrong_type_is_refused():
    with pytest.raises(nd.InvalidInputError, match="LyapunovSettings"):
        nd.lyapunov_spectrum(nd.henon(), steps=100, settings=nd.FTLESettings())
    with pytest.raises(nd.InvalidInputError, match="FTLESettings"):
        nd.ftle(nd.henon(), torch.zeros(2, 2), steps=3, settings={"k": 2})


def test_ftle_settings_object_equals_keywords_bitwise():
    pts = torch.randn(9, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    a = nd.ftle(nd.lorenz(), pts, t=0.4, k=3, dt=0.02, chunk=4)
    b = nd.ftle(nd.lorenz(), pts, t=0.4, settings=nd.FTLESettings(k=3, dt=0.02), chunk=4)
    assert torch.equal(a.exponents, b.exponents)
    assert a.settings == b.settings
    # the chunking does not change the result (documented), so the settings record is the only difference
    c = nd.ftle(nd.lorenz(), pts, t=0.4, settings=nd.FTLESettings(k=3, dt=0.02))
    assert torch.allclose(a.exponents, c.exponents, rtol=0, atol=1e-13)
