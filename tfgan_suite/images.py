"""Pictures of samples: image grids (shared with the serving client) and 2-D scatter plots, as
PNG, and the callbacks that draw one after every epoch."""

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from serving.images import image_grid, save_picture, write_pngs


def scatter_image(points, size=256, extent=5.0):
    """[N, 2] points in [-extent, extent]^2 -> a white uint8 [size, size, 1] picture with black dots."""
    canvas = np.full((size, size, 1), 255, np.uint8)
    pixels = np.round((np.asarray(points)[:, :2] + extent) / (2 * extent) * (size - 1)).astype(int)
    inside = ((pixels >= 0) & (pixels < size)).all(axis=1)
    canvas[size - 1 - pixels[inside, 1], pixels[inside, 0]] = 0
    return canvas


def save_samples(out, samples, grid=True):
    """Writes generated images (a grid, or one PNG each with `grid=False`) or 2-D points (a scatter
    plot) to PNG; returns the paths written."""
    samples = np.asarray(samples)
    if samples.ndim == 4:
        return write_pngs(samples, out, grid=grid)
    return [save_picture(out, samples_picture(samples))]


def samples_picture(samples):
    """Generated images as a grid, 2-D points as a scatter plot: one uint8 [H, W, C] picture."""
    samples = np.asarray(samples)
    return image_grid(samples) if samples.ndim == 4 else scatter_image(samples)


class EpochPicture(keras.callbacks.Callback):
    """After every epoch, `picture()` (a uint8 [H, W, C] array) as `directory/epoch_NNN.png` and,
    with `log_dir`, as the TensorBoard image `tag`. A subclass says what the picture shows."""

    tag = "samples"

    def __init__(self, directory, log_dir=None):
        super().__init__()
        self.directory = Path(directory)
        self.log_dir = log_dir
        self._writer = None

    def picture(self):
        raise NotImplementedError(f"{type(self).__name__} must define picture")

    def on_epoch_end(self, epoch, logs=None):
        picture = self.picture()
        self.directory.mkdir(parents=True, exist_ok=True)
        save_picture(self.directory / f"epoch_{epoch + 1:03d}.png", picture)
        if self.log_dir:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(str(self.log_dir))
            with self._writer.as_default(step=epoch + 1):
                tf.summary.image(self.tag, picture[None])
            self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class SampleGrid(EpochPicture):
    """`num_samples` samples (`samples_picture`), always from the same `seed`, so successive
    epochs show the same latents."""

    def __init__(self, directory, log_dir=None, num_samples=64, seed=0):
        super().__init__(directory, log_dir)
        self.num_samples = num_samples
        self.seed = seed

    def picture(self):
        return samples_picture(self.model.sample(self.num_samples, seed=self.seed))
