import json

import torch

import neurodyn as nd


def _found(result):
    return {ob.name: ob.found for ob in result.obstructions}


def test_reversal_in_one_dimension_is_obstructed():
    r = nd.embedding_obstructions(lambda x: -x, (-1.0, 1.0))
    assert r.obstructed and r.dim == 1 and r.augment_sufficient == 1
    found = _found(r)
    assert found["orientation"] and found["monotonicity"] and not found["injectivity"]
    mono = next(ob for ob in r.obstructions if ob.name == "monotonicity")
    a, b = mono.witness[:, 0]
    assert a < b and -b <= -a  # ordered inputs whose images are not
    orient = next(ob for ob in r.obstructions if ob.name == "orientation")
    assert orient.witness.shape == (1, 1)


def test_identity_and_shift_are_not_obstructed():
    for g in (lambda x: x, lambda x: x + 0.7, lambda x: x + 0.1 * torch.tanh(x)):
        r = nd.embedding_obstructions(g, (-2.0, 2.0))
        assert not r.obstructed and r.augment_sufficient == 0 and not any(_found(r).values())


def test_fold_is_not_injective_with_an_exact_witness():
    r = nd.embedding_obstructions(lambda x: x**2, (-1.0, 1.0))
    inj = next(ob for ob in r.obstructions if ob.name == "injectivity")
    assert inj.found
    x, z = inj.witness[:, 0]
    assert abs(float(x - z)) >= r.settings["sep"] and abs(float(x**2 - z**2)) <= 1e-10


def test_two_dimensional_reflection_reverses_orientation():
    r = nd.embedding_obstructions(lambda x: x.flip(-1), ([-1.0, -1.0], [1.0, 1.0]), n_samples=512)
    assert _found(r) == {"injectivity": False, "orientation": True} and r.augment_sufficient == 2
    rot = nd.embedding_obstructions(lambda x: torch.stack([-x[:, 1], x[:, 0]], -1), ([-1.0, -1.0], [1.0, 1.0]),
                                    n_samples=512)
    assert not rot.obstructed  # a rotation is the time-(pi/2) map of dx/dt = (-x2, x1)
    assert json.loads(json.dumps(r.to_dict()))["obstructions"][1]["found"] is True


def test_reversal_cannot_be_learnt_without_augmentation_and_can_with_it():
    from neurodyn.iomaps import fit_reversal

    bound = nd.embedding_obstructions(lambda x: -x, (-1.0, 1.0))
    assert bound.obstructed and bound.augment_sufficient == 1
    plain = fit_reversal(augment=0, epochs=300)
    assert plain.increasing and plain.loss >= plain.bound  # an increasing map cannot beat the mean
    assert abs(plain.bound - 129 / 381) <= 1e-6  # var of 128 equispaced points in [-1, 1]: (n + 1) / (3 (n - 1))
    aug = fit_reversal(augment=1, epochs=300)
    assert aug.loss <= 1e-3 and not aug.increasing
    assert json.loads(json.dumps(aug.to_dict()))["augment"] == 1


def test_global_random_state_is_not_used():
    from iomaps_nets import mlp

    state = torch.get_rng_state()
    nd.embedding_obstructions(lambda x: x.flip(-1), ([-1.0, -1.0], [1.0, 1.0]), n_samples=64)
    nd.critical_points(mlp(2, 4, 1), (-1.0, 1.0), n_starts=16)
    nd.architecture_class(mlp(2, 2, 2, 1))
    assert torch.equal(torch.get_rng_state(), state)
