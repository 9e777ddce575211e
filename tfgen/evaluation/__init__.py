"""Evaluation: likelihood bounds (nats per image, bits/dim), SavedModel metrics and GAN metrics.

Every measurement calls a trained model through :class:`~tfgen.evaluation.interface.ServingModel`
(:mod:`tfgen.evaluation.interface`): a loaded SavedModel implements it, a live model is wrapped in
a :class:`~tfgen.evaluation.interface.LiveModel`.

GAN metrics (:mod:`tfgen.evaluation.gan_metrics`): Fréchet distance of feature fits, the
Inception-style score, toy-mixture mode coverage; feature spaces from a self-trained classifier
(:mod:`tfgen.evaluation.classifier`) or local InceptionV3 weights
(:mod:`tfgen.evaluation.inception`).
"""

from tfgen.evaluation.gan_metrics import (classifier_score, frechet_distance,
                                          frechet_distance_of_features, gaussian_fit,
                                          image_metrics, mode_metrics, toy_mode_metrics)
from tfgen.evaluation.interface import LiveModel, ServingModel, as_serving_model
from tfgen.evaluation.likelihood import importance_weighted_bound

__all__ = ["LiveModel", "ServingModel", "as_serving_model", "classifier_score",
           "frechet_distance", "frechet_distance_of_features", "gaussian_fit", "image_metrics",
           "importance_weighted_bound", "mode_metrics", "toy_mode_metrics"]
