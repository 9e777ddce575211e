"""tfgen.utils.flops: TensorFlow's float-operation count against closed forms."""

import keras
import pytest
import tensorflow as tf

from tfgen.utils.flops import function_flops


@pytest.mark.parametrize("height,width,k,cin,cout", [(8, 8, 3, 3, 5), (28, 28, 5, 1, 16)])
def test_conv_layer_is_2_hw_k2_cin_cout_plus_bias(height, width, k, cin, cout):
    conv = keras.layers.Conv2D(cout, k, padding="same")
    conv.build((None, height, width, cin))
    flops = function_flops(conv, tf.TensorSpec([1, height, width, cin]))
    assert flops == 2 * height * width * k * k * cin * cout + height * width * cout


def test_count_scales_with_batch_and_counts_dense_layers():
    dense = keras.layers.Dense(7)
    dense.build((None, 11))
    assert function_flops(dense, tf.TensorSpec([4, 11])) == 4 * (2 * 11 * 7 + 7)


def test_backward_pass_counts_both_conv_gradients():
    """d(loss)/d(input) and d(loss)/d(kernel) each cost as much as the forward convolution."""
    conv = keras.layers.Conv2D(4, 3, padding="same", use_bias=False)
    conv.build((None, 6, 6, 2))
    forward = 2 * 6 * 6 * 9 * 2 * 4

    def loss_and_grads(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(conv(x))
        return tape.gradient(y, [x, conv.kernel])

    flops = function_flops(loss_and_grads, tf.TensorSpec([1, 6, 6, 2]))
    # forward + Conv2DBackpropInput + Conv2DBackpropFilter, plus the output sum (< 200)
    assert 3 * forward <= flops < 3 * forward + 200


def test_refuses_unknown_shapes_and_nested_loops():
    with pytest.raises(ValueError, match="fully defined"):
        function_flops(tf.square, tf.TensorSpec([None, 3]))

    def loop(x):
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, tf.matmul(y, y)),
                             (tf.constant(0), x))[1]

    with pytest.raises(ValueError, match="While"):
        function_flops(loop, tf.TensorSpec([4, 4]))


def test_flops_per_image_of_a_model_is_per_image_and_the_step_costs_more():
    """A tiny colour Gated PixelCNN: the forward count per image does not depend on the batch,
    exceeds its convolutions' multiply-adds at least, and the train step (backward + update)
    costs over twice the forward pass."""
    from tfgen import data
    from tfgen.models import build_model
    from tfgen.utils.flops import flops_per_image
    model = build_model("gated_pixelcnn", data.get_spec("photo_patches", image_size=8),
                        filters=4, ar_layers=1, likelihood="categorical")
    model.build_for()
    model.compile_for_training(1e-3)
    one, two = flops_per_image(model, 1), flops_per_image(model, 2)
    assert one["forward_flops_per_image"] == pytest.approx(two["forward_flops_per_image"],
                                                           rel=0.02)
    assert one["forward_flops_per_image"] > 2 * 8 * 8 * 3 * 256 * 4  # the output conv alone
    assert two["train_step_flops_per_image"] > 2 * two["forward_flops_per_image"]
