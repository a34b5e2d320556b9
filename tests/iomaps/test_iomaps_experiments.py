import json

import matplotlib
import pytest
import torch

import neurodyn as nd
from neurodyn.iomaps import fit_annuli, morse_classes

matplotlib.use("Agg")


def test_trained_mlps_show_the_predicted_critical_point_structure():
    r = morse_classes(epochs=150, n_starts=64)
    by = {c.name: c for c in r.classes}
    assert r.agree and r.status == nd.Status.OK
    assert by["non-augmented"].predicted == "none" and len(by["non-augmented"].points) == 0
    aug = by["augmented"]  # the bump's maximum: one Morse point of index 2 near 0
    assert aug.observed == "Morse" and int(aug.points.morse_index.max()) == 2
    assert float(aug.points.points[aug.points.morse_index == 2].norm(dim=-1).min()) <= 0.1
    neck = by["bottleneck"]  # f = h(w . x + b): the critical points fill a line, all degenerate
    assert neck.observed == "degenerate" and len(neck.points) >= 5 and bool(neck.points.degenerate.all())
    w = neck.model[0].weight[0]
    s = neck.points.points @ w
    assert float(s.max() - s.min()) <= 1e-8  # one line w . x = const
    d = json.loads(json.dumps(r.to_dict()))
    assert [c["observed"] for c in d["classes"]] == ["none", "Morse", "degenerate"]
    assert len(r.plot()) == 3 and "all agree" in repr(r)


def test_annuli_without_augmentation_has_the_forced_witness_and_with_it_separates():
    plain = fit_annuli(augment=0, epochs=100)
    aug = fit_annuli(augment=1, epochs=100)
    # phi_T is an orientation-preserving homeomorphism: the circle's image winds once around the centre's image,
    # so some annulus point is ranked at most like the centre
    assert plain.winding == 1 and plain.gap <= 0
    d = plain.model(torch.cat([torch.zeros(1, 2), plain.witness[None]])).detach() @ torch.tensor([-1.0, 1.0])
    assert float(d[1] - d[0]) == pytest.approx(plain.gap, abs=1e-5)
    assert aug.winding is None and aug.gap > 0 and aug.accuracy == 1.0
    assert aug.loss < plain.loss / 10
    traj = plain.trajectories(n=10, samples=6)
    assert traj.shape == (6, 10, 2) and torch.allclose(traj[0], plain.x[torch.linspace(0, 255, 10).long()])
    assert aug.trajectories(n=4).shape[-1] == 3
    plain.plot()
    aug.plot()
    assert json.loads(json.dumps(aug.to_dict()))["augment"] == 1


def test_experiment_settings_are_checked():
    with pytest.raises(nd.InvalidInputError, match="augment"):
        fit_annuli(augment=-1)
    with pytest.raises(nd.InvalidInputError, match="epochs"):
        morse_classes(epochs=0)
