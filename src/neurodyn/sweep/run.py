"""Run a sweep: every configuration not yet finished in the store, on Dask distributed or in this process."""

from __future__ import annotations

import multiprocessing
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch

from neurodyn._progress import progress_bar
from neurodyn.errors import InvalidInputError, NeurodynError
from neurodyn.results import Result
from neurodyn.sweep.config import SweepConfig
from neurodyn.sweep.store import ResultStore
from neurodyn.sweep.worker import train_and_measure


class SweepStartError(NeurodynError):
    """The Dask cluster of a sweep could not be reached or started; the message says why and what to do."""


@dataclass(frozen=True, eq=False)
class SweepResult(Result):
    """The rows of a sweep's configurations (from the store, including those finished by earlier runs), how many
    this run computed (``ran``), skipped as finished (``skipped``) and left to another sweep running on the same
    store (``busy``), failures, wall time, the executor used, and the corrupt row files moved into the store's
    ``quarantine/`` folder (``quarantined``)."""

    rows: list = field(default_factory=list)
    ran: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    executor: str = ""
    store: str = ""
    busy: int = 0
    quarantined: list = field(default_factory=list)

    @property
    def finished(self) -> list[dict]:
        """The rows that finished without error."""
        return [r for r in self.rows if r["status"] == "ok"]

    @property
    def spectra(self) -> list[torch.Tensor]:
        """The finished networks' spectra (nats per step, descending; lengths differ with the state size)."""
        return [torch.tensor(r["exponents"], dtype=torch.float64) for r in self.finished]

    @property
    def performance(self) -> torch.Tensor:
        """The finished networks' test performance (accuracy in [0, 1])."""
        return torch.tensor([r["performance"] for r in self.finished], dtype=torch.float64)

    def plot(self, ax=None):
        """Each finished network's spectrum against its normalised index, coloured by its test performance.
        Returns the axes (in a script, save the figure with ``ax.figure.savefig("sweep.png")``)."""
        from neurodyn.features import plot_spectra

        return plot_spectra(self.spectra, self.performance, ax=ax)


def run(configs, store, *, client=None, scheduler: str | None = None, workers: int = 2, progress: bool = True,
        retries: int = 2, connect_timeout: float = 10.0, measure=None) -> SweepResult:
    """Train, score and measure every configuration of ``configs`` that ``store`` does not hold as finished.

    Rows are written to the store as each network finishes (so an interrupted sweep loses nothing finished);
    finished rows are skipped and failed ones retried when the same sweep runs again. Each network is claimed
    in the store before it is trained, so sweeps running at the same time on one store never train a network
    twice (see :class:`ResultStore`); a corrupt row file is quarantined and its network run again.

    The embedded cluster starts worker processes, which import the calling script again: in a script, call
    ``run`` under ``if __name__ == "__main__":``.

    Args:
        configs: :class:`SweepConfig` objects (duplicates are run once), e.g. from :func:`grid`.
        store: a :class:`ResultStore` or a folder for one.
        client: a ``dask.distributed.Client`` to run on (an existing cluster, unchanged; its workers need
            neurodyn installed, as each network is trained by :func:`train_and_measure` there).
        scheduler: the address of a Dask scheduler (``"tcp://host:8786"``) to connect to instead.
        workers: without ``client`` or ``scheduler``: the size of an embedded ``LocalCluster`` (one process and
            one thread per worker); ``0`` runs in this process, one network after the other.
        retries: how often Dask reruns a network whose worker died (a network that raises is recorded as an
            error row instead and retried by the next run).
        connect_timeout: seconds to wait for ``scheduler`` before giving up with an error naming it.
        measure: the work done per configuration, ``config -> row`` (a dict with the config's ``id`` and a
            ``status``, ``"ok"`` when it finished; it must not raise, and must be importable by the workers);
            default :func:`train_and_measure` on :class:`SweepConfig` objects. Other configurations need only a
            stable ``id`` (e.g. :class:`neurodyn.networks.KuramotoConfig` with
            :func:`neurodyn.networks.measure_kuramoto`).
    """
    if getattr(multiprocessing.current_process(), "_inheriting", False):  # a new process importing its script
        raise SweepStartError(_GUARD)
    store = store if isinstance(store, ResultStore) else ResultStore(store)
    configs = list(configs)
    if measure is None and not all(isinstance(c, SweepConfig) for c in configs):
        raise InvalidInputError("configs must be SweepConfig objects (see neurodyn.sweep.grid)")
    if measure is not None and not (callable(measure) and all(isinstance(getattr(c, "id", None), str)
                                                              for c in configs)):
        raise InvalidInputError("with measure=, measure must be callable and every configuration needs a string id")
    measure = measure or train_and_measure
    configs = list({c.id: c for c in configs}.values())
    if client is not None and scheduler is not None:
        raise InvalidInputError("give either client= or scheduler=, not both")
    if not isinstance(workers, int) or workers < 0:
        raise InvalidInputError(f"workers must be an integer >= 0, got {workers!r}")
    done = store.finished()
    todo = [c for c in configs if c.id not in done]
    claimed = [c for c in todo if store.claim(c.id)]
    t0 = time.perf_counter()
    executor = "none"
    mine = []
    try:
        for c in claimed:  # another sweep may have finished it between the listing and the claim
            if store.is_finished(c.id):
                store.release(c.id)
            else:
                mine.append(c)
        if mine:
            executor = _execute(mine, store, measure, client, scheduler, workers, progress, retries,
                                connect_timeout)
    finally:
        for c in claimed:
            store.release(c.id)
    ids = {c.id for c in configs}
    rows = [r for r in store.rows() if r["id"] in ids]
    return SweepResult(rows=rows, ran=len(mine), skipped=len(configs) - len(todo),
                       failed=sum(r["status"] != "ok" for r in rows), seconds=time.perf_counter() - t0,
                       executor=executor, store=str(store.path), busy=len(todo) - len(claimed),
                       quarantined=[str(p) for p in store.quarantined])


