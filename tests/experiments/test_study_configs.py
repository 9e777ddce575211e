"""Every study's config: one field vocabulary (TrainConfig's names and types where they mean the
same), and profiles that select the thesis' data only at full size."""

import dataclasses
import typing

import pytest

from tfgen.experiments.ood import OODConfig
from tfgen.experiments.ood import resolve as resolve_ood
from tfgen.experiments.studies import STUDIES, get_study
from tfgen.training import TrainConfig

CONFIGS = [*dict.fromkeys(s.config for s in STUDIES.values())]
#: A sweep in the chapter-2 studies (several depths), one depth in the OOD protocol.
KNOWN_TYPE_DIFFERENCES = {"ar_layers"}


def _types(config):
    return typing.get_type_hints(config)


def test_one_name_one_type_across_studies_and_the_trainer():
    seen = {name: (kind, "TrainConfig") for name, kind in _types(TrainConfig).items()}
    for config in CONFIGS:
        for name, kind in _types(config).items():
            if name in seen and name not in KNOWN_TYPE_DIFFERENCES:
                assert kind == seen[name][0], (config.__name__, name, seen[name])
            seen.setdefault(name, (kind, config.__name__))


@pytest.mark.parametrize("former", ["steps", "max_seconds", "dim", "depth", "test_examples",
                                    "score_batch_size"])
def test_former_names_are_gone(former):
    for config in CONFIGS:
        assert former not in {f.name for f in dataclasses.fields(config)}, config.__name__


FULL_DATA = {
    "nll_vs_layers": ("binarized_mnist", False), "nll_table": ("binarized_mnist", False),
    "latent_2d": ("mnist", True),  # labelled: the k-NN error needs them
}
NATURAL_DATA = {"hierarchy_levels": "lsun_bedroom", "natural_table": "imagenet64"}
FULL_DATASETS = {
    "architecture_robustness": ("lsun_bedroom",), "score_vs_time": ("cifar10",),
    "critic_overfitting": ("mnist",), "mode_coverage": ("8gaussians", "25gaussians"),
    "toy_value_surfaces": ("8gaussians", "25gaussians", "swissroll"),
    "gradient_norms": ("swissroll",)}


@pytest.mark.parametrize("name", sorted(set(STUDIES) - {"ood"}))  # ood: the test below
def test_full_profiles_select_the_thesis_data_cpu_the_offline_data(name):
    study = get_study(name)
    full, cpu = study.resolve({"profile": "full"}), study.resolve({"profile": "cpu"})
    if name in FULL_DATA:
        assert (full.dataset, full.binarize) == FULL_DATA[name]
        assert cpu.dataset == "binarized_fashion_mnist"
    elif name in NATURAL_DATA:  # natural colour images: the thesis' data, offline photo patches
        assert (full.dataset, cpu.dataset) == (NATURAL_DATA[name], "photo_patches")
    elif name in FULL_DATASETS:
        assert full.datasets == FULL_DATASETS[name]
        if name in ("architecture_robustness", "score_vs_time", "critic_overfitting"):
            assert cpu.datasets == ("fashion_mnist",)
    else:
        assert (full.text_source, cpu.text_source) == ("lm1b", "auto")
    assert full.train_steps > cpu.train_steps > study.resolve({"profile": "smoke"}).train_steps
    assert study.runs(full) and study.runs(cpu)  # the full runs are defined without the data
    if name == "architecture_robustness":
        assert full.image_size == 64


def test_ood_full_profile_is_table_4_1_on_mnist():
    assert OODConfig in CONFIGS  # a registered study
    assert resolve_ood({"profile": "full"}).dataset == "mnist"
    assert resolve_ood({"profile": "cpu"}).dataset == "fashion_mnist"
    study = get_study("ood")
    full, cpu = study.resolve({"profile": "full"}), study.resolve({"profile": "cpu"})
    assert (full.dataset, cpu.dataset) == ("mnist", "fashion_mnist")
    assert full.max_train_seconds == 0 < cpu.max_train_seconds  # cpu: a time budget per run
    assert len(study.runs(full)) == len(study.runs(cpu)) == 40  # 4 models x 10 classes
