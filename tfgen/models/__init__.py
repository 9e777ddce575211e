"""Generative models: every model is a :class:`GenerativeModel` named in the registry.

Each model serves its verbs through ``serving_signatures()``, a table ``{name: Signature}``
(:mod:`tfgen.models.signatures`) that ``tfgen.export.export_model`` writes as SavedModel
signatures.
"""

from tfgen.models.base import GenerativeModel
from tfgen.models.registry import MODELS, build_model, get_model_class, model_names
from tfgen.models.vae import VAE, VAEConfig
from tfgen.models.gan import GAN, GANConfig
from tfgen.models.iaf_vae import IAFVAE, IAFVAEConfig
from tfgen.models.pixelcnn import GatedPixelCNN, GatedPixelCNNConfig, PixelCNN, PixelCNNConfig
from tfgen.models.pixelcnn_pp import PixelCNNPP, PixelCNNPPConfig
from tfgen.models.signatures import Signature, SignatureTable

__all__ = ["GenerativeModel", "MODELS", "VAE", "VAEConfig", "build_model", "get_model_class",
           "model_names"]
__all__ += ["GAN", "GANConfig"]
__all__ += ["IAFVAE", "IAFVAEConfig"]
__all__ += ["GatedPixelCNN", "GatedPixelCNNConfig", "PixelCNN", "PixelCNNConfig"]
__all__ += ["PixelCNNPP", "PixelCNNPPConfig"]
__all__ += ["Signature", "SignatureTable"]
