"""Thesis chapter 4 as data: leave-one-class-out OOD detection with tfgen's generative models.

See :mod:`~tfgen.experiments.ood.protocol` (the protocol as the study ``ood``, resume, and
scoring any data set against an export), :mod:`~tfgen.experiments.ood.config` (models, sizes,
profiles) and :mod:`~tfgen.experiments.ood.report` (the Tables 4.1/4.2 layout and the bar
chart); ``train/ood.py`` (and ``train/study.py --study=ood``) is the command line.
"""

from tfgen.experiments.ood.config import (
    OOD_MODELS,
    OODConfig,
    OODModel,
    get_ood_model,
    model_config,
    ood_model_names,
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

__all__ = ["OOD_MODELS", "OODConfig", "OODModel", "STUDY", "class_names", "evaluate_scores",
           "get_ood_model", "load_arrays", "model_config", "ood_model_names", "resolve",
           "run_protocol", "score_datasets", "stratified_indices",
           "summarize_records"]
