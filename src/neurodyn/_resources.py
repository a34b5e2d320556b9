"""Free memory of a device, read once per check, for the analyses that refuse runs that would not fit."""

from __future__ import annotations

import os

import torch

GIB = 2.0**30


def available_bytes(device: torch.device) -> int | None:
    """Free memory on ``device`` (GPU: the driver's count; CPU: psutil, else ``/proc/meminfo``, else sysconf);
    ``None`` when it cannot be read."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    if device.type != "cpu":
        return None
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
