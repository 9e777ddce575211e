"""train/run.py as a user meets it: defaults that train, a strict command line, model help.

The command runs in process (``run.run_in_process``: fresh flags, no new Python), so each case
costs its training, not a TensorFlow import.
"""

import json
import os
import sys

import pytest
from absl import flags

from tfgen.models import model_names

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "train"))
import run  # noqa: E402

# Only the trainer's reporting work is shrunk (no export, one eval batch, no sample grid): the
# model, its config and the batch size are the defaults a user gets.
QUICK = ["--train_steps=2", "--steps_per_epoch=2", "--eval_batches=1", "--sample_images=0",
         "--export=false", "--verbose=0"]


def parsed(*args: str) -> flags.FlagValues:
    argv = ["run.py", *args]
    flag_values = flags.FlagValues()
    run.define_cli_flags(flag_values, argv)
    flag_values(argv)
    return flag_values


def run_cli(tmp_path, *args: str) -> int:
    return run.run_in_process(["run.py", *args, f"--output_dir={tmp_path}/run",
                               f"--export_root={tmp_path}/exports"])


DEFAULT_RUNS = [
    ("vae", "binarized_fashion_mnist"), ("vae", "fashion_mnist"),
    ("pixelcnn", "binarized_fashion_mnist"), ("pixelcnn", "fashion_mnist"),
    ("gated_pixelcnn", "binarized_fashion_mnist"),  # 8-bit: the pixelcnn case (~70 s here)
    ("pixelvae", "binarized_fashion_mnist"), ("pixelvae", "fashion_mnist"),
    ("pixelvae --decoder=cond_bias", "binarized_fashion_mnist"),
    ("pixelvae --gated=false", "binarized_fashion_mnist"),
    ("hierarchical_pixelvae", "fashion_mnist"),
    ("iaf_vae", "fashion_mnist"),
    ("gan", "fashion_mnist"), ("gan --loss=dcgan", "fashion_mnist"),
    ("gan", "8gaussians"), ("gan --loss=wgan-clip", "8gaussians"),
    ("gan --loss=dcgan", "25gaussians"), ("gan --loss=lsgan", "swissroll"),
    # The text nets at their default width (512) take minutes per step on 2 CPU cores; the
    # batch, n_critic and the nets picked for text data are still the defaults.
    ("gan --generator_dim=16 --critic_dim=16", "fortunes"),
    # PixelCNN++ at the paper's size (160 filters, 5 blocks per stage) takes minutes per step
    # here; the batch, the likelihood and the training objective are still the defaults.
    ("pixelcnn_pp --nr_filters=8 --nr_resnet=1", "fashion_mnist"),
]


@pytest.mark.slow
@pytest.mark.parametrize("model,dataset", DEFAULT_RUNS, ids=lambda v: v.replace(" --", ":"))
def test_every_model_variant_trains_with_its_defaults(tmp_path, capsys, model, dataset):
    name, *variant = model.split()
    assert run_cli(tmp_path, f"--model={name}", *variant, f"--dataset={dataset}", *QUICK) == 0, \
        capsys.readouterr().err[-2000:]
    summary = json.loads(capsys.readouterr().out)
    assert summary["step"] == 2
    assert all(value == value for value in summary["test"].values())  # no NaN


def test_every_registered_model_is_in_the_defaults_test():
    assert {m.split()[0] for m, _ in DEFAULT_RUNS} == set(model_names())


def test_gan_default_batch_splits_into_n_critic_and_a_given_one_is_kept():
    assert run.resolve(parsed("--model=gan"))[2].batch_size == 5 * 64
    assert run.resolve(parsed("--model=gan", "--loss=dcgan"))[2].batch_size == 64
    assert run.resolve(parsed("--model=gan", "--n_critic=3"))[2].batch_size == 3 * 64
    assert run.resolve(parsed("--model=gan", "--batch_size=100"))[2].batch_size == 100
    assert run.resolve(parsed("--model=vae"))[2].batch_size == 64


