"""Every registered GAN generator and critic builds and maps shapes; names and options."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgen.nets import (
    CRITICS,
    GENERATORS,
    NetOptions,
    critic_names,
    generator_names,
    make_critic,
    make_generator,
)
from tfgen.nets.dcgan import resolution_plan
from tfgen.nets.gan_blocks import GatedActivation
from tfgen.nets.registry import has_batch_norm
from tfgen.training.environment import precision_policy

SHAPES = {"points": [(2,)], "text": [(32, 20)],
          "image": [(28, 28, 1), (32, 32, 3), (64, 64, 3)]}
SMALL = NetOptions(dim=4, depth=14)  # deep resnets: 4 bottleneck blocks


def cases(table):
    return [(name, kind, shape) for name in sorted(table) for kind in table[name].data_kinds
            for shape in SHAPES[kind]]


@pytest.mark.parametrize("name,kind,shape", cases(GENERATORS))
def test_generators_map_latents_to_the_data_shape(name, kind, shape):
    net = make_generator(name, shape, 6, SMALL, data_kind=kind)
    out = net(tf.random.stateless_normal([3, 6], [0, 1]), training=False)
    assert out.shape == (3, *shape) and out.dtype == tf.float32
    if kind == "image":  # pixels in [-1, 1]
        assert np.all(np.abs(out.numpy()) <= 1.0)
    if kind == "text":  # a softmax over the vocabulary at each position
        np.testing.assert_allclose(out.numpy().sum(-1), 1.0, rtol=1e-5)


def test_the_output_nonlinearity_follows_the_data_kind_not_the_rank():
    # The kind is given, never read off the shape: points stay unbounded (no tanh, no softmax),
    # text gets a softmax, and a shape of the wrong rank for the kind is an error.
    net = make_generator("toy_mlp", (3,), 4, NetOptions(dim=8), data_kind="points")
    wide = net(10.0 * tf.random.stateless_normal([64, 4], [0, 1]), training=False).numpy()
    assert np.abs(wide).max() > 1.0
    text = make_generator("toy_mlp", (3, 2), 4, NetOptions(dim=8), data_kind="text")
    np.testing.assert_allclose(text(tf.ones([2, 4])).numpy().sum(-1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match=r"text data has shape \(L, V\); got \(3,\)"):
        make_generator("toy_mlp", (3,), 4, data_kind="text")


@pytest.mark.parametrize("name,kind,shape", cases(CRITICS))
def test_critics_map_data_to_raw_values(name, kind, shape):
    net = make_critic(name, shape, 11, SMALL, data_kind=kind)
    out = net(tf.random.stateless_uniform([3, *shape], [0, 2], -1, 1), training=False)
    assert out.shape == (3, 11) and out.dtype == tf.float32
    # Per-example: an example's output does not depend on the rest of the batch.
    single = net(tf.random.stateless_uniform([3, *shape], [0, 2], -1, 1)[:1], training=False)
    np.testing.assert_allclose(single.numpy(), out.numpy()[:1], rtol=1e-4, atol=1e-5)


def test_resolution_plan_covers_28_32_64_and_rejects_others():
    assert resolution_plan((28, 28, 1)) == (7, 2)
    assert resolution_plan((32, 32, 3)) == (4, 3)
    assert resolution_plan((64, 64, 3)) == (4, 4)
    with pytest.raises(ValueError, match="image size 30 is not"):
        resolution_plan((30, 30, 3))
    with pytest.raises(ValueError, match="square"):
        resolution_plan((32, 16, 3))


def test_dcgan_shapes_and_normalization_defaults():
    g = make_generator("dcgan", (64, 64, 3), 8, NetOptions(dim=4))
    shapes = [g.get_layer(f"deconv{i}").output.shape[1:] for i in (1, 2, 3)]
    assert shapes == [(8, 8, 16), (16, 16, 8), (32, 32, 4)]  # 4x4x32 -> ... -> 64x64x3
    assert has_batch_norm(g)
    assert not has_batch_norm(make_generator("dcgan", (28, 28, 1), 8, NetOptions(dim=4,
                                                                                 norm="none")))
    const = make_generator("dcgan_const", (32, 32, 3), 8, NetOptions(dim=4))
    assert not has_batch_norm(const)
    assert {const.get_layer(f"deconv{i}").output.shape[-1] for i in (1, 2)} == {4}
    critic = make_critic("dcgan", (28, 28, 1), 1, NetOptions(dim=4))
    assert not has_batch_norm(critic)
    layer_norm = make_critic("dcgan", (28, 28, 1), 1, NetOptions(dim=4, norm="layer"))
    assert any(isinstance(x, keras.layers.LayerNormalization) for x in layer_norm.layers)
    gated = make_critic("gated", (32, 32, 3), 1, NetOptions(dim=4))
    assert sum(isinstance(x, GatedActivation) for x in gated.layers) == 3
    tanh = make_generator("tanh", (32, 32, 3), 8, NetOptions(dim=4))
    assert not any(isinstance(x, keras.layers.ReLU) or getattr(x, "activation", None) is
                   keras.activations.relu for x in tanh.layers)


def weight_layers(model):
    """Convolution and dense layers on the main path (shortcuts excluded)."""
    kinds = (keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.Dense)
    return [x for x in model.layers if isinstance(x, kinds) and "shortcut" not in x.name]


def test_deep_resnets_have_depth_layers():
    options = NetOptions(dim=2, depth=101)
    g = make_generator("resnet", (32, 32, 3), 4, options)
    d = make_critic("resnet", (32, 32, 3), 1, options)
    assert len(weight_layers(g)) == len(weight_layers(d)) == 101
    assert len(weight_layers(make_critic("resnet", (32, 32, 3), 1,
                                         NetOptions(dim=2, depth=20)))) == 20
    with pytest.raises(ValueError, match="depth >= 11"):
        make_generator("resnet", (32, 32, 3), 4, NetOptions(dim=2, depth=8))


def test_cifar_resnet_follows_the_appendix_table():
    g = make_generator("resnet_cifar", (32, 32, 3), 128)
    assert g.get_layer("project").output.shape[1:] == (4 * 4 * 128,)
    assert [g.get_layer(f"block{i}_add").output.shape[1:] for i in range(3)] == [
        (8, 8, 128), (16, 16, 128), (32, 32, 128)]
    assert has_batch_norm(g) and g.output_shape == (None, 32, 32, 3)
    d = make_critic("resnet_cifar", (32, 32, 3), 1)
    assert [d.get_layer(f"block{i}_add").output.shape[1:] for i in range(4)] == [
        (16, 16, 128), (8, 8, 128), (8, 8, 128), (8, 8, 128)]
    assert not has_batch_norm(d) and d.output_shape == (None, 1)
    assert isinstance(d.get_layer("mean_pool"), keras.layers.GlobalAveragePooling2D)


def test_mixed_precision_nets_compute_in_bfloat16_and_return_float32():
    with precision_policy("mixed_bfloat16"):
        g = make_generator("dcgan", (28, 28, 1), 8, NetOptions(dim=4))
        d = make_critic("resnet_cifar", (32, 32, 3), 1, NetOptions(dim=4))
    assert g.get_layer("deconv1").compute_dtype == "bfloat16"
    assert g(tf.zeros([2, 8])).dtype == tf.float32
    assert d(tf.zeros([2, 32, 32, 3])).dtype == tf.float32


def test_unknown_names_and_wrong_shapes_list_valid_choices():
    with pytest.raises(ValueError, match=r"Unknown generator 'dcgan128'; valid names: \['dcgan'"):
        make_generator("dcgan128", (32, 32, 3), 8)
    with pytest.raises(ValueError, match=r"Unknown critic 'x'; valid names: " +
                       str(critic_names()).replace("[", r"\[").replace("]", r"\]")):
        make_critic("x", (32, 32, 3))
    with pytest.raises(ValueError, match=r"does not take points data \(shape \(2,\)\); "
                                         r"generators for points data: \['mlp', "
                                         r"'real_plus_noise_25gaussians', "):
        make_generator("dcgan", (2,), 8, data_kind="points")
    with pytest.raises(ValueError, match=r"Unknown normalization 'group'; valid names: \['batch'"):
        make_critic("dcgan", (32, 32, 3), 1, NetOptions(norm="group"))
    assert {"toy_mlp", "mlp", "dcgan", "dcgan_const", "gated", "tanh", "resnet",
            "resnet_cifar", "text_cnn", "real_plus_noise_8gaussians",
            "real_plus_noise_25gaussians", "real_plus_noise_swissroll"} == set(generator_names())


def test_mlp_layers_sets_the_hidden_layers_of_the_mlp_nets():
    def dense_count(model):
        return sum(isinstance(layer, keras.layers.Dense) for layer in model.layers)

    assert dense_count(make_critic("toy_mlp", (2,), 1, NetOptions(dim=4), "points")) == 3 + 1
    assert dense_count(make_generator("mlp", (2,), 2, NetOptions(dim=4), "points")) == 4 + 1
    deep = NetOptions(dim=4, mlp_layers=12)  # Fig. 3.1b's 12-layer ReLU MLPs
    for name in ("toy_mlp", "mlp"):  # every entry and role honours it
        assert dense_count(make_critic(name, (2,), 1, deep, "points")) == 12 + 1, name
        assert dense_count(make_generator(name, (2,), 2, deep, "points")) == 12 + 1, name
    from tfgen.models import GAN

    gan = GAN((2,), data_kind="points", generator="mlp", critic="mlp", mlp_layers=12,
              generator_dim=4, critic_dim=4)
    assert dense_count(gan.critic_net) == dense_count(gan.generator) == 13
