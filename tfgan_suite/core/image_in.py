"""The image-in template: models trained on ONE domain of images that serve a function of images
(SRGAN's `upscale`, GANomaly's anomaly `score`), on the core.

Data: batches of float32 images in [-1, 1] (a labelled dataset's labels are ignored). A variant
says what it serves (`signatures.image_signature`: an `images` input of a fixed shape, one
output) and draws its epoch picture with `picture_rows` (the columns of one row per image).
"""

import numpy as np

from tfgan_suite.core.adversarial import AdversarialModel


def checked_images(images, shape, what):
    """`images` as float32 numpy [N, *shape], or a clear error naming `what` takes them."""
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[1:] != tuple(shape):
        raise ValueError(f"{what} takes images of shape [N, {', '.join(map(str, shape))}] in "
                         f"[-1, 1]; got {list(images.shape)}.")
    return images


class ImageInModel(AdversarialModel):
    input_kind = "image"

    def __init__(self, image_shape, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)

    @staticmethod
    def check_image_shape(variant, image_shape):
        if len(image_shape) != 3:
            raise ValueError(f"{variant} takes images (H, W, C); got data of shape "
                             f"{tuple(image_shape)}.")
        return tuple(int(d) for d in image_shape)

    def unpack_batch(self, data):
        """(images,) from a batch of images or (images, labels), with one clear error for data the
        networks can't take."""
        images = data[0] if isinstance(data, (tuple, list)) else data
        self.check_image_batch(images)
        return (images,)

    # ----- serving ----------------------------------------------------------------------------

    def picture_rows(self, images):
        """[columns, N, H, W, C]: what the epoch picture shows for each of `images` (a row each)."""
        raise NotImplementedError(f"{type(self).__name__} must define picture_rows")

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape)}
