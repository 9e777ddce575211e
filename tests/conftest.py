"""Suite-wide settings. Under pytest-xdist each worker is its own TensorFlow process: give each
its share of the cores for intra-op parallelism (TensorFlow's default, one pool thread per core
in every worker, oversubscribes the machine). Read by TensorFlow when it starts its thread pools,
so it is set here, before any test module imports it."""

import os

_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _workers > 1:
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, (os.cpu_count() or 1) // _workers)))
