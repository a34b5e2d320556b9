"""Figures and the self-contained HTML report; the ``neurodyn demo`` run."""

from neurodyn.report.demo import DemoSettings, run_demo

__all__ = ["DemoSettings", "run_demo"]
