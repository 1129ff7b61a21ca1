"""Pictures of samples: image grids and 2-D scatter plots as PNG, with no plotting library."""

import math

import numpy as np


def to_uint8(images, value_range=(-1.0, 1.0)):
    low, high = value_range
    scaled = (np.asarray(images, np.float32) - low) / (high - low)
    return np.clip(np.round(scaled * 255), 0, 255).astype(np.uint8)


def image_grid(images, columns=None):
    """[N, H, W, C] images in [-1, 1] -> one uint8 [rows*H, columns*W, C] picture."""
    images = to_uint8(images)
    n, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = np.zeros((rows * height, columns * width, channels), np.uint8)
    for i, image in enumerate(images):
        row, col = divmod(i, columns)
        grid[row * height:(row + 1) * height, col * width:(col + 1) * width] = image
    return grid


def scatter_image(points, size=256, extent=5.0):
    """[N, 2] points in [-extent, extent]^2 -> a white uint8 [size, size, 1] picture with black dots."""
    canvas = np.full((size, size, 1), 255, np.uint8)
    pixels = np.round((np.asarray(points)[:, :2] + extent) / (2 * extent) * (size - 1)).astype(int)
    inside = ((pixels >= 0) & (pixels < size)).all(axis=1)
    canvas[size - 1 - pixels[inside, 1], pixels[inside, 0]] = 0
    return canvas


def save_samples_png(path, samples):
    """Writes images as a grid, or 2-D points as a scatter plot, to a PNG file."""
    from PIL import Image

    samples = np.asarray(samples)
    picture = image_grid(samples) if samples.ndim == 4 else scatter_image(samples)
    Image.fromarray(picture[..., 0] if picture.shape[-1] == 1 else picture).save(path)
    return path
