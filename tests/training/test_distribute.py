"""Under MirroredStrategy the loss is scaled by the global batch: 2 replicas step like 1."""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(__file__)


def test_two_replica_step_moves_weights_as_one_device():
    out = subprocess.run([sys.executable, os.path.join(HERE, "mirrored_step.py")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["max_abs_update"] > 1e-4, result  # the step really moved the weights
    # A loss averaged per replica (not over the global batch) would give twice the update,
    # i.e. a difference as large as the update itself.
    assert result["max_abs_diff"] < 1e-4 * result["max_abs_update"], result
