"""What machine a measurement ran on, recorded beside benchmark and study results."""

from __future__ import annotations

import os
import platform
import sys

import tensorflow as tf

import tfgen


def machine_info() -> dict:
    """Platform, CPUs (and the 1/5/15-minute load averages, which bias timings), Python,
    TensorFlow and tfgen versions, and the visible GPUs."""
    info = {"platform": platform.platform(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
            "tensorflow": tf.__version__, "tfgen": tfgen.__version__,
            "gpus": [d.name for d in tf.config.list_physical_devices("GPU")]}
    if hasattr(os, "sched_getaffinity"):
        info["usable_cpus"] = len(os.sched_getaffinity(0))
    if hasattr(os, "getloadavg"):
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return info
