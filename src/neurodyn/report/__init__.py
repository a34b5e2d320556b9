"""Figures and the self-contained HTML report; the ``neurodyn demo`` run."""

from neurodyn.report.demo import DemoSettings, run_demo
from neurodyn.report.model import model_report

__all__ = ["DemoSettings", "model_report", "run_demo"]
