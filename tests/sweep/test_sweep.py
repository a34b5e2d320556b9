"""Sweeps: configurations and their ids, the store's resume / retry / no-duplicate semantics, and a dozen tiny
networks end to end on a 2-worker local Dask cluster that loses a worker mid-sweep."""

import os
import signal
import threading
import time

import pytest

from neurodyn import InvalidInputError, sweep
from neurodyn.sweep import ResultStore, SweepConfig

TINY = dict(iterations=20, hidden=6, spectrum_steps=40, spectrum_batch=2)


def test_grid_ids_and_bad_values():
    cfgs = sweep.grid(cell=["rnn", "gru", "lstm"], gain=[0.5, 2.0], seed=[0, 1], task="memory")
    assert len(cfgs) == 12 and len({c.id for c in cfgs}) == 12
    assert SweepConfig(cell="gru", gain=2.0).id == SweepConfig(cell="gru", gain=2.0).id  # stable across calls
    assert len(sweep.random_configs(5, seed=3)) == 5
    assert [c.gain for c in sweep.random_configs(5, seed=3)] == [c.gain for c in sweep.random_configs(5, seed=3)]
    with pytest.raises(InvalidInputError, match="unknown sweep field"):
        sweep.grid(depth=[1, 2])
    with pytest.raises(InvalidInputError, match="cell must be one of"):
        SweepConfig(cell="transformer")
    with pytest.raises(InvalidInputError, match="gain must be a positive number"):
        SweepConfig(gain=float("nan"))
    with pytest.raises(InvalidInputError, match="unknown task"):
        sweep.make_task("chess")


def test_a_row_holds_the_spectrum_of_the_trained_network():
    for cell, dim in (("rnn", 6), ("lstm", 12)):
        row = sweep.train_and_measure(SweepConfig(cell=cell, task="text", **TINY))
        assert row["status"] == "ok", row["error"]
        assert 0.0 <= row["performance"] <= 1.0 and len(row["exponents"]) == dim
        assert row["exponents"] == sorted(row["exponents"], reverse=True)
        # a contracting network: tanh' <= 1 and the exponents of a stable trained net are below 0.5 nats/step
        assert max(row["exponents"]) < 0.5 and len(row["exponents_stderr"]) == dim


def test_store_resumes_retries_failures_and_never_duplicates(tmp_path):
    cfgs = sweep.grid(seed=[0, 1, 2], task="memory", **TINY)
    first = sweep.run(cfgs, tmp_path / "store", workers=0, progress=False)
    assert (first.ran, first.skipped, first.failed) == (3, 0, 0) and first.executor == "sequential"
    store = ResultStore(tmp_path / "store")
    # a failed row (as a network that raised leaves it) is retried by the next run; finished rows are skipped
    failed = dict(first.rows[0], status="error", error="RuntimeError: simulated", exponents=[])
    store.write(failed)
    again = sweep.run(cfgs, store, workers=0, progress=False)
    assert (again.ran, again.skipped, again.failed) == (1, 2, 0)
    rows = store.rows()
    assert len(rows) == 3 == len({r["id"] for r in rows}) and all(r["status"] == "ok" for r in rows)
    assert sweep.run(cfgs + cfgs, store, workers=0, progress=False).ran == 0  # duplicates in the sweep run once
    assert not list((tmp_path / "store").glob(".*tmp"))
    with pytest.raises(InvalidInputError, match="is a file"):
        ResultStore(tmp_path / "store" / next(iter(os.listdir(tmp_path / "store"))))


