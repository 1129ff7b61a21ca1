"""Differentiable augmentations of the images a discriminator sees, for GANs on limited data.

- DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training",
  arXiv:2006.10738; the authors' DiffAugment_tf.py): colour (brightness +-0.5, saturation x[0, 2],
  contrast x[0.5, 1.5]), translation by up to 1/8 of the image with zero padding, cutout of a
  square of half the image side; every transform on every image, real and fake, in both the D
  and the G steps, so G's gradient flows through them.
- ADA (Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data",
  arXiv:2006.06676): the same transforms, each applied to an image with probability p, where p
  follows the overfitting heuristic r_t = E[sign D(x_real)] (see `ada_probability_step`). ADA's own
  pipeline has 18 transforms (flips, rotations, scaling, colour, filtering...); this keeps
  DiffAugment's three (an "ADA-lite": the p schedule of the paper, not its full pipeline).

Randomness comes from `draw(name, shape, distribution, minval, maxval, dtype)`, a per-example
draw (the models pass their named noise, so 1 and N replicas augment alike). Images are
[N, H, W, C] in [-1, 1].
"""

import tensorflow as tf

KINDS = ("diffaugment", "ada")
TRANSLATION_RATIO, CUTOUT_RATIO = 1 / 8, 1 / 2


def brightness(images, u):
    """x + (u - 0.5), u ~ U[0, 1) per image."""
    return images + (u - 0.5)


def saturation(images, u):
    """Each pixel's deviation from its channel mean scaled by 2u (u ~ U[0, 1)); grey images
    are unchanged."""
    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    return (images - mean) * (u * 2) + mean


def contrast(images, u):
    """Each image's deviation from its mean scaled by u + 0.5."""
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * (u + 0.5) + mean


def _shift_rows(images, shift):
    """Rows moved down by `shift` ([N, 1] ints) with zeros coming in: a gather, differentiable
    in the images."""
    height = tf.shape(images)[1]
    rows = tf.clip_by_value(tf.range(height)[None, :] - shift + 1, 0, height + 1)
    padded = tf.pad(images, [[0, 0], [1, 1], [0, 0], [0, 0]])
    return tf.gather(padded, rows, axis=1, batch_dims=1)


def translation(images, shift_y, shift_x):
    """Images moved by (shift_y, shift_x) pixels ([N, 1] ints), zero padded."""
    moved = _shift_rows(images, shift_y)
    return tf.transpose(_shift_rows(tf.transpose(moved, [0, 2, 1, 3]), shift_x), [0, 2, 1, 3])


def cutout(images, centre_y, centre_x, size):
    """Images with a `size` x `size` square (clipped at the borders) around the centre ([N, 1]
    ints) set to zero."""
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    top, left = centre_y - size // 2, centre_x - size // 2
    rows = tf.range(height)[None, :]
    cols = tf.range(width)[None, :]
    in_rows = (rows >= top) & (rows < top + size)        # [N, H]
    in_cols = (cols >= left) & (cols < left + size)      # [N, W]
    inside = in_rows[:, :, None] & in_cols[:, None, :]   # [N, H, W]
    return images * tf.cast(~inside, images.dtype)[..., None]


def augment(images, draw, probability=None):
    """DiffAugment's colour, translation and cutout in that order; with `probability` (ADA's p,
    a scalar tensor) each transform is applied to each image with that probability."""
    height, width = images.shape[1], images.shape[2]

    def maybe(name, transformed, images):
        if probability is None:
            return transformed
        chosen = draw(f"{name}/apply", [1, 1, 1], "uniform", 0.0, 1.0, "float32") < probability
        return tf.where(chosen, transformed, images)

    colour = images
    for name, transform in (("brightness", brightness), ("saturation", saturation),
                            ("contrast", contrast)):
        colour = transform(colour, draw(name, [1, 1, 1], "uniform", 0.0, 1.0, "float32"))
    images = maybe("colour", colour, images)
    shift_y, shift_x = (int(side * TRANSLATION_RATIO + 0.5) for side in (height, width))
    images = maybe("translation", translation(
        images, draw("translation_y", [1], "uniform", -shift_y, shift_y + 1, "int32"),
        draw("translation_x", [1], "uniform", -shift_x, shift_x + 1, "int32")), images)
    size = int(min(height, width) * CUTOUT_RATIO + 0.5)
    images = maybe("cutout", cutout(
        images, draw("cutout_y", [1], "uniform", 0, height + (1 - size % 2), "int32"),
        draw("cutout_x", [1], "uniform", 0, width + (1 - size % 2), "int32"), size), images)
    return images


def ada_probability_step(probability, sign_sum, seen, target, kimg):
    """ADA's update of p after an interval (stylegan2-ada training_loop.py): r_t = E[sign D(real)]
    over the `seen` real images of the interval (`sign_sum` the sum of their signs);
    p <- clip(p + sign(r_t - target) * seen / (kimg * 1000), 0, 1): p could go from 0 to 1 in
    `kimg` thousand images. The paper: target 0.6, kimg 500, every 4 steps."""
    rate = sign_sum / tf.maximum(seen, 1.0)
    return tf.clip_by_value(probability + tf.sign(rate - target) * seen / (kimg * 1000.0), 0.0, 1.0)
