"""Thesis chapter 4 as data: leave-one-class-out OOD detection with tfgen's generative models.

See :mod:`~tfgen.experiments.ood.protocol` (the protocol as the study ``ood``, resume, and
scoring any data set against an export), :mod:`~tfgen.experiments.ood.config` (models, sizes,
profiles) and :mod:`~tfgen.experiments.ood.report` (the Tables 4.1/4.2 layout and the bar
chart); ``train/ood.py`` (and ``train/study.py --study=ood``) is the command line.
"""

from tfgen.experiments.ood.config import (
    DATASET_SETTINGS,
    OOD_MODELS,
    TABLE_4_1,
    TABLE_4_2,
    DatasetSetting,
    OODConfig,
    OODModel,
    binarized,
    dataset_setting,
    get_ood_model,
    model_config,
    models_of,
    ood_model_names,
    pixels_of,
    resolve,
)
from tfgen.experiments.ood.protocol import (
    STUDY,
    class_names,
    evaluate_scores,
    run_protocol,
    score_datasets,
    stratified_indices,
    summarize_records,
)
from tfgen.experiments.study import load_arrays

__all__ = ["DATASET_SETTINGS", "DatasetSetting", "OOD_MODELS", "OODConfig", "OODModel", "STUDY",
           "TABLE_4_1", "TABLE_4_2", "binarized", "class_names", "dataset_setting",
           "evaluate_scores", "get_ood_model", "load_arrays", "model_config", "models_of",
           "ood_model_names", "pixels_of", "resolve", "run_protocol", "score_datasets",
           "stratified_indices", "summarize_records"]
