"""Evaluation: likelihood bounds (nats per image, bits/dim) and SavedModel metrics."""

from tfgen.evaluation.likelihood import importance_weighted_bound

__all__ = ["importance_weighted_bound"]
