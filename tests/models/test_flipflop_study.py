"""flip_flop_study: the stored patterns are the readout's signs at the stable points; saddles are counted."""

import torch

import neurodyn as nd
from neurodyn.models import flip_flop_study


def test_flip_flop_study_is_consistent_with_its_parts():
    study = flip_flop_study(hidden=8, iterations=20, n_starts=32, drive_steps=60, seed=0)
    fp = study.fixed_points
    F = nd.from_torch(study.trained.model.rnn)
    x = fp.fixed.points.to(F.dtype)
    residual = torch.linalg.vector_norm(F.f(x, torch.zeros(len(x), 3, dtype=F.dtype)) - x, dim=-1)
    assert bool((residual <= 1e-9).all())  # recomputed here, not read from the result
    with torch.no_grad():
        signs = torch.sign(study.trained.model.readout(fp.fixed.stable.points.float())).int().tolist()
    assert study.patterns == tuple(sorted({tuple(s) for s in signs}))
    saddles = [st for st in fp.fixed.stability if st.startswith("saddle")]
    assert len(study.saddle_dims) == len(saddles) and all(d >= 1 for d in study.saddle_dims)
    assert study.spectrum.exponents.shape == (8,)
    assert study.to_dict()["patterns"] == [list(p) for p in study.patterns]