def test_a_user_batch_that_does_not_split_into_n_critic_is_a_clear_error(tmp_path, capsys):
    assert run_cli(tmp_path, "--model=gan", "--dataset=8gaussians", "--batch_size=64",
                   *QUICK) == 1
    assert "multiple of n_critic" in capsys.readouterr().err


@pytest.mark.parametrize("args,message", [
    (("--model=pixelvae", "--conv_layers=4"), "model 'pixelvae' has no setting --conv_layers"),
    (("--model=gan", "--likelihood=bernoulli"), "model 'gan' has no setting --likelihood"),
    (("--experiment=wgan_gp_8gaussians", "--ar_layers=3"), "model 'gan' has no setting"),
    (("--ar_layers=3", "--mlp_layers=2"), "model 'pixelvae' has no setting --mlp_layers"),
])
def test_a_flag_the_model_lacks_is_an_error_listing_its_settings(args, message):
    with pytest.raises(ValueError, match=message) as err:
        run.resolve(parsed(*args))
    model = message.split("'")[1]
    from tfgen.models import get_model_class
    from tfgen.utils.config import config_field_names
    for name in config_field_names(get_model_class(model).Config):
        assert name in str(err.value)


def test_model_flags_of_the_chosen_model_are_accepted():
    model, config, cfg, _ = run.resolve(parsed("--model=pixelcnn", "--ar_layers=3",
                                               "--dataset=fashion_mnist"))
    assert (model, config, cfg.dataset) == ("pixelcnn", {"ar_layers": 3}, "fashion_mnist")


@pytest.mark.parametrize("args,expected", [
    (("--model=pixelcnn",), {"ar_layers": 6, "kernel_size": 3}),
    (("--model=pixelvae",), {"ar_layers": 2, "kernel_size": 5}),
    (("--model", "gated_pixelcnn"), {"kernel_size": 5}),
    (("--experiment=pixelcnn_fashion_mnist",), {"ar_layers": 6, "filters": 64,
                                                "train_steps": 2000}),
    ((), {"ar_layers": 2, "kl_warmup_steps": 300, "train_steps": 1200}),  # the default job
])
def test_help_shows_the_chosen_models_defaults(args, expected):
    flag_values = parsed(*args)
    for name, value in expected.items():
        assert flag_values[name].default == value, name
    help_text = flag_values.get_help()
    assert "[models: gated_pixelcnn, pixelcnn, pixelvae]" in help_text


@pytest.mark.parametrize("args,message", [
    (("--model=vea",), f"valid names: {model_names()}"),
    (("--dataset=nonesuch",), "expected one of ['25gaussians'"),
    (("--experiment=nonesuch",), "vae_fashion_mnist"),
    (("--mixed_precision=fp8",), "mixed_float16"),
    (("--model=vae", "--train_steps=-5"), "TrainConfig.train_steps (--train_steps) must be >= 0; got -5"),
    (("--model=vae", "--train_steps=0"), "nothing to train"),
    (("--model=vae", "--learning_rate=-1"), "(--learning_rate) must be >= 0.0; got -1.0"),
    (("--model=vae", "--batch_size=-2"), "(--batch_size) must be in [0, 65536]; got -2"),
    (("--model=vae", "--batch_size=100000"), "(--batch_size) must be in [0, 65536]; got 100000"),
    (("--model=vae", "--sample_images=5000"), "(--sample_images) must be in [0, 1024]; got 5000"),
    (("--model=vae", "--seed=2147483648"), "(--seed) must be in [0, 2147483647]; got 2147483648"),
    (("--model=vae", "--export_name=../etc"), "(--export_name) must be a plain directory name"),
    (("--model=vae", "--perturb_probability=1.5"), "(--perturb_probability) must be in [0.0, 1.0]; got 1.5"),
])
def test_bad_names_and_values_are_clear_errors(tmp_path, capsys, args, message):
    assert run_cli(tmp_path, *args, "--train_steps=1", "--export=false", *args[1:]) == 1
    assert message in capsys.readouterr().err
