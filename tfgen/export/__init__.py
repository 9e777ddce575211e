"""SavedModel export for TF Serving and a checked loader; see ``tfgen.export.saved_model``.

A model's signature table (``model.serving_signatures()``, :mod:`tfgen.models.signatures`)
becomes its signatures; ``serving_default`` is the table's first entry (``log_prob`` for
likelihood models, ``sample`` for GANs).
"""

from tfgen.export.loading import ExportedModel, load_exported
from tfgen.export.saved_model import export_model, signature_table

__all__ = ["ExportedModel", "export_model", "load_exported", "signature_table"]
