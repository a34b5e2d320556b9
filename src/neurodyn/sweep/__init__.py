"""Sweeps over many recurrent networks: train each on a task, score it, measure its Lyapunov spectrum, and keep
one row per network in a Parquet store; run on Dask distributed (an embedded ``LocalCluster`` or an existing
cluster) or in this process. See :func:`run`."""

from neurodyn.sweep.analysis import FeatureCorrelation, correlate_features
from neurodyn.sweep.config import CELLS, SweepConfig, grid, random_configs
from neurodyn.sweep.run import SweepResult, SweepStartError, run
from neurodyn.sweep.store import CorruptRowWarning, ResultStore
from neurodyn.sweep.tasks import TASKS, make_task
from neurodyn.sweep.worker import train_and_measure

__all__ = ["CELLS", "TASKS", "CorruptRowWarning", "FeatureCorrelation", "ResultStore", "SweepConfig", "SweepResult",
           "SweepStartError", "correlate_features", "grid", "make_task", "random_configs", "run", "train_and_measure"]
