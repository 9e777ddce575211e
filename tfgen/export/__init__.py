"""SavedModel export for TF Serving and a checked loader; see ``tfgen.export.saved_model``.

``serving_default`` is the ``log_prob`` signature when the model has one, else ``sample``.
"""

from tfgen.export.loading import ExportedModel, load_exported
from tfgen.export.saved_model import SERVING_METHODS, export_model

__all__ = ["ExportedModel", "SERVING_METHODS", "export_model", "load_exported"]
