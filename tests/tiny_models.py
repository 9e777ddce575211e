"""A tiny config of every registered model on 4x4 binary images, shared by the tests that run
over the whole model registry (a model registered without an entry here fails them)."""

from tfgen.data import DatasetSpec

IMAGES = DatasetSpec("tiny", (4, 4, 1), num_classes=3, kind="image", binarized=True)
TINY = {
    "vae": dict(latent_dim=2, filters=2, conv_layers=2, downsamples=1, log_prob_samples=2),
    "pixelvae": dict(latent_dim=2, ar_layers=0, filters=2, encoder_filters=2, kernel_size=3,
                     first_kernel_size=3, log_prob_samples=2),
    "hierarchical_pixelvae": dict(latent_channels=2, latent_dim=2, embedding_dim=2, dim_0=2,
                                  dim_1=2, dim_2=4, dim_top=4, pixel_filters=2,
                                  latent_filters=4, res_blocks=0, pixel_blocks=0, latent_blocks=0,
                                  log_prob_samples=2),
    "pixelcnn": dict(ar_layers=1, filters=4, conditional=True),
    "gated_pixelcnn": dict(ar_layers=1, filters=2, kernel_size=3, head_layers=1),
    # nr_resnet=0 still has both streams, the 3 resolutions and 4 gated blocks (the upsampling
    # stages' extra ones): a smaller graph to trace than nr_resnet=1's 14 blocks
    "pixelcnn_pp": dict(nr_resnet=0, nr_filters=4, nr_logistic_mix=2, dropout=0.5,
                        weight_norm=False, conditional=True),
    "iaf_vae": dict(latent_channels=2, filters=2, downsamples=1, res_blocks=0,
                    context_channels=2, flow_steps=2, flow_filters=2, flow_layers=1,
                    log_prob_samples=2, encode_samples=2),
    "gan": dict(latent_dim=2, generator_dim=4, critic_dim=4, generator="toy_mlp",
                critic="toy_mlp", conditional=True),
}


def build_tiny(name: str):
    """Registered model ``name`` in its tiny config, built, with seeded weights (seed 0)."""
    import keras

    from tfgen.models import build_model

    keras.utils.set_random_seed(0)
    model = build_model(name, IMAGES, seed=1, **TINY[name])
    model.build_for()
    return model
