"""Write TF Serving's server configuration for tfgen exports.

  python train/serving_config.py --export=saved_models/vae_mnist --export=saved_models/gan_mnist \
      --output_dir=serving --max_batch_size=32 --batch_timeout_micros=5000

writes ``serving/models.config`` (one ``config`` per ``--export``, a model directory holding
numeric version directories; name = the directory's name, base_path = its absolute path) and
``serving/batching.config``, then prints both paths. Serve them with

  tensorflow_model_server --rest_api_port=8501 --model_config_file=serving/models.config \
      --enable_batching --batching_parameters_file=serving/batching.config

Exit status 1 with a message when an export has no numeric version directory or a flag is out of
range. See tfgen.export.serving_config and docs/export_and_serving.md.
"""

from __future__ import annotations

import sys

from absl import app, flags

from tfgen.export.serving_config import BATCHING_DEFAULTS, write_configs

FLAGS = flags.FLAGS
_HELP = {"max_batch_size": "largest batch the server forms from queued requests",
         "batch_timeout_micros": "longest a request waits for a batch to fill, microseconds",
         "num_batch_threads": "threads that run batches in parallel",
         "max_enqueued_batches": "queued batches before requests are refused (UNAVAILABLE)"}


def define_flags() -> None:
    """Define this script's flags (only when it runs, so importing it defines none)."""
    flags.DEFINE_multi_string("export", None, "an export root (model directory with numeric "
                              "version directories); repeat for several models")
    flags.DEFINE_string("output_dir", None, "where to write models.config and batching.config")
    for key, (default, lowest) in BATCHING_DEFAULTS.items():
        flags.DEFINE_integer(key, default, _HELP[key], lower_bound=lowest)
    flags.mark_flags_as_required(["export", "output_dir"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        paths = write_configs(FLAGS.export, FLAGS.output_dir,
                              **{key: FLAGS[key].value for key in BATCHING_DEFAULTS})
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print("\n".join(paths))
    return 0


if __name__ == "__main__":
    define_flags()
    app.run(main)
