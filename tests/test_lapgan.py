"""LAPGAN beyond the contract: every level of the pyramid has its size, and the finer levels only
add residuals to the upsampled coarser image."""

import numpy as np
import pytest

import tfgan_suite
from tfgan_suite.networks.lapgan import gaussian_pyramid, real_levels, upsample


@pytest.mark.parametrize("image_shape, sizes", [((28, 28, 1), [7, 14, 28]),
                                                ((32, 32, 3), [8, 16, 32])])
def test_each_level_has_its_size(image_shape, sizes):
    model = tfgan_suite.build_model("lapgan", image_shape=image_shape, latent_dim=8, width=4,
                                    num_classes=3)
    z = model.prior_latent(2, seed=0)
    levels = model.generator.pyramid([z, np.array([0, 2])])
    assert [tuple(level.shape) for level in levels] == [(2, s, s, image_shape[-1]) for s in sizes]
    # z = the coarse code and one noise plane per finer level
    assert model.latent_dim == 8 + sizes[1] ** 2 + sizes[2] ** 2


def test_real_levels_reconstruct_the_image():
    images = np.random.default_rng(0).uniform(-1, 1, (2, 28, 28, 1)).astype(np.float32)
    levels, pyramid = real_levels(images, 3)
    rebuilt = levels[0]
    for residual, _ in levels[1:]:
        rebuilt = upsample(rebuilt) + residual
    np.testing.assert_allclose(rebuilt, images, atol=1e-5)
    assert [p.shape[1] for p in gaussian_pyramid(images, 3)] == [7, 14, 28]


def test_zeroed_residual_generators_give_the_upsampled_coarse_image():
    model = tfgan_suite.build_model("lapgan", image_shape=(28, 28, 1), latent_dim=8, width=4)
    z = model.prior_latent(4, seed=3)
    coarse = model.generator.pyramid(z)[0]
    with_residuals = model.sample(4, seed=3)
    for network in model.generator.residual_generators:
        network.set_weights([np.zeros_like(w) for w in network.get_weights()])
    upsampled = upsample(upsample(coarse)).numpy()
    np.testing.assert_allclose(model.sample(4, seed=3), upsampled, atol=1e-6)
    assert np.abs(with_residuals - upsampled).mean() > 1e-3  # the residuals did change the image


def test_bad_pyramid_is_rejected():
    with pytest.raises(ValueError, match=r"H and W must be multiples of 4; got \(30, 30, 1\)"):
        tfgan_suite.build_model("lapgan", image_shape=(30, 30, 1))