@pytest.mark.slow
def test_a_dozen_networks_on_two_workers_survive_a_killed_worker(tmp_path):
    from dask.distributed import Client, LocalCluster

    cfgs = sweep.grid(cell=["rnn", "gru", "lstm"], gain=[0.5, 1.5], seed=[0, 1], task="memory",
                      **dict(TINY, iterations=150))
    store = ResultStore(tmp_path / "store")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        outcome = {}

        def sweep_in_background():
            try:
                outcome["result"] = sweep.run(cfgs, store, client=client, progress=False)
            except Exception as exc:  # an interrupted sweep: the rerun below must complete it
                outcome["error"] = exc

        thread = threading.Thread(target=sweep_in_background)
        thread.start()
        deadline = time.time() + 120
        while len(store) < 2 and time.time() < deadline:
            time.sleep(0.05)
        assert len(store) < len(cfgs), "the sweep finished before a worker could be killed: make networks larger"
        os.kill(pids[0], signal.SIGKILL)  # a crashed worker, mid-sweep
        thread.join(timeout=300)
    rerun = sweep.run(cfgs, store, workers=0, progress=False)
    rows = store.rows()
    assert sorted(r["id"] for r in rows) == sorted(c.id for c in cfgs)  # every configuration exactly once
    assert all(r["status"] == "ok" for r in rows) and rerun.failed == 0
    assert rerun.ran + rerun.skipped == len(cfgs)


@pytest.mark.slow
def test_a_sweep_runs_unchanged_on_an_existing_scheduler(tmp_path):
    from dask.distributed import LocalCluster

    cfgs = sweep.grid(seed=[0, 1], task="digits", **TINY)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        res = sweep.run(cfgs, tmp_path / "store", scheduler=cluster.scheduler_address, progress=False)
        again = sweep.run(cfgs, tmp_path / "again", scheduler=cluster.scheduler_address, progress=False)
    assert res.ran == 2 and res.failed == 0 and res.executor == "dask (1 worker)"
    # training and spectra are seeded: the same sweep gives the same rows, bit for bit
    by_id = {r["id"]: r for r in again.rows}
    for r in res.rows:
        assert r["exponents"] == by_id[r["id"]]["exponents"] and r["performance"] == by_id[r["id"]]["performance"]
    with pytest.raises(InvalidInputError, match="either client= or scheduler="):
        sweep.run(cfgs, tmp_path / "x", client=object(), scheduler="tcp://localhost:1", progress=False)


@pytest.mark.slow
def test_the_embedded_cluster_leaves_this_process_environment_alone_and_workers_untrimmed(tmp_path, monkeypatch):
    from dask.distributed import Client

    from neurodyn.sweep.run import local_cluster

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")  # as any earlier plain Dask cluster leaves it
    before = dict(os.environ)
    with local_cluster(1) as cluster, Client(cluster) as client:
        env = next(iter(client.run(lambda: dict(os.environ)).values()))
    assert dict(os.environ) == before  # Dask's nanny writes OMP_NUM_THREADS=1 etc. here; undone
    assert env.get("OMP_NUM_THREADS") == "1" and "MALLOC_TRIM_THRESHOLD_" not in env
    res = sweep.run(sweep.grid(seed=[0], task="memory", **TINY), tmp_path / "store", workers=1, progress=False)
    assert res.ran == 1 and res.failed == 0 and dict(os.environ) == before


def test_features_that_cannot_be_correlated_are_none_with_the_reason():
    import torch

    # every spectrum is negative: no positive exponent anywhere, so n_positive (0) and the entropy bound (0) are
    # constant across networks and have no rank correlation; max and mean do.
    spectra = [torch.tensor([-0.1 * k, -1.0 - 0.1 * k], dtype=torch.float64) for k in range(1, 6)]
    perf = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5], dtype=torch.float64)
    corr = {c.feature: c for c in sweep.correlate_features(spectra, perf)}
    assert corr["n_positive"].rho is None and "same value" in corr["n_positive"].reason
    assert corr["max"].rho == pytest.approx(1.0) and corr["max"].reason == ""
    few = {c.feature: c for c in sweep.correlate_features(spectra[:2], perf[:2])}
    assert all(c.rho is None and "only 2 network(s)" in c.reason for c in few.values())


def test_a_corrupt_row_file_is_quarantined_and_its_network_run_again(tmp_path):
    cfgs = sweep.grid(seed=[0, 1, 2], task="memory", **TINY)
    sweep.run(cfgs, tmp_path / "store", workers=0, progress=False)
    rows = sorted((tmp_path / "store").glob("row-*.parquet"))
    rows[1].write_bytes(rows[1].read_bytes()[:50])  # truncated, as a crash of another tool could leave it
    with pytest.warns(sweep.CorruptRowWarning, match=rows[1].name):
        again = sweep.run(cfgs, tmp_path / "store", workers=0, progress=False)
    assert (again.ran, again.skipped, again.failed) == (1, 2, 0) and len(again.rows) == 3
    (moved,) = (tmp_path / "store" / "quarantine").iterdir()
    assert moved.name.startswith(rows[1].name) and again.quarantined == [str(moved)]
    assert len(ResultStore(tmp_path / "store").rows()) == 3


