"""Bad input of neurodyn.validated.proven_ftle_and_orbit (the full computation runs in the demo's test)."""

import pytest

import neurodyn as nd


@pytest.mark.parametrize("kwargs, match", [({"grid": 1}, "grid"), ({"grid": 3.5}, "grid"), ({"offset": 0.0}, "offset"),
                                           ({"offset": float("nan")}, "offset")])
def test_bad_grid_or_offset_is_refused(kwargs, match):
    with pytest.raises(nd.InvalidInputError, match=match):
        nd.validated.proven_ftle_and_orbit(None, None, None, **kwargs)
