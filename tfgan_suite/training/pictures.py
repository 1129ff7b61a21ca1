"""Pictures of what a model makes, as PNG: image grids and 2-D scatter plots, and the callbacks
that draw one after every epoch (samples, an image-in model's outputs, translation triples) into
the run directory and TensorBoard."""

import math
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from tfgan_suite.metrics.callback import WritesSummaries
from tfgan_suite.metrics.translation import OTHER, as_channels


def image_grid(images, columns=None):
    """[N, H, W, C] images in [-1, 1] -> one uint8 [rows*H, columns*W, C] picture, as close to
    square as N allows."""
    pixels = np.round((np.clip(np.asarray(images, np.float32), -1, 1) + 1) * 127.5).astype(np.uint8)
    n, height, width, channels = pixels.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = np.zeros((rows * height, columns * width, channels), np.uint8)
    for i, image in enumerate(pixels):
        row, col = divmod(i, columns)
        grid[row * height:(row + 1) * height, col * width:(col + 1) * width] = image
    return grid


def save_picture(path, picture):
    """Writes a uint8 [H, W, C] picture (C = 1 or 3) as PNG."""
    Image.fromarray(picture[..., 0] if picture.shape[-1] == 1 else picture).save(path)
    return Path(path)


def write_pngs(images, out, grid=True):
    """Writes `images` as one grid PNG at `out`, or with `grid=False` one PNG per image (`out` with
    the image index before the suffix). Returns the paths written."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if grid:
        return [save_picture(out, image_grid(images))]
    paths = [out.with_name(f"{out.stem}_{i}{out.suffix or '.png'}") for i in range(len(images))]
    return [save_picture(path, image_grid(image[None])) for path, image in zip(paths, images)]


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


class EpochPicture(WritesSummaries):
    """After every epoch, `picture()` (a uint8 [H, W, C] array) as `directory/epoch_NNN.png` and,
    with `log_dir` (a folder or a shared writer, `WritesSummaries`), as the TensorBoard image
    `tag` at step epoch + 1 (the epochs trained). A subclass says what the picture shows."""

    tag = "samples"

    def __init__(self, directory, log_dir=None):
        super().__init__(log_dir)
        self.directory = Path(directory)

    def picture(self):
        raise NotImplementedError(f"{type(self).__name__} must define picture")

    def on_epoch_end(self, epoch, logs=None):
        picture = self.picture()
        self.directory.mkdir(parents=True, exist_ok=True)
        save_picture(self.directory / f"epoch_{epoch + 1:03d}.png", picture)
        writer = self.summary_writer()
        if writer is not None:
            with writer.as_default(step=epoch + 1):
                tf.summary.image(self.tag, picture[None])
            writer.flush()


class SampleGrid(EpochPicture):
    """`num_samples` samples (`samples_picture`), always from the same `seed`, so successive
    epochs show the same latents."""

    def __init__(self, directory, log_dir=None, num_samples=64, seed=0):
        super().__init__(directory, log_dir)
        self.num_samples = num_samples
        self.seed = seed

    def picture(self):
        return samples_picture(self.model.sample(self.num_samples, seed=self.seed))


def rows_picture(columns):
    """One uint8 picture of an image-in model's `picture_rows` ([columns, N, H, W, C]): a row per
    example image, a column per kind of output."""
    rows = np.stack([np.asarray(column) for column in columns], axis=1)
    return image_grid(rows.reshape((-1,) + rows.shape[2:]), columns=len(columns))


class InputPicture(EpochPicture):
    """After every epoch, an image-in model's `picture_rows` of fixed data images (SRGAN: bicubic,
    SRGAN and the original; GANomaly: input and reconstruction)."""

    tag = "outputs"

    def __init__(self, directory, images, log_dir=None):
        super().__init__(directory, log_dir)
        self.images = np.asarray(images, np.float32)

    def picture(self):
        return rows_picture(self.model.picture_rows(self.images))


def triples_picture(model, images_a, images_b):
    """One uint8 picture: a row per image of (input, translation, reconstruction), the A -> B
    rows above the B -> A rows, grey images shown in 3 channels."""
    rows = []
    for direction, images in (("a2b", images_a), ("b2a", images_b)):
        there = model.translate(images, direction)
        back = model.translate(there, OTHER[direction])
        for triple in zip(images, there, back):
            rows.extend(as_channels(image, 3) for image in triple)
    return image_grid(np.stack(rows), columns=3)


class TranslationGrid(EpochPicture):
    """After every epoch, `triples_picture` on fixed images of each domain (`EpochPicture`:
    `directory/epoch_NNN.png`, with `log_dir` the TensorBoard image "translations")."""

    tag = "translations"

    def __init__(self, directory, images_a, images_b, log_dir=None):
        super().__init__(directory, log_dir)
        self.images = (np.asarray(images_a, np.float32), np.asarray(images_b, np.float32))

    def picture(self):
        return triples_picture(self.model, *self.images)