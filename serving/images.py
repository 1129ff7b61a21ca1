"""Generated images -> PNG files: one grid, or one file per image. Needs only numpy and Pillow, so
both the client side (`serving`) and the training side (`tfgan_suite`) use it."""

import math
from pathlib import Path

import numpy as np
from PIL import Image


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