def _execute(todo, store, measure, client, scheduler, workers, progress, retries, connect_timeout) -> str:
    """Run ``todo`` in this process (``workers=0``, no client or scheduler) or on Dask; returns the executor."""
    if client is None and scheduler is None and workers == 0:
        with progress_bar(progress, len(todo), "networks") as advance:
            for c in todo:
                store.write(measure(c))
                store.release(c.id)
                if advance:
                    advance(1)
        return "sequential"
    with _environment_kept():  # a nanny restarting a lost worker writes its environment again
        return _run_on(todo, store, measure, client, scheduler, workers, progress, retries, connect_timeout)


@contextmanager
def _environment_kept():
    """Restore, on exit, the environment variables a Dask nanny writes into the process that starts its workers
    (its pre-spawn environment: ``OMP_NUM_THREADS=1``, ``MALLOC_TRIM_THRESHOLD_`` and others), where they would
    reach the caller's later subprocesses. Only those variables are touched."""
    import dask

    keys = set(dask.config.get("distributed.nanny.pre-spawn-environ", default={})) | {"PYTHONHASHSEED"}
    saved = {key: os.environ.get(key) for key in keys}
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            elif os.environ.get(key) != value:
                os.environ[key] = value


def local_cluster(workers: int):
    """An embedded Dask ``LocalCluster`` of ``workers`` processes with one thread each, tuned for training loops:

    - without the workers' statistical profiler (it samples the running thread every 10 ms, which costs a
      Python-heavy training loop about a tenth of its speed);
    - without Dask's default ``MALLOC_TRIM_THRESHOLD_=65536`` for the workers: glibc then hands every freed
      block over 64 KiB back to the system at once, and a training loop that allocates and frees such tensors
      at every step pays for it in page faults (the same networks trained 13.6% slower in a worker than in a
      plain loop, and 15% slower in a plain process with that variable set).

    This process's environment is left as it was (see :func:`_environment_kept`)."""
    import dask
    from dask.distributed import LocalCluster

    with _environment_kept(), dask.config.set({"distributed.worker.profile.enabled": False,
                                               "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)  # workers inherit this process's environment (restored)
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)


def _run_on(todo, store, measure, client, scheduler, workers, progress, retries, connect_timeout) -> str:
    from dask.distributed import as_completed

    own_cluster = own_client = None
    try:
        if client is None:
            own_client, own_cluster = _connect(scheduler, workers, connect_timeout)
            client = own_client
        futures = client.map(measure, todo, pure=False, retries=retries)
        with progress_bar(progress, len(todo), "networks") as advance:
            for future in as_completed(futures):
                row = future.result()
                store.write(row)
                store.release(row["id"])
                if advance:
                    advance(1)
        n = len(client.scheduler_info()["workers"])
        return f"dask ({n} worker{'' if n == 1 else 's'})"
    finally:
        _close_quietly(own_client, own_cluster)


def _connect(scheduler, workers, connect_timeout):
    """A client of the scheduler at ``scheduler`` or of a new embedded cluster; errors name what to do."""
    from dask.distributed import Client

    if scheduler is not None:
        try:
            return Client(scheduler, timeout=f"{connect_timeout}s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise SweepStartError(f"cannot reach the Dask scheduler at {scheduler!r} within {connect_timeout:g} s "
                                  f"({type(exc).__name__}: {exc}); check the address and that the scheduler runs, "
                                  "or run on an embedded cluster (no scheduler)") from None
    try:
        cluster = local_cluster(workers)
    except Exception as exc:
        raise SweepStartError(f"the embedded Dask cluster did not start ({type(exc).__name__}: {exc}). {_GUARD}") \
            from exc
    return Client(cluster), cluster


_GUARD = ("Its worker processes import the calling script again: in a script, call neurodyn.sweep.run under "
          "'if __name__ == \"__main__\":' (or pass workers=0 to run in this process).")


class _QuietShutdown:
    """A logging filter for ``distributed.nanny`` that drops its "Worker process still alive after ... seconds,
    killing" notice, which a loaded machine triggers when the worker processes of an embedded cluster take a few
    seconds to exit; installed (once) when neurodyn closes a cluster it started. Every other message passes."""

    def filter(self, record) -> bool:
        message = record.getMessage()
        return not ("still alive after" in message and "killing" in message)


_QUIET = _QuietShutdown()


def _close_quietly(client, cluster) -> None:
    """Close the client, then the cluster, without Dask's notices about the workers it stops."""
    import logging

    nanny = logging.getLogger("distributed.nanny")
    if _QUIET not in nanny.filters:
        nanny.addFilter(_QUIET)
    loggers = [logging.getLogger(n) for n in ("distributed.worker", "distributed.scheduler", "distributed.core",
                                              "distributed.batched")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
