"""Pictures of samples: image grids (shared with the serving client) and 2-D scatter plots, as PNG."""

import numpy as np

from serving.images import save_picture, write_pngs


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
    return [save_picture(out, scatter_image(samples))]
