"""fit_annuli checks every argument up front, naming it."""

import pytest

import neurodyn as nd
from neurodyn.iomaps import fit_annuli


@pytest.mark.parametrize("kwargs, name", [(dict(hidden=0), "hidden"), (dict(hidden=2.5), "hidden"),
                                          (dict(t=-1.0), "t"), (dict(t=float("nan")), "t"),
                                          (dict(steps=0), "steps"), (dict(seed=-1), "seed")])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(nd.InvalidInputError, match=rf"^{name} must"):
        fit_annuli(epochs=1, n_points=8, **kwargs)
