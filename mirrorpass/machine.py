"""The machine a figure was measured on: CPU model string, vendor, family/model/stepping, kernel, cores.

The same build has run 1.2x native on one x86-64 CPU and 7x on another (AMD's L1D way predictor and
the mirror delta: runtime/base/layout.h), so every recorded figure carries this. Standard library
only."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path


def cpu() -> dict[str, object]:
    """{"model_name", "vendor", "family", "model", "stepping"} of the first CPU in /proc/cpuinfo."""
    fields = {"model name": "model_name", "vendor_id": "vendor", "cpu family": "family", "model": "model",
              "stepping": "stepping"}
    found: dict[str, object] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        name = fields.get(key.strip())
        if name:
            value = value.strip()
            found[name] = int(value) if name in ("family", "model", "stepping") and value.isdigit() else value
    found.setdefault("model_name", platform.processor() or "unknown")
    for name in ("vendor", "family", "model", "stepping"):
        found.setdefault(name, None)
    return found


def describe() -> dict[str, object]:
    """The machine record written into results: the CPU, the kernel, the cores, the date (UTC)."""
    return {"cpu": cpu(), "kernel": platform.release(), "nproc": os.cpu_count(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def cpu_line(record: dict | None = None) -> str:
    """'Intel(R) Xeon(R) Processor (GenuineIntel, family 6 model 207)' for a report header."""
    c = record.get("cpu") if record else cpu()
    if not isinstance(c, dict):  # results written before the CPU was a record: its model string
        return str(c or "CPU not recorded")
    return f"{c.get('model_name')} ({c.get('vendor')}, family {c.get('family')} model {c.get('model')})"