_CONCURRENT = """
import sys, time
from pathlib import Path
from neurodyn import sweep
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.01)
cfgs = sweep.grid(seed=[0, 1, 2, 3, 4, 5], task="memory", iterations=20, hidden=6, spectrum_steps=40,
                  spectrum_batch=2)
res = sweep.run(cfgs, sys.argv[1], workers=0, progress=False)
print(res.ran, res.busy, res.skipped)
"""


def _child_env():
    """This interpreter's import path (absolute) for a child process started in another folder."""
    import sys

    return dict(os.environ, OMP_NUM_THREADS="1",
                PYTHONPATH=os.pathsep.join(os.path.abspath(p) for p in sys.path if p))


@pytest.mark.slow
def test_two_sweeps_on_one_store_never_train_a_network_twice(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "one_sweep.py"
    script.write_text(_CONCURRENT)
    go = tmp_path / "go"
    env = _child_env()
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path / "store"), str(go)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(3)  # both have imported neurodyn and wait
    go.touch()
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    counts = [tuple(int(v) for v in o[0].split()) for o in outs]
    # every network trained exactly once between the two sweeps
    assert sum(c[0] for c in counts) == 6, counts
    assert len(ResultStore(tmp_path / "store").rows()) == 6
    assert not list((tmp_path / "store" / "claims").iterdir())


def test_an_abandoned_claim_is_taken_over_and_a_live_one_respected(tmp_path):
    import json
    import socket
    import subprocess
    import sys

    cfgs = sweep.grid(seed=[0, 1], task="memory", **TINY)
    claims = tmp_path / "store" / "claims"
    claims.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for cfg, pid in zip(cfgs, (int(dead.stdout), live.pid), strict=True):
            (claims / f"{cfg.id}.claim").write_text(json.dumps(dict(host=socket.gethostname(), pid=pid,
                                                                    time=time.time())))
        res = sweep.run(cfgs, tmp_path / "store", workers=0, progress=False)
    finally:
        live.kill()
        live.wait()
    assert (res.ran, res.busy) == (1, 1)
    assert [r["seed"] for r in res.rows] == [0]


def test_an_unreachable_scheduler_fails_fast_naming_its_address(tmp_path):
    cfgs = sweep.grid(seed=[0], task="memory", **TINY)
    t0 = time.perf_counter()
    with pytest.raises(sweep.SweepStartError, match="tcp://127.0.0.1:9"):
        sweep.run(cfgs, tmp_path / "store", scheduler="tcp://127.0.0.1:9", connect_timeout=2, progress=False)
    assert time.perf_counter() - t0 < 20
    assert not list((tmp_path / "store" / "claims").iterdir())  # the claim is given back


_SCRIPT = """
from neurodyn import sweep

def main():
    cfgs = sweep.grid(seed=[0, 1], task="memory", iterations=5, hidden=4, spectrum_steps=20, spectrum_batch=2)
    print("ran", sweep.run(cfgs, "store", workers=2, progress=False).ran)

{call}
"""


@pytest.mark.slow
@pytest.mark.parametrize("guarded", [True, False])
def test_a_script_sweep_needs_its_main_guard_and_says_so_and_shuts_down_quietly(tmp_path, guarded):
    import subprocess
    import sys

    call = 'if __name__ == "__main__":\n    main()' if guarded else "main()"
    (tmp_path / "script.py").write_text(_SCRIPT.format(call=call))
    out = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                         env=_child_env())
    if guarded:
        assert out.returncode == 0 and "ran 2" in out.stdout, out.stderr[-2000:]
        assert "killing" not in out.stderr and "WARNING" not in out.stderr, out.stderr[-2000:]
    else:
        assert out.returncode != 0 and "SweepStartError" in out.stderr
        assert 'if __name__ == "__main__":' in out.stderr
