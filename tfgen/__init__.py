"""tfgen: generative image models (PixelVAE, PixelCNN, VAE, WGAN-GP) for TensorFlow 2 / Keras 3.

Conventions used across the library:

* Images cross every public boundary as ``uint8`` NHWC tensors in ``[0, 255]``; a model owns its
  preprocessing (binarization threshold, scaling, dequantization).
* Log-likelihoods are in **nats per image**; evaluation also reports bits/dim
  (``nats / (H * W * C * ln 2)``).
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    """``tfgen.presets`` on first use (importing it pulls in TensorFlow only when a preset is
    loaded), so ``import tfgen; tfgen.presets.load(...)`` works."""
    if name == "presets":
        import importlib

        return importlib.import_module("tfgen.presets")
    raise AttributeError(f"module 'tfgen' has no attribute {name!r}")
