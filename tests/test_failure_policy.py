"""The one failure policy (``neurodyn.results.finish``) and the status vocabulary, through a small result."""

from dataclasses import dataclass

import pytest

import neurodyn as nd
from neurodyn.results import Result, finish


@dataclass(frozen=True)
class _Answer(Result):
    status: nd.Status


NO_ANSWER = ("diverged", "too short", "failed")
FLAGGED = ("unconverged", "may be incomplete", "not proved", "step too small")
OK = ("converged", "ok", "none found", "saturated", "proved", "reached stop", "max_points", "no separation")


@pytest.mark.parametrize("status", NO_ANSWER + FLAGGED + OK)
def test_strict_true_raises_for_every_status_that_is_not_ok_and_false_never(status):
    res = _Answer(nd.Status(status))
    assert finish(res, strict=False, what="x") is res
    if res.status.ok:
        assert finish(res, strict=True, what="x") is res
    else:
        with pytest.raises(nd.ConvergenceError, match=f"x: {status}") as info:
            finish(res, strict=True, what="x")
        assert info.value.result is res


@pytest.mark.parametrize("status", NO_ANSWER + FLAGGED + OK)
def test_the_default_raises_only_where_there_is_no_answer(status):
    res = _Answer(nd.Status(status))
    if status in NO_ANSWER:
        with pytest.raises(nd.ConvergenceError):
            finish(res, strict=None, what="x")
    else:
        assert finish(res, strict=None, what="x") is res
    assert res.status.ok == (status in OK)


def test_statuses_compare_as_their_messages_and_serialise_as_strings(tmp_path):
    res = _Answer(nd.Status.TOO_SHORT)
    assert res.status == "too short" and res.to_dict()["status"] == "too short"
    path = res.save_json(tmp_path / "r.json")
    with pytest.raises(nd.OutputExistsError, match="overwrite=True"):
        res.save_json(path)
    assert res.save_json(path, overwrite=True) == path


def test_saving_into_a_missing_folder_is_a_clear_error_and_leaves_nothing(tmp_path):
    res = _Answer(nd.Status.OK)
    with pytest.raises(nd.OutputPathError, match="existing folder"):
        res.save_json(tmp_path / "missing" / "r.json")
    assert not (tmp_path / "missing").exists()


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path):
    precious = tmp_path / "precious.py"
    precious.write_text("keep me")
    link = tmp_path / "r.json"
    link.symlink_to(precious)
    res = _Answer(nd.Status.OK)
    with pytest.raises(nd.OutputExistsError):
        res.save_json(link)
    res.save_json(link, overwrite=True)
    assert precious.read_text() == "keep me" and not link.is_symlink()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left behind


def test_written_files_get_the_permissions_a_plain_open_gives(tmp_path):
    import os

    umask = os.umask(0o022)
    os.umask(umask)
    path = _Answer(nd.Status.OK).save_json(tmp_path / "r.json")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_the_batching_hint_is_given_only_when_batching_is_what_fails():
    import torch

    flat = nd.Flow(lambda t, x: x.reshape(-1), 2, name="flat")
    with pytest.raises(nd.InvalidInputError, match="must accept leading batch dimensions"):
        flat.probe(torch.ones(2, dtype=torch.float64))
    nan = nd.Flow(lambda t, x: x * float("nan"), 2, name="nan")
    with pytest.raises(nd.NonFiniteError, match="returned 2 non-finite") as info:
        nan.probe(torch.ones(2, dtype=torch.float64))
    assert "batch" not in str(info.value)
